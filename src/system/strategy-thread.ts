import type { Worker } from 'node:worker_threads';
import { KairosError } from '../trading/core/errors.js';
import type { InstrumentJson } from '../trading/model/instrument.js';
import { frame, unframe } from '../trading/strategy/port-transport.js';
import { RemoteSeam } from '../trading/strategy/remote-seam.js';
import type { StrategyTransport } from '../trading/strategy/seam-protocol.js';
import type { SeamHost } from '../trading/strategy/strategy-seam.js';
import { errorFromData, type ErrorData } from '../trading/venues/replay/error-data.js';
import { startWorker } from '../trading/venues/start-worker.js';

/** What a strategy's thread loads (strategy-worker.ts). */
export interface StrategyThreadData {
  /** The strategy's bundle (written by `writeBundle`) and its catalog file, for messages. */
  readonly module: string;
  readonly strategyFile: string;
  /** The instance's parameters as stored (resolved again on the thread). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly strategyId: string;
  readonly instrument: InstrumentJson;
}

/** What the thread posts before it serves requests: it loaded the strategy, or could not. */
export type FromStrategyThread =
  { readonly kind: 'ready' } | { readonly kind: 'fatal'; readonly error: ErrorData };

/** The limits of each strategy's thread (`KAIROS_STRATEGY_TIMEOUT_MS`, `KAIROS_STRATEGY_MEMORY_MB`). */
export interface StrategyThreadLimits {
  /** How long one call (the load, a bar, an order event, a snapshot, the stop) may take. */
  readonly callTimeoutMs: number;
  /** The thread's heap for long-lived objects, in MB: a strategy past it ends its thread alone. */
  readonly memoryMb: number;
}

interface Pending {
  readonly resolve: (reply: string) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One strategy instance on its own worker thread: a strategy that never returns, or that eats
 * memory, ends its thread, never the server's event loop. A call still unanswered after
 * `callTimeoutMs` ends the thread (`STRATEGY_TIMEOUT`); a thread that ends otherwise (out of
 * memory, `process.exit`) fails its calls with `STRATEGY_THREAD_EXITED`. Either way every later
 * call fails the same, so the host fails the instance (its open orders are cancelled).
 *
 * @example
 * const thread = await StrategyThread.open(data, { callTimeoutMs: 10_000, memoryMb: 256 });
 * const seam = new RemoteSeam(host, thread.transport);
 */
export class StrategyThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  /** Why the thread is gone; every call from then on fails with it. */
  #dead: KairosError | null = null;
  #crash: Error | null = null;
  #loaded: (m: FromStrategyThread | null) => void = () => undefined;
  /** What the thread posted first (null: it was gone before). */
  readonly #ready = new Promise<FromStrategyThread | null>((resolve) => (this.#loaded = resolve));

  private constructor(
    private readonly data: StrategyThreadData,
    private readonly limits: StrategyThreadLimits,
  ) {
    const w = (this.#worker = startWorker(import.meta.url, 'strategy-worker', data, {
      maxOldGenerationSizeMb: limits.memoryMb,
    }));
    w.on('message', (m: unknown) => this.#take(m));
    w.on('error', (e) => (this.#crash = e)); // its exit follows
    w.once('exit', (code) => {
      const why =
        this.#crash?.message ?? `it exited with code ${code} (process.exit in the strategy?)`;
      this.#die(
        new KairosError('STRATEGY_THREAD_EXITED', `${this.#name}: its thread ended: ${why}`),
      );
    });
  }

  /** A thread that has loaded the strategy (its load is timed as a call is). */
  static async open(
    data: StrategyThreadData,
    limits: StrategyThreadLimits,
  ): Promise<StrategyThread> {
    const t = new StrategyThread(data, limits);
    const timer = t.#deadline('load');
    const first = await t.#ready;
    clearTimeout(timer);
    if (first?.kind === 'ready') return t;
    await t.close();
    if (first?.kind === 'fatal') throw errorFromData(first.error);
    throw t.#dead ?? new KairosError('STRATEGY_THREAD_EXITED', `${t.#name}: its thread ended`);
  }

  get #name(): string {
    return `strategy "${this.data.strategyId}"`;
  }

  /** Requests as JSON text, each answered by the thread's `StrategySide`. */
  readonly transport: StrategyTransport = (request) => {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = ++this.#next;
    const reply = new Promise<string>((resolve, reject) => {
      const timer = this.#deadline(kindOf(request));
      this.#pending.set(id, { resolve, reject, timer });
    });
    this.#worker.postMessage(frame(id, request));
    return reply;
  };

  /** Ends the thread (the instance stopped, failed, or moved). */
  async close(): Promise<void> {
    this.#die(new KairosError('STRATEGY_THREAD_EXITED', `${this.#name}: its thread was closed`));
    await this.#worker.terminate();
  }

  #take(m: unknown): void {
    if (typeof m !== 'string') {
      const loaded = m as FromStrategyThread;
      if (loaded?.kind === 'ready' || loaded?.kind === 'fatal') this.#loaded(loaded);
      return;
    }
    let reply: { id: number; text: string };
    try {
      reply = unframe(m);
    } catch {
      return; // not the side's answer (the strategy posting on the port itself): not a reply
    }
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    pending.resolve(reply.text);
  }

  /** Ends the thread once `what` has waited `callTimeoutMs` (a wall-clock limit: system layer). */
  #deadline(what: string): NodeJS.Timeout {
    const ms = this.limits.callTimeoutMs;
    return setTimeout(() => {
      this.#die(
        new KairosError(
          'STRATEGY_TIMEOUT',
          `${this.#name}: its ${what} call took longer than ${ms} ms (KAIROS_STRATEGY_TIMEOUT_MS); its thread was ended`,
        ),
      );
      void this.#worker.terminate();
    }, ms);
  }

  #die(why: KairosError): void {
    if (this.#dead) return;
    this.#dead = why;
    this.#loaded(null);
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(why);
    }
    this.#pending.clear();
  }
}

/** The request's kind (`bar`, `drain`...), from its first bytes: what a timeout names. */
function kindOf(request: string): string {
  return /^\{"kind":"(\w+)"/.exec(request)?.[1] ?? 'request';
}

/** A `RemoteSeam` to a strategy on its own thread; `close` ends the thread. */
export class ThreadSeam extends RemoteSeam {
  constructor(
    host: SeamHost,
    private readonly thread: StrategyThread,
  ) {
    super(host, thread.transport);
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
