// A thread of a parameter sweep (optimize-pool.ts): loads the strategy and sees the shared bars
// once, says `ready`, then runs each job it is sent and posts its result, in order.
import { parentPort, workerData } from 'node:worker_threads';
import { columnsIn } from '../trading/data/bar-columns.js';
import { errorAsData } from '../trading/venues/replay/error-data.js';
import { importStrategy } from './load-strategy.js';
import type { FromOptimizeWorker, OptimizeWorkerData } from './optimize-pool.js';
import { runWindow, type WindowContext, type WindowJob } from './optimize-window.js';
import { backtestInstrument } from './run-backtest.js';

const data = workerData as OptimizeWorkerData;
const port = parentPort!;
const post = (m: FromOptimizeWorker) => port.postMessage(m);

let ctx: WindowContext;
try {
  ctx = {
    strategy: await importStrategy(data.module, data.exportName, data.strategyFile),
    columns: columnsIn(new Float64Array(data.columns), data.length),
    instrument: backtestInstrument(data.settings, data.dataTick, data.dataFile),
    settings: data.settings,
  };
  // One job at a time: the pool sends the next once this one's result is posted.
  port.on('message', (job: WindowJob) => {
    void runWindow(ctx, job).then((result) => post({ kind: 'result', result }));
  });
  post({ kind: 'ready' });
} catch (e) {
  post({ kind: 'fatal', error: errorAsData(e) });
}
