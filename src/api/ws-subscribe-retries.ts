import { ExponentialBackoff, type IBackoff } from 'cockatiel';

/**
 * What a `subscribe` asked for: the accounts' (instruments') `after`, the instruments named, and
 * (a retry of `risk`) the accounts whose starting snapshot was refused, snapshotted again.
 */
export interface SubscribeRequest {
  readonly after?: Readonly<Record<string, number>>;
  readonly instruments?: readonly string[];
  readonly snapshot?: readonly string[];
}

/** How a subscription the event log did not answer is retried (`docs/api.md`, "WebSocket"). */
export interface SubscribeRetryPolicy {
  /** The first wait (ms), about doubled (with jitter) before each next attempt… */
  readonly initialMs: number;
  /** …up to this wait (ms). */
  readonly maxMs: number;
  /** Attempts after the failed one before the server gives up and closes the socket (1013). */
  readonly attempts: number;
  /**
   * …and at most this long (ms) from the first failure to the end of the last attempt: each
   * attempt's own time counts (a snapshot's owner that does not answer takes the hand-off's 5 s
   * each), so no next attempt starts whose wait plus the last attempt's time would end past it.
   * Default: no bound but the attempts.
   */
  readonly totalMs?: number;
}

/**
 * The gateway's: about 30 s in all (0.25, 0.5, 1, 2, 4, then 5 s waits), the time a Redis
 * failover (Sentinel, ElastiCache) takes; past it the client does better to reconnect, perhaps
 * to an instance that reaches the log.
 */
export const SUBSCRIBE_RETRY: SubscribeRetryPolicy = {
  initialMs: 250,
  maxMs: 5_000,
  attempts: 10,
  totalMs: 30_000,
};

/** What became of a failed subscription: retried later, given up (close the socket), or none. */
export type RetryOutcome = 'retrying' | 'gave-up' | 'closed';

interface Waiting {
  request: SubscribeRequest;
  /** The wait before the next attempt (cockatiel's exponential backoff, decorrelated jitter). */
  backoff: IBackoff<unknown>;
  /** Attempts scheduled so far. */
  attempts: number;
  /** When the first failure was (`now`, ms). */
  readonly since: number;
  /** When the attempt under way (or the last one) started; null before the first retry. */
  started: number | null;
  /** Set while the next attempt waits; null while it runs (queued behind the client's messages). */
  timer: NodeJS.Timeout | null;
}

/**
 * One WebSocket client's subscriptions that failed for want of the event log, each retried by
 * the server with backoff until it subscribes (`subscribed`), the client drops it
 * (`unsubscribe`, a close), or the attempts or `totalMs` run out (`gave-up`: the caller closes
 * with 1013, or, for an account's refused snapshot, tells the client of that account).
 * At most one per channel: a subscription that fails while one waits joins it (its instruments
 * and `after` merged, a later `after` winning), so no client can make the server keep more than
 * one timer per channel. Timers are cleared on `cancel` and `close`.
 *
 * @example
 * const retries = new SubscribeRetries(SUBSCRIBE_RETRY, (kind) => queue(() => attempt(kind)));
 * if (retries.failed('orders', {}) === 'gave-up') socket.close(1013, 'try again later');
 */
export class SubscribeRetries<K extends string> {
  readonly #waiting = new Map<K, Waiting>();
  #closed = false;

