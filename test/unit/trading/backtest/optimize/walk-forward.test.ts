import fc from 'fast-check';
import { walkForwardFolds } from '../../../../../src/trading/backtest/optimize/walk-forward.js';
import {
  compareRanked,
  objective,
  OBJECTIVE_NAMES,
} from '../../../../../src/trading/backtest/optimize/objective.js';
import {
  chainedMetrics,
  paramStability,
} from '../../../../../src/trading/backtest/optimize/walk-forward-summary.js';
import { computeMetrics } from '../../../../../src/trading/backtest/metrics.js';
import type { Metrics } from '../../../../../src/trading/backtest/report.js';

describe('walk-forward folds', () => {
  it('are ordered, each test right after its train window, tests disjoint and covering the rest', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 100_000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0.25, max: 10, noNaN: true }),
        (bars, k, ratio) => {
          let folds;
          try {
            folds = walkForwardFolds(bars, k, ratio);
          } catch (e) {
            // Only when a window would be empty.
            expect((e as Error).message).toMatch(/are too few/);
            expect(
              Math.floor(bars / (k + ratio)) < 1 ||
                Math.floor(ratio * Math.floor(bars / (k + ratio))) < 1,
            ).toBe(true);
            return;
          }
          expect(folds).toHaveLength(k);
          const testLen = folds[0]!.test.end - folds[0]!.test.start;
          const trainLen = folds[0]!.train.end - folds[0]!.train.start;
          expect(folds[0]!.train.start).toBe(0);
          expect(trainLen).toBeGreaterThanOrEqual(Math.floor(ratio * testLen));
          folds.forEach((f, i) => {
            expect(f.fold).toBe(i + 1);
            // No look-ahead: the test window starts where its train window ends.
            expect(f.test.start).toBe(f.train.end);
            expect(f.train.start).toBeLessThan(f.train.end);
            expect(f.test.start).toBeLessThan(f.test.end);
            // Rolling: every window the same length.
            expect(f.train.end - f.train.start).toBe(trainLen);
            expect(f.test.end - f.test.start).toBe(testLen);
            if (i > 0) {
              expect(f.test.start).toBe(folds[i - 1]!.test.end);
              expect(f.train.start).toBeGreaterThan(folds[i - 1]!.train.start);
            }
          });
          // The tests cover every bar after the first train window, up to the last bar.
          expect(folds[k - 1]!.test.end).toBe(bars);
        },
      ),
    );
  });

  it('refuses folds, ratios and too few bars naming the flag', () => {
    expect(() => walkForwardFolds(100, 0, 3)).toThrow(
      '--walk-forward: must be an integer ≥ 1, was 0',
    );
    expect(() => walkForwardFolds(100, 2, 0)).toThrow(
      '--train-ratio: must be a positive number, was 0',
    );
    expect(() => walkForwardFolds(5, 4, 3)).toThrow(
      '--walk-forward 4: 5 bars are too few for 4 folds with --train-ratio 3 (each window needs a bar)',
    );
    expect(walkForwardFolds(100, 4, 1)[0]).toEqual({
      fold: 1,
      train: { start: 0, end: 20 },
      test: { start: 20, end: 40 },
    });
  });
});

/** The metrics of a flat one-bar run, then `over`. */
const metrics = (over: Partial<Metrics>): Metrics => ({
  ...computeMetrics({
    ...{ times: [0], equity: [100], length: 1, startEquity: '100', endEquity: '100' },
    ...{ roundTrips: [], fees: '0', barsInMarket: 0 },
  }),
  ...over,
});

