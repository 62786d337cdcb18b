/** The outcome of one check: `pass`, or `fail` with a reason safe to show anyone. */
export type CheckStatus = 'pass' | 'fail';

/** One check's result, as `/health/ready` shows it. */
export interface CheckResult {
  /** The check's name (`database`, `redis`, `memcached`, `venue`, `unresolved-orders`). */
  readonly name: string;
  readonly status: CheckStatus;
  /** How long the probe took (at most its timeout). */
  readonly durationMs: number;
  /** What was seen, in words written here, never a driver's message (no host, URL or stack). */
  readonly detail: string;
}

/** Every check's result; `pass` when all passed. */
export interface HealthReport {
  readonly status: CheckStatus;
  readonly checks: readonly CheckResult[];
}

/**
 * A readiness check: a name and a probe. The probe resolves (optionally with a detail) when
 * the dependency is fine, and throws `CheckFailure` with a safe reason when it is not; any other
 * error counts as a failure whose reason is only its error code (`ECONNREFUSED`), never its
 * message.
 */
export interface HealthCheck {
  readonly name: string;
  /** How long the probe may take before it counts as failed (default: the runner's). */
  readonly timeoutMs?: number;
  probe(): Promise<string | void>;
}

/** A failed check's reason, written by the check itself and shown as it is. */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
}

/** How checks are run. */
export interface HealthCheckOptions {
  /** A probe's time limit when its check names none (default 1000 ms). */
  readonly timeoutMs?: number;
  /**
   * A report younger than this is answered again instead of probing (default 0: always probe),
   * so a flood of calls costs the database one round trip per interval.
   */
  readonly reuseMs?: number;
  /** Monotonic milliseconds, for durations (default `performance.now`). */
  readonly now?: () => number;
}

const SAFE_CODE = /^[A-Z][A-Z0-9_]{1,40}$/;

/** A reason safe to show: a `CheckFailure`'s own words, else the error's code, else nothing. */
function reasonOf(error: unknown): string {
  if (error instanceof CheckFailure) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SAFE_CODE.test(code)
    ? `probe failed (${code})`
    : 'probe failed';
}

/**
 * Runs health checks: every probe at once, each with its timeout, none ever throwing, the
 * results in the order of `checks`. A probe still pending from an earlier run is awaited again,
 * never started twice, so a hung dependency holds one connection, not one per load-balancer
 * call.
 *
 * @example
 * const checks = new HealthChecks([databaseCheck(() => pingStore(db))], { timeoutMs: 1000 });
 * const report = await checks.run(); // { status: 'pass', checks: [{ name: 'database', ... }] }
 */
export class HealthChecks {
  readonly #checks: readonly HealthCheck[];
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #reuseMs: number;
  readonly #pending = new Map<string, Promise<string | void>>();
  #last: { readonly at: number; readonly report: Promise<HealthReport> } | null = null;

  constructor(checks: readonly HealthCheck[], options: HealthCheckOptions = {}) {
    const names = new Set<string>();
    for (const c of checks) {
      if (names.has(c.name)) throw new Error(`health check "${c.name}" given twice`);
      names.add(c.name);
    }
    this.#checks = checks;
    this.#timeoutMs = options.timeoutMs ?? 1000;
    this.#now = options.now ?? (() => performance.now());
    this.#reuseMs = options.reuseMs ?? 0;
  }

  /** The names of the checks, in order. */
  get names(): readonly string[] {
    return this.#checks.map((c) => c.name);
  }

