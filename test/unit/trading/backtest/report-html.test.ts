import { renderReportHtml } from '../../../../src/trading/backtest/report-html.js';
import type { BacktestReport } from '../../../../src/trading/backtest/report.js';

const report = (name: string): BacktestReport => ({
  kairosReportVersion: 1,
  strategy: name,
  instrumentId: 'X/Y',
  dataFile: 'f.csv',
  parameters: { evil: '<img src=x onerror=alert(1)>' },
  settings: {},
  period: { from: 0, to: 86_400_000, bars: 2, barMs: 86_400_000 },
  metrics: {
    startEquity: '1',
    endEquity: '1',
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
    periodsPerYear: 252,
  },
  orders: [],
  fills: [],
  roundTrips: [],
  equityCurve: [{ ts: 0, equity: '1' }],
  prices: [{ ts: 0, open: 1, high: 1, low: 1, close: 1 }],
});

describe('renderReportHtml', () => {
  const lib = 'window.LightweightCharts = {}; /* library */';

  it('is self-contained: the library is inlined and nothing is loaded from the network', () => {
    const html = renderReportHtml(report('s'), { chartLibrarySource: lib });
    expect(html).toContain('/* library */');
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });

  it('escapes names and parameters; embedded JSON cannot close its script element', () => {
    const evil = '</script><script>alert(1)</script>';
    const html = renderReportHtml(report(evil), { chartLibrarySource: lib });
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;/script&gt;');
  });

  it('is byte-identical for the same input', () => {
    expect(renderReportHtml(report('s'), { chartLibrarySource: lib })).toBe(
      renderReportHtml(report('s'), { chartLibrarySource: lib }),
    );
  });
});