  constructor(
    private readonly policy: SubscribeRetryPolicy,
    /**
     * Runs the next attempt of `kind` (the caller queues it behind the client's messages, and
     * reads what to subscribe with `request` when it runs).
     */
    private readonly fire: (kind: K) => void,
    /** +1 when a subscription starts waiting, -1 when it stops (a gauge). */
    private readonly count: (delta: number) => void = () => undefined,
    /** A monotonic clock (ms), for `totalMs`. */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Subscriptions waiting (each with one timer, or its attempt under way). */
  get size(): number {
    return this.#waiting.size;
  }

  /** Whether `kind` waits for a retry. */
  has(kind: K): boolean {
    return this.#waiting.has(kind);
  }

  /**
   * A subscription of `kind` failed for want of the log: it waits for its next attempt (joined
   * with one waiting already), or, its attempts spent, is given up.
   */
  failed(kind: K, request: SubscribeRequest): RetryOutcome {
    if (this.#closed) return 'closed';
    let w = this.#waiting.get(kind);
    if (!w) {
      const backoff = new ExponentialBackoff({
        initialDelay: this.policy.initialMs,
        maxDelay: this.policy.maxMs,
      }).next();
      w = { request, backoff, attempts: 0, since: this.clock(), started: null, timer: null };
      this.#waiting.set(kind, w);
      this.count(1);
    } else w.request = merge(w.request, request);
    // One waiting already keeps its time (a client sending again does not push it back).
    if (w.timer) return 'retrying';
    const wait = w.backoff.duration;
    const now = this.clock();
    const took = w.started === null ? 0 : now - w.started;
    if (
      w.attempts >= this.policy.attempts ||
      now - w.since + wait + took > (this.policy.totalMs ?? Infinity)
    ) {
      this.#forget(kind);
      return 'gave-up';
    }
    w.backoff = w.backoff.next(undefined);
    w.attempts++;
    w.timer = setTimeout(() => this.#run(kind), wait);
    // A retry never holds a stopping process (the sockets close, and `close` clears it anyway).
    w.timer.unref();
    return 'retrying';
  }

  /** What the attempt of `kind` under way subscribes (undefined: none is, it was dropped). */
  request(kind: K): SubscribeRequest | undefined {
    const w = this.#waiting.get(kind);
    return w && w.timer === null ? w.request : undefined;
  }

  /**
   * The retry of `kind` under way answered (subscribed, or refused with a reason): forgotten.
   * One that waits (a `subscribe` failed and joined it meanwhile) is not.
   */
  answered(kind: K): void {
    if (this.#waiting.get(kind)?.timer === null) this.#forget(kind);
  }

  /** The log answers again (another subscription went through): every waiting one now. */
  now(): void {
    for (const [kind, w] of this.#waiting)
      if (w.timer) {
        clearTimeout(w.timer);
        this.#run(kind);
      }
  }

  /**
   * An `unsubscribe` of `names` (instruments or accounts) of `kind`: they leave the waiting
   * subscription, which is dropped when nothing is left of it.
   */
  narrow(kind: K, names: readonly string[]): void {
    const w = this.#waiting.get(kind);
    if (!w) return;
    const gone = new Set(names);
    const instruments = w.request.instruments?.filter((n) => !gone.has(n));
    const after = Object.entries(w.request.after ?? {}).filter(([n]) => !gone.has(n));
    const snapshot = (w.request.snapshot ?? []).filter((n) => !gone.has(n));
    if ((instruments?.length ?? 1) === 0 && after.length === 0 && snapshot.length === 0)
      return this.cancel(kind);
    w.request = {
      ...(instruments ? { instruments } : {}),
      ...(after.length > 0 ? { after: Object.fromEntries(after) } : {}),
      ...(snapshot.length > 0 ? { snapshot } : {}),
    };
  }

  /** Drops the waiting subscription of `kind` (unsubscribed, or no longer permitted). */
  cancel(kind: K): void {
    if (this.#waiting.has(kind)) this.#forget(kind);
  }

  /** The socket closed: every timer cleared, and nothing waits from now on. */
  close(): void {
    this.#closed = true;
    for (const kind of [...this.#waiting.keys()]) this.#forget(kind);
  }

  #run(kind: K): void {
    const w = this.#waiting.get(kind);
    if (!w) return;
    w.timer = null;
    w.started = this.clock();
    this.fire(kind);
  }

  #forget(kind: K): void {
    const w = this.#waiting.get(kind);
    if (!w) return;
    if (w.timer) clearTimeout(w.timer);
    this.#waiting.delete(kind);
    this.count(-1);
  }
}

/**
 * Two requests of one channel as one: the instruments of both (none: the default), `after` and
 * the accounts to snapshot of both.
 */
function merge(a: SubscribeRequest, b: SubscribeRequest): SubscribeRequest {
  const after = a.after || b.after ? { ...a.after, ...b.after } : undefined;
  const union = (x?: readonly string[], y?: readonly string[]) =>
    x || y ? [...new Set([...(x ?? []), ...(y ?? [])])] : undefined;
  const instruments = union(a.instruments, b.instruments);
  const snapshot = union(a.snapshot, b.snapshot);
  return {
    ...(after ? { after } : {}),
    ...(instruments ? { instruments } : {}),
    ...(snapshot ? { snapshot } : {}),
  };
}
