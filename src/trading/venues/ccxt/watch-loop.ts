import { ExponentialBackoff, type IBackoff } from 'cockatiel';

/** Options of {@link WatchLoop}. */
export interface WatchLoopOptions<T> {
  /** One ccxt.pro `watch*` call: resolves with the next update, rejects when the socket drops. */
  readonly watch: () => Promise<T>;
  readonly handle: (value: T) => void | Promise<void>;
  /**
   * Runs on the first update after a failure, before it is handled: the subscription is live
   * again, so a REST gap-fill now leaves no hole behind it.
   */
  readonly onReconnect?: () => Promise<void>;
  /**
   * The connections in use now (ccxt's `exchange.clients`). A socket can drop while no `watch`
   * is pending (the loop is busy handling): nothing rejects then, and the next `watch` opens a
   * new connection silently. A connection replaced under the same key (URL) since the previous
   * update counts as a reconnect, so what was missed is filled all the same.
   */
  readonly connections?: () => Readonly<Record<string, object>>;
  /** Runs after a failure and its backoff, before watching again. */
  readonly beforeRetry?: () => Promise<void>;
  readonly onError?: (error: unknown, failures: number) => void;
  /** Exponential backoff with jitter between attempts (defaults 100 ms, doubling to 10 s). */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Consecutive failures after which `run` gives up (default: never). */
  readonly maxFailures?: number;
}

/**
 * Keeps a ccxt.pro subscription alive: calls `watch` in a loop, hands each update to `handle`,
 * and after a failure (a dropped socket rejects the pending `watch`) waits with exponential
 * backoff and jitter (cockatiel) and watches again (ccxt reconnects and resubscribes on the next
 * `watch`); the first update after that runs `onReconnect` (fill what was missed, over REST)
 * before it is handled.
 *
 * @example
 * const loop = new WatchLoop({ watch: () => ex.watchOHLCV('BTC/USDT', '1m'), handle, onReconnect: gapFill });
 * void loop.run();
 * loop.stop();
 */
export class WatchLoop<T> {
  #running = false;
  #watching = false;
  #failures = 0;
  #reconnects = 0;
  #wake: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: WatchLoopOptions<T>) {}

  /** Reconnections so far (failures followed by a new attempt). */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** True while `run` loops. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * True while a `watch` call is pending (stopped or not): a ccxt.pro watch may still be before its
   * socket (loading markets, signing in), which it then opens even on a closed exchange.
   */
  get watching(): boolean {
    return this.#watching;
  }

  /** Loops until `stop()` ('stopped') or `maxFailures` consecutive failures ('gave-up'). */
  async run(): Promise<'stopped' | 'gave-up'> {
    const o = this.options;
    const factory = new ExponentialBackoff({
      initialDelay: o.backoff?.initialMs ?? 100,
      maxDelay: o.backoff?.maxMs ?? 10_000,
    });
    let backoff: IBackoff<unknown> | undefined;
    let reconnected = false;
    let known: Readonly<Record<string, object>> = {};
    this.#running = true;
    this.#failures = 0;
    while (this.#running) {
      try {
        this.#watching = true;
        let value: T;
        try {
          value = await o.watch();
        } finally {
          this.#watching = false;
        }
        this.#failures = 0;
        backoff = undefined;
        const now = o.connections?.() ?? {};
        for (const [key, c] of Object.entries(now))
          if (known[key] && known[key] !== c) reconnected = true;
        known = { ...now };
        if (reconnected && this.#running) {
          reconnected = false;
          this.#reconnects++;
          try {
            await o.onReconnect?.();
          } catch (e) {
            o.onError?.(e, 0);
          }
        }
        if (this.#running) await o.handle(value);
      } catch (error) {
        if (!this.#running) break;
        this.#failures++;
        o.onError?.(error, this.#failures);
        if (o.maxFailures !== undefined && this.#failures >= o.maxFailures) {
          this.#running = false;
          return 'gave-up';
        }
        reconnected = true;
        backoff = backoff ? backoff.next(undefined) : factory.next();
        await this.#sleep(backoff.duration);
        if (!this.#running) break;
        try {
          await o.beforeRetry?.();
        } catch (e) {
          o.onError?.(e, this.#failures);
        }
      }
    }
    return 'stopped';
  }

  /** Ends the loop (a pending backoff wait ends at once). */
  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#wake?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = null;
        resolve();
      };
      this.#timer = setTimeout(() => this.#wake?.(), ms);
    });
  }
}
