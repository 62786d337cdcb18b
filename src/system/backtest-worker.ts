// A background backtest's own thread (backtest-thread.ts): loads the strategy's bundle, runs the
// backtest as `kairos backtest` does and posts the report's text, or why it failed.
import { parentPort, workerData } from 'node:worker_threads';
import { errorAsData } from '../trading/venues/replay/error-data.js';
import type { BacktestThreadJob, FromBacktestThread } from './backtest-thread.js';
import { importStrategy } from './load-strategy.js';
import { reportText, runBacktest } from './run-backtest.js';

const job = workerData as BacktestThreadJob;
const post = (m: FromBacktestThread) => parentPort!.postMessage(m);

try {
  const strategy = await importStrategy(job.module, undefined, job.strategyFile);
  const { report, run } = await runBacktest({
    data: job.data,
    strategy: async () => strategy,
    params: job.params,
    settings: job.settings,
  });
  // A strategy that threw fails the job with its message (the CLI keeps the partial report).
  if (run.failure) post({ kind: 'failed', error: errorAsData(run.failure) });
  else post({ kind: 'done', report: reportText(report) });
} catch (e) {
  post({ kind: 'failed', error: errorAsData(e) });
}
