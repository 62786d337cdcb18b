import fc from 'fast-check';
import { Dec } from '../../../../src/trading/core/decimal.js';
import { PriceWindow } from '../../../../src/trading/risk/price-window.js';

describe('PriceWindow', () => {
  it('gives the exact low and high of any window up to the horizon (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.nat({ max: 50 }), p: fc.integer({ min: 1, max: 200 }) }), {
          minLength: 1,
          maxLength: 80,
        }),
        fc.integer({ min: 1, max: 500 }),
        (steps, windowMs) => {
          const w = new PriceWindow();
          const seen: { ts: number; p: number }[] = [];
          let ts = 0;
          for (const s of steps) {
            ts += s.dt;
            w.record('X', Dec(s.p), ts, 500);
            seen.push({ ts, p: s.p });
            const inWindow = seen.filter((x) => x.ts > ts - windowMs).map((x) => x.p);
            const r = w.range('X', ts, windowMs)!;
            expect(Number(r.low.toFixed())).toBe(Math.min(...inWindow));
            expect(Number(r.high.toFixed())).toBe(Math.max(...inWindow));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('widens a window by the current price on either side, never narrows it (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 200 }),
        (prices, current) => {
          const w = new PriceWindow();
          prices.forEach((p, i) => w.record('X', Dec(p).div(4), i, 1000));
          const r = w.range('X', prices.length, 1000, Dec(current).div(4))!;
          expect(r.low.toFixed()).toBe(
            Dec(Math.min(current, ...prices))
              .div(4)
              .toFixed(),
          );
          expect(r.high.toFixed()).toBe(
            Dec(Math.max(current, ...prices))
              .div(4)
              .toFixed(),
          );
        },
      ),
    );
  });

  it('stays bounded on a long trend, and only ever widens the range when full', () => {
    const w = new PriceWindow(8);
    for (let i = 1; i <= 1000; i++) w.record('X', Dec(i), i, 10_000);
    const r = w.range('X', 1000, 10_000)!;
    expect(r.high.toFixed()).toBe('1000');
    // The true low is 1; kept samples merge towards older (lower) prices, never higher ones.
    expect(r.low.lte(1)).toBe(true);
    // The last few are still exact.
    expect(w.range('X', 1000, 3)!.low.toFixed()).toBe('998');
  });

  it('takes out-of-order times as the latest, and widens with the current price', () => {
    const w = new PriceWindow();
    w.record('X', Dec(100), 1000, 60_000);
    w.record('X', Dec(90), 500, 60_000);
    expect(w.range('X', 1000, 1)).toEqual({ low: Dec(90), high: Dec(100) });
    expect(w.range('X', 1000, 10, Dec(120))).toEqual({ low: Dec(90), high: Dec(120) });
    expect(w.range('Y', 1000, 10)).toBeNull();
    expect(w.range('Y', 1000, 10, Dec(5))).toEqual({ low: Dec(5), high: Dec(5) });
  });
});