describe('objectives and ranking', () => {
  it('reads each objective from the metrics, max drawdown lower-is-better', () => {
    const m = metrics({
      sharpe: 1.5,
      sortino: 2,
      totalReturn: 0.3,
      cagr: 0.1,
      maxDrawdown: 0.2,
      profitFactor: 1.8,
      winRate: 0.6,
      roundTrips: 5,
    });
    // In OBJECTIVE_NAMES' order: sharpe, sortino, total-return, cagr, calmar, max-drawdown, …
    expect(OBJECTIVE_NAMES.map((n) => objective(n).of(m))).toEqual([
      1.5, 2, 0.3, 0.1, 0.5, 0.2, 1.8, 0.6,
    ]);
    expect(objective('max-drawdown').better).toBe('lower');
    // Winners only: an unbounded profit factor; no trip: undefined.
    expect(objective('profit-factor').of(metrics({ winRate: 1, roundTrips: 2 }))).toBe(Infinity);
    expect(objective('profit-factor').of(metrics({}))).toBeNull();
    expect(objective('calmar').of(metrics({ cagr: 0.1 }))).toBe(Infinity);
    expect(objective('calmar').of(metrics({}))).toBeNull();
    expect(() => objective('sharp')).toThrow(
      '--objective: must be one of sharpe, sortino, total-return, cagr, calmar, max-drawdown, profit-factor, win-rate, was "sharp"',
    );
  });

  it('ranks best first, ties by grid index, then undefined values, then failures: one order from any input order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(1, 2, 2, null, undefined, Infinity),
            fc.double({ noNaN: true, min: -5, max: 5 }),
          ),
          { minLength: 1, maxLength: 30 },
        ),
        fc.constantFrom('sharpe', 'max-drawdown'),
        fc.integer(),
        (values, name, salt) => {
          const obj = objective(name);
          const runs = values.map((value, index) => ({ index, value }));
          const shuffled = [...runs].sort(
            (a, b) => ((a.index * 7919 + salt) % 31) - ((b.index * 7919 + salt) % 31),
          );
          const a = [...runs].sort(compareRanked(obj));
          expect([...shuffled].sort(compareRanked(obj))).toEqual(a);
          for (let i = 1; i < a.length; i++) {
            const [p, q] = [a[i - 1]!, a[i]!];
            const tier = (v: unknown) => (v === undefined ? 2 : v === null ? 1 : 0);
            expect(tier(p.value)).toBeLessThanOrEqual(tier(q.value));
            if (tier(p.value) === tier(q.value)) {
              if (tier(p.value) === 0 && p.value !== q.value)
                expect(obj.better === 'higher' ? p.value! > q.value! : p.value! < q.value!).toBe(
                  true,
                );
              else expect(p.index).toBeLessThan(q.index);
            }
          }
        },
      ),
    );
  });
});

describe('the out-of-sample figures', () => {
  it('chain the test windows: returns compounded, as one run over the joined curve', () => {
    const day = 86_400_000;
    const w1 = {
      times: [day, 2 * day, 3 * day],
      equity: [100, 110, 105],
      startEquity: '100',
      endEquity: '105',
      roundTrips: [],
      fees: '1.5',
      barsInMarket: 2,
    };
    const w2 = {
      times: [4 * day, 5 * day],
      equity: [90, 120],
      startEquity: '100',
      endEquity: '120',
      roundTrips: [],
      fees: '0.25',
      barsInMarket: 1,
    };
    const c = chainedMetrics([w1, w2]);
    expect(c.totalReturn).toBeCloseTo(1.05 * 1.2 - 1, 9);
    expect(c.fees).toBe('1.75');
    expect(c.endEquity).toBe('126');
    expect(c).toEqual(
      computeMetrics({
        times: [day, 2 * day, 3 * day, 4 * day, 5 * day],
        equity: [100, 110, 105, 94.5, 126],
        length: 5,
        startEquity: '100',
        endEquity: '126',
        roundTrips: [],
        fees: '1.75',
        barsInMarket: 3,
      }),
    );
  });

  it('measures how steady each best value is across folds', () => {
    const s = paramStability(
      [{ fast: 10, mode: 'a' }, { fast: 20, mode: 'a' }, null, { fast: 10, mode: 'b' }],
      ['fast', 'mode'],
    );
    expect(s[0]).toEqual({
      name: 'fast',
      values: [10, 20, null, 10],
      distinct: 2,
      mostCommon: 10,
      mostCommonShare: 0.5,
      min: 10,
      max: 20,
      mean: 13.33333333,
      relativeSpread: 0.3535533906,
    });
    expect(s[1]).toEqual({
      name: 'mode',
      values: ['a', 'a', null, 'b'],
      distinct: 2,
      mostCommon: 'a',
      mostCommonShare: 0.5,
    });
  });
});
