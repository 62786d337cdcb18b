import fc from 'fast-check';
import { BacktestEngine } from '../../../../src/trading/backtest/backtest-engine.js';
import { buildReport } from '../../../../src/trading/backtest/build-report.js';
import type { Bar } from '../../../../src/trading/data/market-data.js';
import { defineStrategy } from '../../../../src/trading/strategy/define-strategy.js';
import { param } from '../../../../src/trading/strategy/params.js';
import { StrategyError } from '../../../../src/trading/strategy/strategy-error.js';
import { instrument } from '../../../support/builders.js';

const MIN = 60_000;
const bars = (n: number, batch: number): Bar[][] => {
  const all = Array.from({ length: n }, (_, i) => ({
    instrumentId: 'TEST/USD',
    openTime: i * MIN,
    closeTime: (i + 1) * MIN,
    open: 10 + (i % 7),
    high: 20,
    low: 5,
    close: 10 + (i % 5),
    volume: 1,
  }));
  const out: Bar[][] = [];
  for (let i = 0; i < n; i += batch) out.push(all.slice(i, i + batch));
  return out;
};
async function* source(batches: Bar[][]) {
  yield* batches;
}
const inst = instrument({ takerFee: '0.001', makerFee: '0.001' });

/** Buys one each bar, then throws at bar `at` (0-based). */
const throwsAt = defineStrategy({
  name: 'throws-at',
  params: { at: param.int(0, { min: 0 }) },
  init: () => ({ n: 0 }),
  onBar(ctx) {
    if (ctx.state.n === ctx.params.at) throw new TypeError(`bad thing at ${ctx.state.n}`);
    ctx.state.n += 1;
    ctx.buy('1');
  },
});

describe('a strategy that throws', () => {
  it('ends the backtest at that bar with a partial run naming the bar, time and error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        async (at, batch) => {
          const run = await new BacktestEngine({
            instrument: inst,
            strategy: throwsAt,
            params: { at },
            cash: '100000',
          }).runBars(source(bars(50, batch)));
          expect(run.failure).toBeInstanceOf(StrategyError);
          expect(run.failure).toMatchObject({
            code: 'STRATEGY_ERROR',
            strategy: 'throws-at',
            phase: 'onBar',
            barIndex: at,
            ts: (at + 1) * MIN,
            message: `bad thing at ${at}`,
          });
          expect(run.failure!.cause).toBeInstanceOf(TypeError);
          // The run up to there is kept: one order per bar before, no onStop.
          expect(run.orders).toHaveLength(at);
          expect(run.events).toBe(at + 1);
          const report = buildReport(run, {
            strategy: 'throws-at',
            instrumentId: inst.id,
            dataFile: 'x',
            settings: {},
          });
          expect(report.failure).toEqual({
            code: 'STRATEGY_ERROR',
            phase: 'onBar',
            barIndex: at,
            ts: (at + 1) * MIN,
            message: `bad thing at ${at}`,
          });
        },
      ),
      { numRuns: 30 },
    );
  });

  it('reads a RangeError thrown by init as a parameter refusal (PARAM_INVALID), not a crash', async () => {
    // A rule the param declarations cannot state, checked by the strategy's own init.
    const evenOnly = defineStrategy({
      name: 'even-only',
      params: { n: param.int(2, { min: 0 }) },
      init: (ctx) => {
        if (ctx.params.n % 2 !== 0) throw new RangeError('param "n": must be even');
        return {};
      },
      onBar() {},
    });
    const engine = new BacktestEngine({
      instrument: inst,
      strategy: evenOnly,
      params: { n: 3 },
      cash: '1000',
    });
    const err = await engine.runBars(source(bars(3, 3))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrategyError);
    expect(err).toMatchObject({ code: 'PARAM_INVALID', phase: 'init', barIndex: null });
    expect((err as Error).message).toBe('param "n": must be even');
  });

  it('keeps a completed run free of any failure field (reports stay byte-identical)', async () => {
    const run = await new BacktestEngine({
      instrument: inst,
      strategy: throwsAt,
      params: { at: 1000 },
      cash: '100000',
    }).runBars(source(bars(5, 2)));
    expect(run.failure).toBeUndefined();
    const report = buildReport(run, {
      strategy: 's',
      instrumentId: inst.id,
      dataFile: 'x',
      settings: {},
    });
    expect('failure' in report).toBe(false);
  });
});
