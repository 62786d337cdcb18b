import { KairosError } from '../trading/core/errors.js';
import { errorFromData, type ErrorData } from '../trading/venues/replay/error-data.js';
import { startWorker } from '../trading/venues/start-worker.js';
import type { BacktestSettings } from './run-backtest.js';

/** What a background backtest's thread runs (backtest-worker.ts). */
export interface BacktestThreadJob {
  /** The strategy's bundle (written by `writeBundle`) and its catalog file, for messages. */
  readonly module: string;
  readonly strategyFile: string;
  /** The data file, resolved in its catalog. */
  readonly data: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly settings: BacktestSettings;
}

/** What the thread posts once: the report's text, or why there is none. */
export type FromBacktestThread =
  | { readonly kind: 'done'; readonly report: string }
  | { readonly kind: 'failed'; readonly error: ErrorData };

/** The limits of a background backtest (`KAIROS_BACKTEST_TIMEOUT_MS`, `KAIROS_BACKTEST_MEMORY_MB`). */
export interface BacktestThreadLimits {
  readonly timeoutMs: number;
  readonly memoryMb: number;
}

/** A job's limits unless the server says (`KAIROS_BACKTEST_TIMEOUT_MS`, `KAIROS_BACKTEST_MEMORY_MB`). */
export const BACKTEST_LIMITS: BacktestThreadLimits = { timeoutMs: 1_800_000, memoryMb: 2048 };

/** A backtest running on its own thread: its report's text, and how to end it before. */
export interface BacktestOnThread {
  /** The report's text; rejects with the run's error, `BACKTEST_TIMEOUT` or `BACKTEST_THREAD_EXITED`. */
  readonly report: Promise<string>;
  /** Ends the thread (the server stops): `report` then rejects with `BACKTEST_THREAD_EXITED`. */
  stop(): Promise<void>;
}

/**
 * Runs a background backtest on its own worker thread, so the server's event loop (its orders,
 * API and WebSocket) never waits for it: a long backtest, one whose strategy never returns
 * (ended after `timeoutMs`, `BACKTEST_TIMEOUT`) or one that eats memory (past `memoryMb`,
 * `BACKTEST_THREAD_EXITED`) fails alone.
 *
 * @example
 * const run = backtestOnThread(job, { timeoutMs: 1_800_000, memoryMb: 2048 });
 * const report = await run.report;
 */
export function backtestOnThread(
  job: BacktestThreadJob,
  limits: BacktestThreadLimits,
): BacktestOnThread {
  const worker = startWorker(import.meta.url, 'backtest-worker', job, {
    maxOldGenerationSizeMb: limits.memoryMb,
  });
  let ended: KairosError | null = null;
  let crash: Error | null = null;
  const report = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      ended = new KairosError(
        'BACKTEST_TIMEOUT',
        `the backtest took longer than ${limits.timeoutMs} ms (KAIROS_BACKTEST_TIMEOUT_MS); its thread was ended`,
      );
      void worker.terminate();
    }, limits.timeoutMs);
    worker.on('message', (m: FromBacktestThread) => {
      clearTimeout(timer);
      if (m.kind === 'done') resolve(m.report);
      else reject(errorFromData(m.error));
      void worker.terminate();
    });
    worker.on('error', (e) => (crash = e)); // its exit follows
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        ended ??
          new KairosError(
            'BACKTEST_THREAD_EXITED',
            `the backtest's thread ended: ${crash?.message ?? `it exited with code ${code}`}`,
          ),
      );
    });
  });
  return {
    report,
    stop: async () => {
      ended ??= new KairosError('BACKTEST_THREAD_EXITED', 'the server stopped the backtest');
      await worker.terminate();
    },
  };
}
