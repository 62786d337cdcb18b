import fc from 'fast-check';
import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Dec, type Decimal } from '../../../../src/trading/core/decimal.js';
import { DataEngine } from '../../../../src/trading/data/data-engine.js';
import type { Bar, TradeTick } from '../../../../src/trading/data/market-data.js';

const exact = (d: Decimal | null | undefined) =>
  d ? { c: [...d.c], e: d.e, s: d.s, own: Object.keys(d), big: d instanceof Dec } : d;

const bar = (instrumentId: string, close: number): Bar => ({
  instrumentId,
  openTime: 0,
  closeTime: 60_000,
  open: close,
  high: close,
  low: close,
  close,
  volume: 1,
});
const tick = (instrumentId: string, price: number): TradeTick => ({
  instrumentId,
  tradeId: 't',
  price,
  size: 1,
  aggressor: 'BUY',
  ts: 0,
});

describe('DataEngine', () => {
  it("gives each instrument's last price as the decimal Dec(price) is, after any bars, trades and seeds", () => {
    const price = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: -(10 ** 9), max: 10 ** 9 }).map((i) => i / 100),
      fc.constantFrom(0, -0, 101.37, 1e15, 0.1 + 0.2, 5e-324),
    );
    const step = fc.record({
      kind: fc.constantFrom('bar', 'trade', 'seed', 'ask'),
      id: fc.constantFrom('A', 'B'),
      price,
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const data = new DataEngine(new MessageBus());
        const last = new Map<string, number>();
        for (const s of steps) {
          if (s.kind === 'bar') data.onBar(bar(s.id, s.price));
          if (s.kind === 'trade') data.onTrade(tick(s.id, s.price));
          if (s.kind === 'seed') data.seed(s.id, s.price);
          // the engine keeps a price equal to the last one (=== : 0 and -0 are one price)
          const kept = last.get(s.id);
          if (s.kind !== 'ask' && !(s.kind === 'seed' && kept !== undefined) && kept !== s.price)
            last.set(s.id, s.price);
          for (const id of ['A', 'B']) {
            const n = last.get(id);
            expect(exact(data.lastPrice(id))).toEqual(n === undefined ? null : exact(Dec(n)));
          }
        }
        for (const [id, d] of data.marks()) expect(exact(d)).toEqual(exact(Dec(last.get(id)!)));
      }),
      { numRuns: 500 },
    );
  });

  it('converts a price once: asked again, the same decimal; a new price, a new decimal', () => {
    const data = new DataEngine(new MessageBus());
    data.onBar(bar('A', 101.37));
    const first = data.lastPrice('A');
    expect(data.lastPrice('A')).toBe(first);
    data.onBar(bar('A', 101.37));
    expect(data.lastPrice('A')).toBe(first);
    data.onBar(bar('A', 101.38));
    expect(data.lastPrice('A')!.toFixed()).toBe('101.38');
    expect(data.lastPrice('A')).toBe(data.lastPrice('A'));
  });
});
