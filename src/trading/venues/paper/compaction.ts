import type { SimulatedExchangeOptions } from '../../backtest/simulated-exchange.js';
import type { InstrumentJson } from '../../model/instrument.js';
import { startWorker } from '../start-worker.js';
import type { VenueFiles } from './venue-files.js';

/** A snapshot to build off the event loop (compaction-worker.ts): plain data, as posted. */
export interface CompactionJob {
  readonly files: VenueFiles;
  /** The op the snapshot is after: the last op of `files.prev`. */
  readonly seq: number;
  /** The fencing token written into it (0: none). */
  readonly token: number;
  /** Where the worker writes it; the venue renames it into place. */
  readonly tmp: string;
  readonly options: Omit<SimulatedExchangeOptions, 'instruments'> & {
    readonly instruments: readonly InstrumentJson[];
  };
  /** The venue's `setInstrument` calls, each made after op `after`, in order. */
  readonly changes: readonly { readonly after: number; readonly instrument: InstrumentJson }[];
}

/** A running compaction: `done` answers the snapshot's size in bytes, or rejects; either once its thread has ended. */
export interface RunningCompaction {
  readonly done: Promise<number>;
  /** Ends the worker (`done` rejects, unless it had answered). */
  stop(): void;
  /** Keeps the process alive until the worker ends (someone waits for it). */
  ref(): void;
}

/**
 * Runs `job` in a worker thread of its own, which ends when the snapshot is written. The worker
 * does not keep the process alive (unref'd) unless `ref()` is called: a process that exits
 * mid-compaction leaves the files as they were, which a restart reads as it reads them any time.
 */
export function compactInWorker(job: CompactionJob): RunningCompaction {
  const worker = startWorker(import.meta.url, 'compaction-worker', job);
  worker.unref();
  // Settles once the thread has ended: whoever awaits it knows no thread is left.
  const done = new Promise<number>((resolve, reject) => {
    let size: number | null = null;
    let error: unknown = null;
    worker.once('message', (bytes: number) => (size = bytes));
    worker.once('error', (e) => (error = e));
    worker.once('exit', (code) =>
      size !== null
        ? resolve(size)
        : reject(error ?? new Error(`compaction worker exited (${code})`)),
    );
  });
  // Handled by whoever awaits it; never an unhandled rejection if nobody does.
  done.catch(() => undefined);
  return { done, stop: () => void worker.terminate(), ref: () => worker.ref() };
}