  /** Runs every check (or answers the last report, within `reuseMs`); never rejects. */
  run(): Promise<HealthReport> {
    const now = this.#now();
    if (this.#last && now - this.#last.at < this.#reuseMs) return this.#last.report;
    const report = this.#runAll();
    this.#last = { at: now, report };
    return report;
  }

  async #runAll(): Promise<HealthReport> {
    const checks = await Promise.all(this.#checks.map((c) => this.#runOne(c)));
    return { status: checks.every((c) => c.status === 'pass') ? 'pass' : 'fail', checks };
  }

  async #runOne(check: HealthCheck): Promise<CheckResult> {
    const start = this.#now();
    const timeoutMs = check.timeoutMs ?? this.#timeoutMs;
    let pending = this.#pending.get(check.name);
    if (!pending) {
      pending = Promise.resolve()
        .then(() => check.probe())
        .finally(() => this.#pending.delete(check.name));
      this.#pending.set(check.name, pending);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CheckFailure(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    const result = (status: CheckStatus, detail: string): CheckResult => ({
      name: check.name,
      status,
      durationMs: Math.round(this.#now() - start),
      detail,
    });
    try {
      const detail = await Promise.race([pending, timedOut]);
      return result('pass', detail || 'ok');
    } catch (e) {
      return result('fail', reasonOf(e));
    } finally {
      clearTimeout(timer);
      // A pending probe that fails later must not become an unhandled rejection.
      pending.catch(() => undefined);
    }
  }
}

/**
 * `database`: one round trip to the store (`select 1`), so a stopped or unreachable Postgres
 * fails it.
 *
 * @example
 * databaseCheck(() => pingStore(store.db));
 */
export function databaseCheck(ping: () => Promise<unknown>): HealthCheck {
  return {
    name: 'database',
    probe: async () => {
      await failAs('database did not answer', ping);
      return 'answered select 1';
    },
  };
}

/** `redis`: a `PING` answered. */
export function redisCheck(ping: () => Promise<unknown>): HealthCheck {
  return {
    name: 'redis',
    probe: async () => {
      await failAs('redis did not answer PING', ping);
      return 'answered PING';
    },
  };
}

/** `memcached`: every server answers a read. */
export function memcachedCheck(ping: () => Promise<unknown>): HealthCheck {
  return {
    name: 'memcached',
    probe: async () => {
      await failAs('a memcached server did not answer', ping);
      return 'every server answered';
    },
  };
}

/** A connection to a venue, as the `venue` check reads it (no I/O: its last known state). */
export interface VenueLink {
  /** The venue (`PAPER`, `binance`). */
  readonly venue: string;
  /** The channel: `market-data`, `private-stream`, `orders`. */
  readonly channel: string;
  /** Whether it is up now, and a short safe description. */
  state(): { readonly up: boolean; readonly detail: string };
}

/** `venue`: every link to the venue is up (market data, private stream, order entry). */
export function venueCheck(links: readonly VenueLink[]): HealthCheck {
  return {
    name: 'venue',
    probe: async () => {
      const states = links.map((l) => ({ link: l, ...l.state() }));
      const line = (s: (typeof states)[number]) => `${s.link.venue} ${s.link.channel}: ${s.detail}`;
      const down = states.filter((s) => !s.up);
      if (down.length > 0) throw new CheckFailure(down.map(line).join('; '));
      return states.map(line).join('; ') || 'no venue link';
    },
  };
}

/**
 * `unresolved-orders`: no order has had an unknown outcome (sent, no answer yet; or timed out)
 * for longer than `maxMs`.
 */
export function unresolvedOrdersCheck(
  oldest: () => { readonly count: number; readonly oldestMs: number },
  maxMs: number,
): HealthCheck {
  return {
    name: 'unresolved-orders',
    probe: async () => {
      const { count, oldestMs } = oldest();
      const text = `${count} unresolved, oldest ${Math.round(oldestMs)} ms (bound ${maxMs} ms)`;
      if (count > 0 && oldestMs > maxMs) throw new CheckFailure(text);
      return text;
    },
  };
}

async function failAs(reason: string, ping: () => Promise<unknown>): Promise<void> {
  try {
    await ping();
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    throw new CheckFailure(
      typeof code === 'string' && SAFE_CODE.test(code) ? `${reason} (${code})` : reason,
    );
  }
}
