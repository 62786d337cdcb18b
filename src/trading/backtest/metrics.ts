import { Dec, ZERO } from '../core/decimal.js';
import { signOf } from '../core/scaled-decimal.js';
import type { Metrics, RoundTrip } from './report.js';

/** What the metrics are computed from. */
export interface MetricsInput {
  /** Bar close times, ms. */
  readonly times: ArrayLike<number>;
  /** Float equity per bar (statistics only). */
  readonly equity: ArrayLike<number>;
  readonly length: number;
  readonly startEquity: string;
  readonly endEquity: string;
  readonly roundTrips: readonly RoundTrip[];
  readonly fees: string;
  readonly barsInMarket: number;
}

const DAY = 86_400_000;
const YEAR = 365.25 * DAY;

/** Rounds to 10 significant digits so reports are stable; NaN/Infinity become 0. */
const r10 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(10)) : 0);

/**
 * Periods per year from the median bar spacing; daily bars that skip weekends count 252 a year.
 *
 * @example
 * periodsPerYear([0, 60_000, 120_000], 3); // 525960 (minutes, 24/7)
 */
export function periodsPerYear(times: ArrayLike<number>, n: number): number {
  if (n < 2) return 252;
  const gaps: number[] = [];
  const step = Math.max(1, Math.floor((n - 1) / 10_000));
  for (let i = step; i < n; i += step) gaps.push(times[i]! - times[i - step]!);
  gaps.sort((a, b) => a - b);
  const median = gaps[gaps.length >> 1]! / step;
  if (Math.abs(median - DAY) < DAY / 4) {
    const span = times[n - 1]! - times[0]!;
    const perYear = ((n - 1) / span) * YEAR;
    return perYear < 300 ? 252 : 365;
  }
  return YEAR / median;
}

/**
 * Performance metrics of a run (definitions in docs/metrics.md).
 *
 * @example
 * const m = computeMetrics({ times, equity, length, startEquity: '100000', endEquity, roundTrips, fees, barsInMarket });
 */
export function computeMetrics(input: MetricsInput): Metrics {
  const { times, equity, length: n } = input;
  const start = Number(input.startEquity);
  const end = Number(input.endEquity);
  const ppy = periodsPerYear(times, n);
  let mean = 0;
  let m2 = 0;
  let down = 0;
  let count = 0;
  let prev = start;
  for (let i = 0; i < n; i++) {
    const e = equity[i]!;
    const r = prev !== 0 ? e / prev - 1 : 0;
    prev = e;
    count++;
    const d = r - mean;
    mean += d / count;
    m2 += d * (r - mean);
    // Stryker disable next-line EqualityOperator: equivalent, a return of 0 adds 0 to the downside sum
    if (r < 0) down += r * r;
  }
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, with one return or none m2 is 0 and 0 / 0 or -0 gives no positive sd either
  const sd = count > 1 ? Math.sqrt(m2 / (count - 1)) : 0;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, with no return down / 0 is NaN, no positive dd either
  const dd = count > 0 ? Math.sqrt(down / count) : 0;
  let peak = start;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, with no bar nothing reads peakAt
  let peakAt = n > 0 ? times[0]! : 0;
  let under = false;
  let maxDd = 0;
  let maxDur = 0;
  for (let i = 0; i < n; i++) {
    const e = equity[i]!;
    if (e >= peak) {
      if (under) maxDur = Math.max(maxDur, times[i]! - peakAt);
      under = false;
      peak = e;
      peakAt = times[i]!;
    } else {
      under = true;
      if (peak > 0) maxDd = Math.max(maxDd, 1 - e / peak);
    }
  }
  if (under) maxDur = Math.max(maxDur, times[n - 1]! - peakAt);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, one bar spans 0 years and no bar NaN: neither is > 0
  const years = n > 1 ? (times[n - 1]! - times[0]!) / YEAR : 0;
  // Stryker disable next-line ConditionalExpression: equivalent, r10 makes a NaN or infinite ratio 0
  const total = start !== 0 ? end / start - 1 : 0;
  let wins = 0;
  let grossWin = ZERO;
  let grossLoss = ZERO;
  for (const t of input.roundTrips) {
    const p = Dec(t.pnl);
    if (signOf(p) > 0) {
      wins++;
      grossWin = grossWin.plus(p);
    } else grossLoss = grossLoss.plus(p);
  }
  const trips = input.roundTrips.length;
  return {
    startEquity: input.startEquity,
    endEquity: input.endEquity,
    totalReturn: r10(total),
    // Everything lost (an end of 0) is -100 % a year; a negative end has no real root: 0.
    cagr: r10(years > 0 && end >= 0 && start > 0 ? (end / start) ** (1 / years) - 1 : 0),
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent at sd 0, r10 makes a NaN or infinite ratio 0
    sharpe: r10(sd > 0 ? (mean / sd) * Math.sqrt(ppy) : 0),
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent at dd 0, r10 makes a NaN or infinite ratio 0
    sortino: r10(dd > 0 ? (mean / dd) * Math.sqrt(ppy) : 0),
    maxDrawdown: r10(maxDd),
    maxDrawdownDuration: maxDur,
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent at 0 trips, r10 makes a NaN or infinite ratio 0
    winRate: r10(trips > 0 ? wins / trips : 0),
    profitFactor:
      signOf(grossLoss) === 0 ? null : r10(Number(grossWin.div(grossLoss.abs()).toString())),
    roundTrips: trips,
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent at 0 bars, r10 makes a NaN or infinite ratio 0
    exposure: r10(n > 0 ? input.barsInMarket / n : 0),
    fees: input.fees,
    periodsPerYear: r10(ppy),
  };
}
