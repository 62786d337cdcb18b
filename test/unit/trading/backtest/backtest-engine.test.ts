import fc from 'fast-check';
import { BacktestEngine } from '../../../../src/trading/backtest/backtest-engine.js';
import { buildReport } from '../../../../src/trading/backtest/build-report.js';
import { KairosError } from '../../../../src/trading/core/errors.js';
import { barsFromColumns, type BarColumns } from '../../../../src/trading/data/bar-columns.js';
import type { Bar } from '../../../../src/trading/data/market-data.js';
import { defineStrategy } from '../../../../src/trading/strategy/define-strategy.js';
import { param } from '../../../../src/trading/strategy/params.js';
import smaCross from '../../../../examples/strategies/sma-cross.js';
import { instrument } from '../../../support/builders.js';

const DAY = 86_400_000;
const bars = (closes: number[], opens?: number[]): Bar[] =>
  closes.map((c, i) => {
    const o = opens?.[i] ?? c;
    return {
      instrumentId: 'TEST/USD',
      openTime: i * DAY,
      closeTime: (i + 1) * DAY,
      open: o,
      high: Math.max(o, c),
      low: Math.min(o, c),
      close: c,
      volume: 1,
    };
  });
async function* source(b: Bar[]) {
  yield b;
}
const inst = instrument({ takerFee: '0.001', makerFee: '0.001' });

describe('BacktestEngine', () => {
  it('sma-cross buys on a cross up at the next open and sells on a cross down', async () => {
    // fast=1 (the close), slow=2: cross up at bar 2, cross down at bar 5.
    const closes = [10, 9, 11, 12, 13, 8, 7];
    const opens = [10, 9, 10.5, 11.5, 12.5, 9, 7.5];
    const run = await new BacktestEngine({
      instrument: inst,
      strategy: smaCross,
      params: { fast: 1, slow: 2, size: '10' },
      cash: '1000',
    }).runBars(source(bars(closes, opens)));
    expect(run.fills.map((f) => `${f.side}@${f.price.toFixed()}@${f.ts / DAY}`)).toEqual([
      'BUY@11.5@3',
      'SELL@7.5@6',
    ]);
    // cash = 1000 − 115 − 0.115 + 75 − 0.075
    expect(run.endEquity.toFixed()).toBe('959.81');
    expect(run.roundTrips).toHaveLength(1);
  });

  it('ctx.position(): flat, then long with its average entry price, in fields and in JSON', async () => {
    const seen: string[] = [];
    const strategy = defineStrategy({
      name: 'position-view',
      onBar(ctx) {
        const p = ctx.position();
        seen.push(JSON.stringify(p));
        const n = ctx.bars(10).length;
        if (n === 1) ctx.buy('2');
        if (n === 2) ctx.buy('1');
        if (n === 4) {
          expect([p.isFlat, p.isLong, p.isShort, p.quantity.toFixed()]).toEqual([
            false,
            true,
            false,
            '3',
          ]);
          // (2 × 11 + 1 × 13) / 3, fees aside
          expect(p.averagePrice?.toFixed(4)).toBe('11.6667');
        }
      },
    });
    await new BacktestEngine({ instrument: inst, strategy, cash: '1000' }).runBars(
      source(bars([10, 12, 14, 14], [10, 11, 13, 14])),
    );
    expect(JSON.parse(seen[0]!)).toEqual({
      quantity: '0',
      isFlat: true,
      isLong: false,
      isShort: false,
      averagePrice: null,
      realizedPnl: '0',
    });
    expect(JSON.parse(seen[3]!)).toMatchObject({ quantity: '3', isLong: true });
    expect(JSON.parse(seen[3]!).averagePrice).toMatch(/^11\.666/);
  });

  it('treats an exact tie as no cross (judged against the last non-zero difference)', async () => {
    // fast=1, slow=2 diffs: bar1 −0.5, bar2 0 (tie), bar3 −0.5 → never crosses up.
    const closes = [10, 9, 9, 8.0, 8];
    const run = await new BacktestEngine({
      instrument: inst,
      strategy: smaCross,
      params: { fast: 1, slow: 2, size: '1' },
      cash: '1000',
    }).runBars(source(bars(closes)));
    expect(run.orders).toHaveLength(0);
  });

  it('denies and drops a market buy the cash cannot cover at the last close plus the taker fee', async () => {
    const seen: string[] = [];
    const strategy = defineStrategy({
      name: 'greedy',
      params: { size: param.decimal('100') },
      onBar(ctx) {
        if (ctx.bars(10).length === 1) {
          const t = ctx.buy(ctx.params.size);
          seen.push(`${t.accepted}:${t.reason}`);
        }
      },
    });
    // 100 × 10 × 1.001 = 1001 > 1000 cash.
    const run = await new BacktestEngine({ instrument: inst, strategy, cash: '1000' }).runBars(
      source(bars([10, 10, 10])),
    );
    expect(seen).toEqual(['false:INSUFFICIENT_BALANCE']);
    expect(run.orders.map((o) => o.status)).toEqual(['DENIED']);
    expect(run.fills).toHaveLength(0);
    // Exactly enough passes: 1000 / 10.01 → 99 units.
    const run2 = await new BacktestEngine({
      instrument: inst,
      strategy,
      params: { size: '99' },
      cash: '1000',
    }).runBars(source(bars([10, 10, 10])));
    expect(run2.orders[0]!.status).toBe('FILLED');
  });

  it('applies the fills of bar t before the strategy sees bar t, and shows only data up to now', async () => {
    const log: string[] = [];
    const strategy = defineStrategy({
      name: 'probe',
      onBar(ctx, bar) {
        const hist = ctx.bars(100);
        expect(hist.at(-1)).toBe(bar);
        expect(hist.every((b) => b.closeTime <= ctx.now())).toBe(true);
        log.push(`${bar.openTime / DAY}:${ctx.position().quantity.toFixed()}`);
        if (hist.length === 1) {
          ctx.buy(1);
          log.push('after-buy');
        }
      },
      onOrderEvent(_ctx, e) {
        log.push(e.kind);
      },
    });
    await new BacktestEngine({ instrument: inst, strategy, cash: '1000' }).runBars(
      source(bars([10, 11, 12])),
    );
    // Events raised inside onBar reach onOrderEvent only after onBar returns (no re-entrancy).
    expect(log).toEqual([
      '0:0',
      'after-buy',
      'OrderSubmitted',
      'OrderAccepted',
      'OrderFilled',
      '1:1',
      '2:1',
    ]);
  });
});

