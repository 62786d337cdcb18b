import type { Worker } from 'node:worker_threads';
import { KairosError } from '../trading/core/errors.js';
import { startWorker } from '../trading/venues/start-worker.js';
import { errorFromData, type ErrorData } from '../trading/venues/replay/error-data.js';
import type { BacktestSettings } from './run-backtest.js';
import type { WindowJob, WindowResult } from './optimize-window.js';

/** What each worker thread loads once (optimize-worker.ts). */
export interface OptimizeWorkerData {
  /** The strategy's bundle (written by `writeBundle`), its export, and its file for messages. */
  readonly module: string;
  readonly exportName: string | undefined;
  readonly strategyFile: string;
  /** The bars: `BAR_COLUMNS` columns of `length` float64s, shared by every thread, not copied. */
  readonly columns: SharedArrayBuffer;
  readonly length: number;
  /** What the instrument is built from (`backtestInstrument`). */
  readonly dataFile: string;
  readonly dataTick: string;
  readonly settings: BacktestSettings;
}

/** How long one run may take before its thread is ended (`--run-timeout`); null: no limit. */
export interface PoolLimits {
  readonly runTimeoutMs: number | null;
  /** The limit as the user wrote it, for the error message (`30m`). */
  readonly runTimeoutText?: string;
}

/** What a worker posts: it is ready, it could not load, or a job's result. */
export type FromOptimizeWorker =
  | { readonly kind: 'ready' }
  | { readonly kind: 'fatal'; readonly error: ErrorData }
  | { readonly kind: 'result'; readonly result: WindowResult };

/** One thread and the job it runs. */
class Slot {
  #worker!: Worker;
  #reply: ((m: FromOptimizeWorker | null) => void) | null = null;
  #exited = false;

  private constructor(
    readonly data: OptimizeWorkerData,
    readonly limits: PoolLimits,
  ) {}

  /** A thread that has loaded the strategy and the bars. */
  static async open(data: OptimizeWorkerData, limits: PoolLimits): Promise<Slot> {
    const slot = new Slot(data, limits);
    await slot.#start();
    return slot;
  }

  async #start(): Promise<void> {
    this.#exited = false;
    const w = (this.#worker = startWorker(import.meta.url, 'optimize-worker', this.data));
    // A thread ended for a timeout may still post or exit after its successor started: only the
    // current thread answers.
    w.on('message', (m: FromOptimizeWorker) => {
      if (this.#worker === w) this.#take(m);
    });
    w.on('error', () => undefined); // its exit follows
    w.once('exit', () => {
      if (this.#worker !== w) return;
      this.#exited = true;
      this.#take(null);
    });
    const first = await this.#next();
    if (first?.kind === 'ready') return;
    await w.terminate();
    if (first?.kind === 'fatal') throw errorFromData(first.error);
    throw new KairosError('OPTIMIZE_WORKER_EXITED', 'a worker thread ended while it loaded');
  }

  #take(m: FromOptimizeWorker | null): void {
    const reply = this.#reply;
    this.#reply = null;
    reply?.(m);
  }

  #next(): Promise<FromOptimizeWorker | null> {
    if (this.#exited) return Promise.resolve(null);
    return new Promise((resolve) => (this.#reply = resolve));
  }

  /**
   * Runs a job. A thread that dies meanwhile, or that is still running it after the run limit
   * (then it is ended: a loop in the strategy never yields), is the job's error, and a new thread
   * takes its place.
   */
  async call(job: WindowJob): Promise<WindowResult> {
    const answer = this.#next();
    this.#worker.postMessage(job);
    const m = await this.#within(answer);
    if (m !== 'timeout' && m?.kind === 'result') return m.result;
    if (!this.#exited) await this.#worker.terminate();
    await this.#start();
    return {
      ok: false,
      error:
        m === 'timeout'
          ? {
              code: 'OPTIMIZE_RUN_TIMEOUT',
              message: `the run took longer than --run-timeout ${this.limits.runTimeoutText ?? `${this.limits.runTimeoutMs} ms`}; its worker thread was ended`,
            }
          : {
              code: 'OPTIMIZE_WORKER_EXITED',
              message:
                'the worker thread running this combination ended (out of memory, or the strategy ended its thread)',
            },
    };
  }

  /** The answer, or 'timeout' once the run limit has passed (a wall-clock limit: system layer). */
  async #within<T>(answer: Promise<T>): Promise<T | 'timeout'> {
    const ms = this.limits.runTimeoutMs;
    if (ms === null) return answer;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, ms, 'timeout')));
    try {
      return await Promise.race([answer, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }
}

/**
 * Worker threads that each load the strategy and see the bars once (shared memory), then run
 * backtests one after another: a warm process per thread, not a fresh one per run. Results come
 * back in the order of the jobs, whichever thread ran them and whenever they ended, so the same
 * jobs give the same results with 1 thread or many. A run still going after
 * `limits.runTimeoutMs` has its thread ended and is recorded as `OPTIMIZE_RUN_TIMEOUT`.
 *
 * @example
 * const pool = await BacktestPool.start(2, data);
 * try { const results = await pool.run(jobs); } finally { await pool.close(); }
 */
export class BacktestPool {
  readonly #slots: Slot[];

  private constructor(slots: Slot[]) {
    this.#slots = slots;
  }

  /** Starts `threads` threads (at least one) and waits until each has loaded. */
  static async start(
    threads: number,
    data: OptimizeWorkerData,
    limits: PoolLimits = { runTimeoutMs: null },
  ): Promise<BacktestPool> {
    const opened = await Promise.allSettled(
      Array.from({ length: Math.max(1, threads) }, () => Slot.open(data, limits)),
    );
    const slots = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed) {
      await Promise.all(slots.map((s) => s.close()));
      throw failed.reason;
    }
    return new BacktestPool(slots);
  }

  /** Runs the jobs; `results[i]` is `jobs[i]`'s. `onDone` after each. */
  async run(jobs: readonly WindowJob[], onDone?: () => void): Promise<WindowResult[]> {
    const results: WindowResult[] = new Array<WindowResult>(jobs.length);
    let next = 0;
    await Promise.all(
      this.#slots.map(async (slot) => {
        while (next < jobs.length) {
          const i = next++;
          results[i] = await slot.call(jobs[i]!);
          onDone?.();
        }
      }),
    );
    return results;
  }

  /** Ends the threads. */
  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.close()));
  }
}
