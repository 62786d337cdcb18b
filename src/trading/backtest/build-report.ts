import { decimalString } from '../core/decimal.js';
import { divideRounded } from '../core/scaled-decimal.js';
import { averageFillPrice } from '../model/order.js';
import type { BacktestRun } from './backtest-engine.js';
import { sampleIndices } from './downsample.js';
import { computeMetrics } from './metrics.js';
import type {
  BacktestReport,
  EquityPoint,
  Metrics,
  PricePoint,
  ReportFill,
  ReportOrder,
  RoundTrip,
} from './report.js';

/** Points kept for the equity curve and the price chart. */
export const MAX_POINTS = 5000;

/** Bars this long or longer are named by the day they open, shorter ones by their close. */
export const DAILY_BAR_MS = 86_400_000;

/**
 * What a bar recorded at its close time `closeTime` is named by: a daily (or longer) bar by its
 * open, the day it is the bar of (a bar of 2000-01-03 closes at 2000-01-04T00:00Z); a shorter one
 * by its close, as before.
 *
 * @example
 * barName(Date.UTC(2000, 0, 4), 86_400_000); // Date.UTC(2000, 0, 3)
 * barName(120_000, 60_000); // 120_000
 */
export function barName(closeTime: number, barMs: number): number {
  return barMs >= DAILY_BAR_MS ? closeTime - barMs : closeTime;
}

/**
 * How many bars a period has, for people: "255 daily bars", "52 bars of 7 days", "13681 bars".
 *
 * @example
 * barCount({ bars: 255, barMs: 86_400_000 }); // '255 daily bars'
 */
export function barCount(period: { readonly bars: number; readonly barMs: number }): string {
  const days = period.barMs / DAILY_BAR_MS;
  if (days === 1) return `${period.bars} daily bars`;
  return days > 1 ? `${period.bars} bars of ${days} days` : `${period.bars} bars`;
}

/** The labels of a report. */
export interface ReportLabels {
  readonly strategy: string;
  readonly instrumentId: string;
  readonly dataFile: string;
  readonly settings: Readonly<Record<string, string | number | null>>;
}

/**
 * Turns a run into the report: decimals as strings, metrics, and the equity curve and prices
 * bounded to 5,000 points (the equity curve keeps each bucket's low). Deterministic.
 *
 * @example
 * const report = buildReport(run, { strategy: 'sma-cross', instrumentId: 'ORCL', dataFile: 'orcl.txt', settings });
 */
export function buildReport(run: BacktestRun, labels: ReportLabels): BacktestReport {
  const rec = run.recorder;
  const orders: ReportOrder[] = run.orders.map((o) => {
    const avg = averageFillPrice(o); // a 30-place division: once per order
    return {
      clientOrderId: o.clientOrderId,
      instrumentId: o.instrumentId,
      side: o.side,
      type: o.type,
      timeInForce: o.timeInForce,
      quantity: decimalString(o.quantity),
      price: o.price ? decimalString(o.price) : null,
      triggerPrice: o.triggerPrice ? decimalString(o.triggerPrice) : null,
      status: o.status,
      reason: o.reason,
      filledQuantity: decimalString(o.filledQuantity),
      avgFillPrice: avg ? decimalString(avg) : null,
      createdAt: o.createdAt,
    };
  });
  const fills: ReportFill[] = run.fills.map((f) => ({
    tradeId: f.tradeId,
    clientOrderId: f.clientOrderId,
    ts: f.ts,
    side: f.side,
    price: decimalString(f.price),
    quantity: decimalString(f.quantity),
    fee: decimalString(f.fee.amount),
    feeCurrency: f.fee.currency,
    liquidity: f.liquidity,
  }));
  const roundTrips = reportRoundTrips(run);
  const n = rec.length;
  const equityCurve: EquityPoint[] = sampleIndices(n, MAX_POINTS, rec.equity).map((i) => ({
    ts: rec.times[i]!,
    equity: decimalString(rec.exactEquity(i)),
  }));
  const prices: PricePoint[] = priceSeries(run);
  const metrics = runMetrics(run, roundTrips);
  return {
    kairosReportVersion: 1,
    strategy: labels.strategy,
    instrumentId: labels.instrumentId,
    dataFile: labels.dataFile,
    parameters: run.params,
    settings: labels.settings,
    period: {
      from: n > 0 ? barName(rec.times[0]!, rec.barMs) : 0,
      to: n > 0 ? barName(rec.times[n - 1]!, rec.barMs) : 0,
      bars: n,
      barMs: rec.barMs,
    },
    metrics,
    orders,
    fills,
    roundTrips,
    equityCurve,
    prices,
    ...(run.failure
      ? {
          failure: {
            code: run.failure.code,
            phase: run.failure.phase,
            barIndex: run.failure.barIndex,
            ts: run.failure.ts,
            message: run.failure.message,
          },
        }
      : {}),
  };
}

/**
 * The round trips of a run as the report has them (decimal strings).
 *
 * @example
 * const trips = reportRoundTrips(run); // trips[0].pnl: '1523.4'
 */
export function reportRoundTrips(run: BacktestRun): RoundTrip[] {
  return run.roundTrips.map((t) => ({
    instrumentId: t.instrumentId,
    side: t.side,
    openedAt: t.openedAt,
    closedAt: t.closedAt,
    quantity: decimalString(t.quantity),
    entryPrice: decimalString(divideRounded(t.entryNotional, t.entryQuantity, 12)),
    exitPrice: decimalString(divideRounded(t.exitNotional, t.exitQuantity, 12)),
    pnl: decimalString(t.grossPnl.minus(t.fees)),
    fees: decimalString(t.fees),
  }));
}

/**
 * The report's metrics of a run (without building the rest of the report: what a parameter
 * sweep keeps of each run), the same numbers as `buildReport(run, …).metrics`.
 *
 * @example
 * runMetrics(run).sharpe; // 0.41
 */
export function runMetrics(
  run: BacktestRun,
  roundTrips: readonly RoundTrip[] = reportRoundTrips(run),
): Metrics {
  const rec = run.recorder;
  return computeMetrics({
    times: rec.times,
    equity: rec.equity,
    length: rec.length,
    startEquity: decimalString(run.startEquity),
    endEquity: decimalString(run.endEquity),
    roundTrips,
    fees: decimalString(run.fees),
    barsInMarket: rec.barsInMarket,
  });
}

/** OHLC merged per bucket so the chart of a long run stays small. */
function priceSeries(run: BacktestRun): PricePoint[] {
  const rec = run.recorder;
  const n = rec.length;
  const ends = sampleIndices(n, MAX_POINTS);
  const out: PricePoint[] = [];
  let start = 0;
  for (const end of ends) {
    let high = -Infinity;
    let low = Infinity;
    for (let i = start; i <= end; i++) {
      if (rec.highs[i]! > high) high = rec.highs[i]!;
      if (rec.lows[i]! < low) low = rec.lows[i]!;
    }
    out.push({ ts: rec.times[end]!, open: rec.opens[start]!, high, low, close: rec.closes[end]! });
    start = end + 1;
  }
  return out;
}
