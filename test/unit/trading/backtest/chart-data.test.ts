import fc from 'fast-check';
import { chartData, MAX_MARKERS } from '../../../../src/trading/backtest/chart-data.js';
import { renderReportHtml } from '../../../../src/trading/backtest/report-html.js';
import type { BacktestReport, ReportFill } from '../../../../src/trading/backtest/report.js';

const MIN = 60_000;
const report = (fills: ReportFill[], tick = '0.00000001', bars = 400): BacktestReport => ({
  kairosReportVersion: 1,
  strategy: 's',
  instrumentId: 'BTC/USDT',
  dataFile: 'f.json',
  parameters: {},
  settings: { tick },
  period: { from: 0, to: bars * MIN, bars, barMs: MIN },
  metrics: {
    startEquity: '100',
    endEquity: '100.00001',
    totalReturn: 0,
    cagr: 0,
    sharpe: 0,
    sortino: 0,
    maxDrawdown: 0,
    maxDrawdownDuration: 0,
    winRate: 0,
    profitFactor: null,
    roundTrips: 0,
    exposure: 0,
    fees: '0',
    periodsPerYear: 525_600,
  },
  orders: [],
  fills,
  roundTrips: [],
  equityCurve: [
    { ts: 0, equity: '100' },
    { ts: MIN, equity: '99.99998' },
    { ts: 2 * MIN, equity: '100.00001' },
  ],
  prices: Array.from({ length: bars }, (_, i) => ({
    ts: i * MIN,
    open: 0.0016,
    high: 0.00161,
    low: 0.00159,
    close: i % 2 ? 0.0016 : 0.0015,
  })),
});
const fill = (ts: number, side: 'BUY' | 'SELL'): ReportFill => ({
  tradeId: `T${ts}${side}`,
  clientOrderId: 'c',
  ts,
  side,
  price: '0.0016',
  quantity: '0.001',
  fee: '0',
  feeCurrency: 'USDT',
  liquidity: 'TAKER',
});

describe('report chart data', () => {
  it('takes the price axis precision from the tick, and enough equity decimals to see it move', () => {
    const d = chartData(report([]));
    expect(d.price).toEqual({ precision: 8, minMove: 0.00000001 });
    expect(d.equityPrecision).toBeGreaterThanOrEqual(6);
    expect(chartData(report([], '0.01')).price).toEqual({ precision: 2, minMove: 0.01 });
    expect(chartData(report([], '1')).price).toEqual({ precision: 0, minMove: 1 });
  });

  it('marks a fill on the bar it happened in: one at a bar’s open (the previous close) on that bar', () => {
    // Price points are at bar closes: the bar closing at 3 min opened at 2 min.
    const d = chartData(report([fill(2 * MIN, 'BUY'), fill(2 * MIN + 1, 'SELL'), fill(0, 'BUY')]));
    expect(d.markers.map((m) => [m.ts / MIN, m.side])).toEqual([
      [1, 'BUY'],
      [3, 'BUY'],
      [3, 'SELL'],
    ]);
    // Past the last close (not made by a run): the last bar.
    expect(chartData(report([fill(10_000 * MIN, 'SELL')])).markers[0]!.ts).toBe(399 * MIN);
    expect(d.timeShiftMs).toBe(0);
  });

  it('draws at most MAX_MARKERS markers, grouping per bar and side, and accounts for every fill', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(400 * MIN - 1), fc.boolean()), { maxLength: 2000 }),
        (raw) => {
          const fills = raw.map(([ts, buy]) => fill(ts, buy ? 'BUY' : 'SELL'));
          const d = chartData(report(fills));
          expect(d.markers.length).toBeLessThanOrEqual(MAX_MARKERS);
          if (fills.length <= MAX_MARKERS) expect(d.markers).toHaveLength(fills.length);
          const shown = d.markers.reduce((n, m) => n + m.count, 0);
          if (d.markersDropped === 0) expect(shown).toBe(fills.length);
          for (const m of d.markers) expect(m.ts % MIN).toBe(0); // on a bar
          for (let i = 1; i < d.markers.length; i++)
            expect(d.markers[i]!.ts).toBeGreaterThanOrEqual(d.markers[i - 1]!.ts);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('gives a buy-and-hold line that starts at the starting equity', () => {
    const d = chartData(report([]));
    expect(d.buyAndHold[0]!.value).toBeCloseTo((100 * 0.0015) / 0.0016, 10);
    expect(d.buyAndHold).toHaveLength(400);
  });

  it('says in the page how many fills the markers stand for, and marks a failed run', () => {
    const fills = Array.from({ length: 561 }, (_, i) => fill(i * 30_000, i % 2 ? 'SELL' : 'BUY'));
    const failed = {
      ...report(fills),
      failure: { code: 'STRATEGY_ERROR', phase: 'onBar', barIndex: 99, ts: 0, message: 'x' },
    };
    const html = renderReportHtml(failed, { chartLibrarySource: '' });
    expect(html).toMatch(/561 fills shown as \d+ markers/);
    expect(html).toContain('Run FAILED: partial report');
    expect(html).toContain('Dashed: buy and hold');
  });
});