describe('strategy state', () => {
  it('must be plain JSON: the error names the path', async () => {
    const strategy = defineStrategy({
      name: 'bad-state',
      init: () => ({ ok: 1, nested: { when: new Date(0) as never } }),
    });
    await expect(
      new BacktestEngine({ instrument: inst, strategy, cash: '1' }).runBars(source(bars([1, 2]))),
    ).rejects.toThrow('strategy state state.nested.when: a Date is not plain JSON');
  });

  it('comes back as the final state of the run', async () => {
    const run = await new BacktestEngine({
      instrument: inst,
      strategy: smaCross,
      params: { fast: 1, slow: 2, size: '1' },
      cash: '100',
    }).runBars(source(bars([1, 2, 3, 2])));
    expect(run.finalState).toEqual({ lastSign: -1 });
  });

  it('shows the last `history` bars (any count asked) and the last close, after any number of bars', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.array(
          fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constantFrom(Infinity, -3, 2.7, -0.5)),
          { minLength: 1, maxLength: 250 },
        ),
        async (history, counts) => {
          const seen: Bar[] = [];
          const prices: (number | null)[] = [];
          const strategy = defineStrategy({
            name: 'window',
            history,
            init(ctx) {
              prices.push(ctx.lastPrice());
              return {};
            },
            onBar(ctx, bar) {
              seen.push(bar);
              prices.push(ctx.lastPrice());
              const count = counts[(seen.length - 1) % counts.length]!;
              // the window, then its last floor(count) bars (all of them past them)
              const held = seen.slice(-history);
              const k = Math.max(0, Math.floor(count));
              const expected = k >= held.length ? held : held.slice(held.length - k);
              expect(ctx.bars(count)).toEqual(expected);
            },
          });
          const closes = counts.map((_, i) => 10 + ((i * 7) % 13) / 4);
          await new BacktestEngine({ instrument: inst, strategy, cash: '1000' }).runBars(
            source(bars(closes)),
          );
          expect(prices).toEqual([null, ...closes]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('shows the same bars, in order, in a window that slides over thousands of bars', async () => {
    // Long enough for the history to move its bars down many times, whatever the capacity.
    const closes = Array.from({ length: 6_000 }, (_, i) => 10 + ((i * 7) % 13) / 4);
    for (const history of [1, 3, 255, 256, 257, 500, 1_000, 5_000]) {
      const seen: Bar[] = [];
      let wrong = 0;
      const strategy = defineStrategy({
        name: 'long-window',
        history,
        onBar(ctx, bar) {
          seen.push(bar);
          const got = ctx.bars(Infinity);
          const held = seen.slice(-history);
          if (got.length !== held.length || got.some((b, i) => b !== held[i])) wrong++;
        },
      });
      await new BacktestEngine({ instrument: inst, strategy, cash: '1000' }).runBars(
        source(bars(closes)),
      );
      expect({ history, bars: seen.length, wrong }).toEqual({ history, bars: 6_000, wrong: 0 });
    }
  });

  it('refuses a count that is not a number, and keeps the window for every other count', async () => {
    const asked: unknown[] = [];
    const strategy = defineStrategy({
      name: 'nan-window',
      history: 3,
      init: () => ({}),
      onBar(ctx) {
        try {
          asked.push(ctx.bars(Number.NaN).length);
        } catch (e) {
          asked.push((e as Error).message);
        }
        asked.push(ctx.bars(Infinity).length);
      },
    });
    await new BacktestEngine({ instrument: inst, strategy, cash: '1000' }).runBars(
      source(bars([10, 11, 12, 13, 14, 15, 16, 17])),
    );
    const refusal = 'ctx.bars(count): count must be a number, got NaN';
    expect(asked).toEqual([refusal, 1, refusal, 2, ...Array(6).fill([refusal, 3]).flat()]);
  });

  it('refuses a bar that opens before the previous one closed, naming both times', async () => {
    const [a, b] = bars([10, 11]);
    const overlapping = { ...b!, openTime: a!.closeTime - 1 };
    await expect(
      new BacktestEngine({ instrument: inst, strategy: smaCross, cash: '1000' }).runBars(
        source([a!, overlapping]),
      ),
    ).rejects.toThrow(
      new KairosError(
        'DATA_ORDER',
        `bar at ${a!.closeTime - 1} opens before the previous bar closed (${a!.closeTime})`,
      ),
    );
    // a bar that opens exactly at the previous close, or one that repeats a time, is in order
    const run = await new BacktestEngine({
      instrument: inst,
      strategy: smaCross,
      cash: '1000',
    }).runBars(source([a!, b!, { ...b!, openTime: b!.closeTime, closeTime: b!.closeTime }]));
    expect(run.events).toBe(3);
  });
});

describe('BacktestEngine.runBarColumns', () => {
  const runOf = async (cols: BarColumns, from?: number, to?: number, useColumns = true) => {
    const engine = new BacktestEngine({
      instrument: inst,
      strategy: smaCross,
      params: { fast: 2, slow: 5, size: '3' },
      cash: '1000',
    });
    const range = { instrumentId: 'TEST/USD', from, to };
    return useColumns
      ? engine.runBarColumns(cols, range)
      : engine.runBars(barsFromColumns(cols, range));
  };
  const report = async (cols: BarColumns, from?: number, to?: number, useColumns = true) => {
    const run = await runOf(cols, from, to, useColumns);
    const labels = { strategy: 's', instrumentId: 'TEST/USD', dataFile: 'f', settings: {} };
    return JSON.stringify(buildReport(run, labels));
  };
  const columnsOf = (b: Bar[]): BarColumns => {
    const col = (f: (x: Bar) => number) => Float64Array.from(b, f);
    return {
      length: b.length,
      openTime: col((x) => x.openTime),
      closeTime: col((x) => x.closeTime),
      open: col((x) => x.open),
      high: col((x) => x.high),
      low: col((x) => x.low),
      close: col((x) => x.close),
      volume: col((x) => x.volume),
    };
  };

  it('gives the report runBars gives on the same bars, any from/to', async () => {
    const walk = Array.from({ length: 300 }, (_, i) => 100 + 10 * Math.sin(i / 7) + (i % 5));
    const cols = columnsOf(bars(walk));
    for (const [from, to] of [
      [undefined, undefined],
      [40 * DAY, undefined],
      [undefined, 250 * DAY],
      [17 * DAY, 123 * DAY],
    ])
      expect(await report(cols, from, to)).toBe(await report(cols, from, to, false));
    // the recorder reads the columns themselves, no copy
    expect((await runOf(cols, 40 * DAY)).recorder.closes.buffer).toBe(cols.close.buffer);
  });

  it('runs rows that are not consecutive (others between them out of range) as runBars does', async () => {
    const b = bars([10, 11, 12, 13, 9, 8, 7, 12, 14, 15]);
    const late = { ...b[9]!, openTime: 50 * DAY, closeTime: 51 * DAY };
    const cols = columnsOf([b[0]!, late, ...b.slice(1, 9)]);
    expect(await report(cols, undefined, 20 * DAY)).toBe(
      await report(cols, undefined, 20 * DAY, false),
    );
    expect((await runOf(cols, undefined, 20 * DAY)).recorder.closes.buffer).not.toBe(
      cols.close.buffer,
    );
  });

  it('runs columns out of time order as runBars does (refused, naming the bar)', async () => {
    const b = bars([10, 11, 12, 13]);
    const cols = columnsOf([b[0]!, b[2]!, b[1]!, b[3]!]);
    await expect(report(cols)).rejects.toThrow(
      `bar at ${DAY} opens before the previous bar closed (${3 * DAY})`,
    );
  });
});
