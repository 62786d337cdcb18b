import { Dec, ZERO } from '../../core/decimal.js';
import { computeMetrics } from '../metrics.js';
import type { Metrics, RoundTrip } from '../report.js';
import type { ParamValue } from './param-space.js';

/** What the combined out-of-sample figures need of one test window's run. */
export interface WindowRun {
  /** Bar close times and float equity, one per bar. */
  readonly times: ArrayLike<number>;
  readonly equity: ArrayLike<number>;
  readonly startEquity: string;
  readonly endEquity: string;
  readonly roundTrips: readonly RoundTrip[];
  readonly fees: string;
  readonly barsInMarket: number;
}

/** Rounds to 10 significant digits, as the metrics do. */
const r10 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(10)) : 0);

/**
 * The metrics of the test windows chained in time order, as one out-of-sample run: each window's
 * equity curve scaled so that it starts where the one before ended (its returns compounded), the
 * round trips, fees and bars in the market of all of them. Equity here is a statistic (float; the
 * start and end equity as decimal strings of 10 significant digits), each window having run from
 * the same starting cash.
 *
 * @example
 * chainedMetrics([fold1Test, fold2Test]).totalReturn; // (1 + r1)(1 + r2) - 1
 */
export function chainedMetrics(windows: readonly WindowRun[]): Metrics {
  const n = windows.reduce((s, w) => s + w.times.length, 0);
  const times = new Float64Array(n);
  const equity = new Float64Array(n);
  let at = 0;
  let end = windows.length > 0 ? Number(windows[0]!.startEquity) : 0;
  let fees = ZERO;
  let barsInMarket = 0;
  const roundTrips: RoundTrip[] = [];
  for (const w of windows) {
    const scale = end / Number(w.startEquity);
    for (let i = 0; i < w.times.length; i++) {
      times[at] = w.times[i]!;
      equity[at++] = w.equity[i]! * scale;
    }
    end = Number(w.endEquity) * scale;
    fees = fees.plus(Dec(w.fees));
    barsInMarket += w.barsInMarket;
    roundTrips.push(...w.roundTrips);
  }
  return computeMetrics({
    times,
    equity,
    length: n,
    startEquity: windows[0]?.startEquity ?? '0',
    endEquity: String(r10(end)),
    roundTrips,
    fees: fees.toFixed(),
    barsInMarket,
  });
}

/** How steady one swept param's best value is across the folds. */
export interface ParamStability {
  readonly name: string;
  /** The best value of each fold (null: no run of the fold's train window succeeded). */
  readonly values: readonly (ParamValue | null)[];
  /** Distinct best values. */
  readonly distinct: number;
  /** The value best in most folds (the earliest such on a tie) and in what share of the folds. */
  readonly mostCommon: ParamValue | null;
  readonly mostCommonShare: number;
  /** Numbers only: the range, the mean and the standard deviation over the mean's size. */
  readonly min?: number;
  readonly max?: number;
  readonly mean?: number;
  readonly relativeSpread?: number;
}

/**
 * The stability of each swept param's best value across the folds, in the order of `names`.
 *
 * @example
 * paramStability([{ fast: 10 }, { fast: 12 }], ['fast'])[0]; // { distinct: 2, min: 10, max: 12, … }
 */
export function paramStability(
  bests: readonly (Readonly<Record<string, ParamValue>> | null)[],
  names: readonly string[],
): ParamStability[] {
  return names.map((name) => {
    const values = bests.map((b) => (b ? b[name]! : null));
    const present = values.filter((v): v is ParamValue => v !== null);
    const counts = new Map<ParamValue, number>();
    for (const v of present) counts.set(v, (counts.get(v) ?? 0) + 1);
    let mostCommon: ParamValue | null = null;
    let most = 0;
    for (const [v, c] of counts) if (c > most) [mostCommon, most] = [v, c];
    const base = {
      name,
      values,
      distinct: counts.size,
      mostCommon,
      mostCommonShare: r10(bests.length > 0 ? most / bests.length : 0),
    };
    const nums = present.filter((v): v is number => typeof v === 'number');
    if (nums.length === 0 || nums.length !== present.length) return base;
    const mean = nums.reduce((s, v) => s + v, 0) / nums.length;
    const sd = Math.sqrt(nums.reduce((s, v) => s + (v - mean) ** 2, 0) / nums.length);
    return {
      ...base,
      min: Math.min(...nums),
      max: Math.max(...nums),
      mean: r10(mean),
      relativeSpread: r10(mean !== 0 ? sd / Math.abs(mean) : 0),
    };
  });
}
