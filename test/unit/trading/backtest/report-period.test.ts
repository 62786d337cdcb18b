import { BacktestEngine } from '../../../../src/trading/backtest/backtest-engine.js';
import { barCount, barName, buildReport } from '../../../../src/trading/backtest/build-report.js';
import { chartData } from '../../../../src/trading/backtest/chart-data.js';
import { renderReportHtml } from '../../../../src/trading/backtest/report-html.js';
import { barsFromColumns } from '../../../../src/trading/data/bar-columns.js';
import { columnsOfBars } from '../../../../src/trading/data/bar-batch-columns.js';
import type { Bar } from '../../../../src/trading/data/market-data.js';
import smaCross from '../../../../examples/strategies/sma-cross.js';
import { instrument } from '../../../support/builders.js';

const DAY = 86_400_000;
const MIN = 60_000;
const inst = instrument({ takerFee: '0.001', makerFee: '0.001' });
const labels = { strategy: 'sma-cross', instrumentId: 'TEST/USD', dataFile: 'f', settings: {} };
const iso = (ms: number) => new Date(ms).toISOString();

/** Bars of `ms` each opening at `opens`, a zigzag of closes (so sma-cross trades). */
const barsAt = (opens: readonly number[], ms: number): Bar[] =>
  opens.map((t, i) => {
    const c = 100 + 10 * Math.sin(i / 5);
    return {
      instrumentId: 'TEST/USD',
      openTime: t,
      closeTime: t + ms,
      open: c,
      high: c + 1,
      low: c - 1,
      close: c,
      volume: 1,
    };
  });
/** The weekdays of 2000 from 2000-01-03 (a Monday) to 2000-12-29 (a Friday). */
const weekdays2000 = (): number[] => {
  const out: number[] = [];
  for (let t = Date.UTC(2000, 0, 3); t <= Date.UTC(2000, 11, 29); t += DAY) {
    const d = new Date(t).getUTCDay();
    if (d !== 0 && d !== 6) out.push(t);
  }
  return out;
};
/** The report of sma-cross on `b`, from bars one by one or from their columns. */
const reportOf = async (b: readonly Bar[], columns: boolean) => {
  const engine = new BacktestEngine({
    instrument: inst,
    strategy: smaCross,
    params: { fast: 3, slow: 8, size: '1' },
    cash: '1000',
  });
  const cols = columnsOfBars(b);
  const range = { instrumentId: 'TEST/USD' };
  const run = columns
    ? await engine.runBarColumns(cols, range)
    : await engine.runBars(barsFromColumns(cols, range));
  return buildReport(run, labels);
};

describe("the report's period: the bars' own dates for daily bars, their closes for shorter ones", () => {
  it.each([false, true])(
    'daily bars 2000-01-03…2000-12-29 read 2000-01-03 → 2000-12-29 (columns: %s)',
    async (columns) => {
      const days = weekdays2000();
      const r = await reportOf(barsAt(days, DAY), columns);
      // Before: 2000-01-04 → 2000-12-30, each bar's close (the next midnight).
      expect([iso(r.period.from), iso(r.period.to)]).toEqual([
        '2000-01-03T00:00:00.000Z',
        '2000-12-29T00:00:00.000Z',
      ]);
      expect(r.period).toEqual({ from: days[0], to: days.at(-1), bars: days.length, barMs: DAY });
      // The equity is marked at each bar's close, the instant its close price is known.
      expect(r.equityCurve[0]!.ts).toBe(Date.UTC(2000, 0, 4));
      expect(r.equityCurve.at(-1)!.ts).toBe(Date.UTC(2000, 11, 30));
      expect(r.fills.length).toBeGreaterThan(0);
      // Drawn on the bar's date, and said so.
      const chart = chartData(r);
      expect(chart.timeShiftMs).toBe(DAY);
      const html = renderReportHtml(r, { chartLibrarySource: '' });
      expect(html).toContain(`2000-01-03 → 2000-12-29 · ${days.length} daily bars`);
      expect(html).toContain('the equity at the close of a day’s bar, drawn on that day');
    },
  );

  it('intraday bars keep their close times, as before', async () => {
    const start = Date.UTC(2018, 0, 10, 7);
    const opens = Array.from({ length: 500 }, (_, i) => start + i * MIN);
    const r = await reportOf(barsAt(opens, MIN), false);
    expect(r.period).toEqual({
      from: start + MIN,
      to: start + 500 * MIN,
      bars: 500,
      barMs: MIN,
    });
    expect(r.equityCurve[0]!.ts).toBe(start + MIN);
    const chart = chartData(r);
    expect(chart.timeShiftMs).toBe(0);
    expect(renderReportHtml(r, { chartLibrarySource: '' })).toContain(
      '2018-01-10 → 2018-01-10 · 500 bars',
    );
  });

  it('names bars and counts them for people', () => {
    expect(barName(Date.UTC(2000, 0, 4), DAY)).toBe(Date.UTC(2000, 0, 3));
    expect(barName(Date.UTC(2000, 0, 10), 7 * DAY)).toBe(Date.UTC(2000, 0, 3));
    expect(barName(120_000, MIN)).toBe(120_000);
    expect(barName(Date.UTC(2000, 0, 4), 4 * 3_600_000)).toBe(Date.UTC(2000, 0, 4));
    expect(barCount({ bars: 255, barMs: DAY })).toBe('255 daily bars');
    expect(barCount({ bars: 52, barMs: 7 * DAY })).toBe('52 bars of 7 days');
    expect(barCount({ bars: 13_681, barMs: MIN })).toBe('13681 bars');
  });
});
