// A paper venue's compaction off the event loop (worker_threads): builds the snapshot after op
// `seq` from the venue's files (the snapshot and the ops of `prev`, replayed as a restart would:
// the simulated exchange is deterministic), writes it to `tmp` and answers its size in bytes.
// The venue renames it into place (paper-venue.ts, "compaction").
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { SimulatedExchange } from '../../backtest/simulated-exchange.js';
import { makeInstrument } from '../../model/instrument.js';
import type { CompactionJob } from './compaction.js';
import { loadVenue, snapshotText } from './venue-files.js';

const job = workerData as CompactionJob;
const exchange = new SimulatedExchange(
  { ...job.options, instruments: job.options.instruments.map(makeInstrument) },
  () => undefined,
);
// The instruments as the venue had them before each op (`setInstrument` between ops).
let change = 0;
const loaded = loadVenue(exchange, job.files.snapshot, [job.files.prev], (seq) => {
  for (; change < job.changes.length && job.changes[change]!.after < seq; change++)
    exchange.setInstrument(makeInstrument(job.changes[change]!.instrument));
});
if (loaded.seq !== job.seq)
  throw new Error(`compaction: the files end at op ${loaded.seq}, not at op ${job.seq}`);
const bytes = Buffer.from(snapshotText(job.seq, exchange.snapshotJson(), job.token));
writeFileSync(job.tmp, bytes);
parentPort!.postMessage(bytes.length);
