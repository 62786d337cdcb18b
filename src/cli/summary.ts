import Table from 'cli-table3';
import type { BacktestRun } from '../trading/backtest/backtest-engine.js';
import { barCount, DAILY_BAR_MS } from '../trading/backtest/build-report.js';
import type { BacktestReport } from '../trading/backtest/report.js';

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const days = (ms: number) => `${(ms / 86_400_000).toFixed(1)} days`;

/** Prints the backtest summary table to stdout. */
export function printSummary(report: BacktestReport, run: BacktestRun): void {
  const m = report.metrics;
  const t = new Table({ head: ['metric', 'value'], style: { head: [], border: [] } });
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  // Daily bars are named by their date (the period's from and to are their opens).
  const daily = report.period.barMs >= DAILY_BAR_MS;
  const when = (ms: number) => (daily ? iso(ms).slice(0, 10) : iso(ms));
  t.push(
    ['strategy', `${report.strategy} on ${report.instrumentId}`],
    [
      'period',
      `${when(report.period.from)} → ${when(report.period.to)} (${barCount(report.period)})`,
    ],
    ['start equity', m.startEquity],
    ['end equity', m.endEquity],
    ['total return', pct(m.totalReturn)],
    ['CAGR', pct(m.cagr)],
    ['Sharpe (ann.)', m.sharpe.toFixed(3)],
    ['Sortino (ann.)', m.sortino.toFixed(3)],
    ['max drawdown', `${pct(m.maxDrawdown)} over ${days(m.maxDrawdownDuration)}`],
    ['round trips', String(m.roundTrips)],
    ['win rate', pct(m.winRate)],
    ['profit factor', m.profitFactor === null ? 'n/a (no losing trip)' : m.profitFactor.toFixed(3)],
    ['exposure', pct(m.exposure)],
    ['fees', m.fees],
    ['orders / fills', `${report.orders.length} / ${report.fills.length}`],
  );
  const denied = report.orders.filter((o) => o.status === 'DENIED').length;
  if (denied > 0) t.push(['denied orders', String(denied)]);
  if (run.alerts.length > 0) t.push(['alerts', String(run.alerts.length)]);
  const f = report.failure;
  if (f)
    t.push(['status', `FAILED in ${f.phase}${f.barIndex === null ? '' : ` at bar ${f.barIndex}`}`]);
  process.stdout.write(`${t.toString()}\n`);
}
