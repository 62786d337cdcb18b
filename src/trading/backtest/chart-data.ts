import { DAILY_BAR_MS } from './build-report.js';
import type { BacktestReport } from './report.js';

/** Most trade markers drawn on the price chart; past it they are grouped, then thinned. */
export const MAX_MARKERS = 300;

/** One marker on the price chart: one fill, or the fills of one side grouped on a bar. */
export interface ChartMarker {
  readonly ts: number;
  readonly side: 'BUY' | 'SELL';
  readonly count: number;
}

/** What the report's charts draw besides the series themselves. */
export interface ChartData {
  /** Decimals and smallest move of the price axis: from the instrument's tick. */
  readonly price: { readonly precision: number; readonly minMove: number };
  /** Decimals of the equity axis: enough to see the curve move. */
  readonly equityPrecision: number;
  readonly markers: readonly ChartMarker[];
  /** Fills the markers stand for, and how many markers were dropped to stay readable. */
  readonly markerFills: number;
  readonly markersDropped: number;
  /** Buy and hold: the starting equity put into the instrument at the first open (no fees). */
  readonly buyAndHold: readonly { readonly ts: number; readonly value: number }[];
  /**
   * How far back every point is drawn: daily (or longer) bars one bar, so that a bar's candle and
   * the equity at its close (both at the close, the next midnight) sit on the bar's own date, as
   * daily charts show them; 0 for shorter bars (drawn at their close).
   */
  readonly timeShiftMs: number;
}

const decimalsOf = (s: string) => {
  const i = s.indexOf('.');
  return i < 0 ? 0 : s.length - i - 1;
};

/**
 * The chart settings of a report: the price axis shows as many decimals as the tick has (a
 * price of 0.0016 is not "0.00"); markers are grouped per bar and side past `MAX_MARKERS`, and
 * thinned evenly if still too many; a buy-and-hold line to compare the equity with.
 * Deterministic.
 *
 * @example
 * const data = chartData(report); // embedded in report.html
 */
export function chartData(report: BacktestReport): ChartData {
  const tick = String(report.settings.tick ?? '0.01');
  const precision = Math.min(12, Math.max(decimalsOf(tick), 0));
  const price = { precision, minMove: Number(tick) > 0 ? Number(tick) : 10 ** -precision };

  const eq = report.equityCurve.map((p) => Number(p.equity));
  const range = eq.length ? Math.max(...eq) - Math.min(...eq) : 0;
  const equityPrecision =
    range > 0 ? Math.min(10, Math.max(2, Math.ceil(-Math.log10(range)) + 2)) : 2;

  // Each fill on the price bar it happened in: the first that closes after it (points are at
  // bar closes; a fill at a bar's open, the previous one's close, is the later bar's).
  const times = report.prices.map((p) => p.ts);
  const barOf = (ts: number) => {
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (times[m]! > ts) hi = m;
      else lo = m + 1;
    }
    return times[lo] ?? ts;
  };
  let markers: ChartMarker[] = report.fills.map((f) => ({
    ts: barOf(f.ts),
    side: f.side,
    count: 1,
  }));
  if (markers.length > MAX_MARKERS) {
    const groups = new Map<string, { ts: number; side: 'BUY' | 'SELL'; count: number }>();
    for (const m of markers) {
      const key = `${m.ts}:${m.side}`;
      const g = groups.get(key);
      if (g) g.count++;
      else groups.set(key, { ...m });
    }
    markers = [...groups.values()];
  }
  const grouped = markers.length;
  if (markers.length > MAX_MARKERS) {
    const step = markers.length / MAX_MARKERS;
    markers = Array.from({ length: MAX_MARKERS }, (_, i) => markers[Math.floor(i * step)]!);
  }
  markers.sort((a, b) => a.ts - b.ts || (a.side < b.side ? -1 : a.side > b.side ? 1 : 0));

  const first = report.prices[0]?.open;
  const start = Number(report.metrics.startEquity);
  const buyAndHold =
    first !== undefined && first > 0
      ? report.prices.map((p) => ({ ts: p.ts, value: (start * p.close) / first }))
      : [];
  return {
    price,
    equityPrecision,
    markers,
    markerFills: report.fills.length,
    markersDropped: grouped - markers.length,
    buyAndHold,
    timeShiftMs: report.period.barMs >= DAILY_BAR_MS ? report.period.barMs : 0,
  };
}
