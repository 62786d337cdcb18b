import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { KairosError } from '../../core/errors.js';
import { barsOfColumns } from '../../data/bar-batch-columns.js';
import type { BarColumns } from '../../data/bar-columns.js';
import type { Bar } from '../../data/market-data.js';
import { startWorker } from '../start-worker.js';
import { errorFromData, type ErrorData } from './error-data.js';
import { openBars, type OpenOptions } from './open-data.js';
import { ThreadInbox } from './thread-inbox.js';

/** What the reading thread is given (bar-reader-worker.ts). */
export interface BarReaderJob {
  readonly file: string;
  readonly opts: OpenOptions;
  /** Batches it may post before the engine has taken any. */
  readonly credits: number;
}

/** What the reading thread posts: a batch, the end, or the reader's error. */
export type FromReader =
  | { readonly kind: 'bars'; readonly columns: BarColumns }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly error: ErrorData };

/** What it is told: credits for that many more batches, or to stop. */
export type ToReader = number | 'stop';

/**
 * Batches the reading thread may be ahead of the engine: enough that the engine seldom waits
 * (the reader alone is ~2-3x faster than the engine), few enough that memory stays bounded
 * (4,096 bars a batch: ~230 KB of columns, and the objects the reader made for it).
 */
export const CREDITS = 8;

/**
 * Credits handed back at once, each time the engine has taken that many batches: a thread that
 * is ahead waits for its credits, and each message wakes it (a context switch, which on a busy
 * machine also costs this thread its core for a while), so it is woken once per 4 batches, not
 * once per batch.
 */
export const CREDITS_BACK = 4;

/**
 * Files smaller than this are read on the engine's thread: a thread's start and first batch take
 * ~30-50 ms of waiting (longer from the TypeScript sources, which it compiles), which the parse it
 * takes off this thread (~0.25 µs a row) repays only past ~150,000 rows (~7 MB of CSV).
 */
export const OFF_THREAD_MIN_BYTES = 8 << 20;

/** How `openBarsOffThread` reads. */
export interface OffThreadOptions {
  /** Starts the thread (a test's watch); default `startBarReader`. */
  readonly start?: (job: BarReaderJob) => Worker;
  /** Files of fewer bytes on disk are read on this thread; default `OFF_THREAD_MIN_BYTES`. */
  readonly minBytes?: number;
}

/** Starts the reading thread of a job. */
export function startBarReader(job: BarReaderJob): Worker {
  return startWorker(import.meta.url, 'bar-reader-worker', job);
}

/**
 * `openBars` read on a thread of its own (a file of at least `minBytes`): the same bars in the
 * same batches, and the same error (class, code, message, fields) after the same batches, while
 * the engine runs the batches before it on this one. The thread posts each batch as columns
 * (their buffer transferred, not copied) and stays at most a few batches ahead. Stopping early (a `break`, a strategy's error) ends the
 * thread: the generator's return resolves once it has exited. A thread that cannot start, or dies
 * before it says anything, leaves the file to `openBars` on this thread (the same bars, slower);
 * one that dies later fails the stream with `DATA_READER_FAILED`.
 *
 * @example
 * const run = await engine.runBars(openBarsOffThread('bars.csv', { instrumentId: 'BTC/USDT' }));
 */
export async function* openBarsOffThread(
  file: string,
  opts: OpenOptions,
  options: OffThreadOptions = {},
): AsyncGenerator<Bar[]> {
  const { start = startBarReader, minBytes = OFF_THREAD_MIN_BYTES } = options;
  // A missing file (size 0 here) is openBars's to report.
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  if (size < minBytes) {
    yield* openBars(file, opts);
    return;
  }
  let worker: Worker;
  try {
    worker = start({ file, opts: { ...opts }, credits: CREDITS });
  } catch {
    yield* openBars(file, opts);
    return;
  }
  const tell = (m: ToReader) => worker.postMessage(m);
  const inbox = new ThreadInbox<FromReader>(worker);
  let heard = false;
  let taken = 0;
  try {
    for (;;) {
      const m = await inbox.next();
      if (m === null) {
        if (!heard) {
          yield* openBars(file, opts);
          return;
        }
        throw new KairosError(
          'DATA_READER_FAILED',
          `${path.basename(file)}: the thread reading it ended before the file did`,
          { cause: inbox.failure },
        );
      }
      heard = true;
      if (m.kind !== 'bars') {
        if (m.kind === 'error') throw errorFromData(m.error);
        return;
      }
      if (++taken % CREDITS_BACK === 0) tell(CREDITS_BACK);
      yield barsOfColumns(m.columns, opts.instrumentId);
    }
  } finally {
    // A thread that has posted its last word ignores it.
    if (!inbox.exited) tell('stop');
    await inbox.exit();
  }
}
