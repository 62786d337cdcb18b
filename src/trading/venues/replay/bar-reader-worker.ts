// Reads a bar file off the engine's thread (open-bars-off-thread.ts): each batch `openBars`
// yields is posted as columns whose buffer is transferred, not copied, while the thread holds a
// credit (one comes back for each batch the engine takes); then `end`, or the reader's error.
// A `stop` ends the read at the next batch (the file closed by the reader's own return).
import { parentPort, workerData } from 'node:worker_threads';
import { columnsOfBars } from '../../data/bar-batch-columns.js';
import { errorAsData } from './error-data.js';
import type { BarReaderJob, ToReader, FromReader } from './open-bars-off-thread.js';
import { openBars } from './open-data.js';

const job = workerData as BarReaderJob;
const port = parentPort!;
const post = (m: FromReader, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
let credits = job.credits;
let stopped = false;
let wake = () => {};
const onMessage = (m: ToReader) => {
  if (m === 'stop') stopped = true;
  else credits += m;
  wake();
};
port.on('message', onMessage);
try {
  for await (const batch of openBars(job.file, job.opts)) {
    while (credits === 0 && !stopped) await new Promise<void>((resolve) => (wake = resolve));
    if (stopped) break;
    credits--;
    const columns = columnsOfBars(batch);
    post({ kind: 'bars', columns }, [columns.openTime.buffer as ArrayBuffer]);
  }
  if (!stopped) post({ kind: 'end' });
} catch (e) {
  post({ kind: 'error', error: errorAsData(e) });
}
// No listener left: the thread ends once the file is closed.
port.off('message', onMessage);
