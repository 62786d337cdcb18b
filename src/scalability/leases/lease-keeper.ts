import type { Lease, LeasePort } from './lease-port.js';

/** What a keeper needs from its process: a monotonic clock (ms) and a timer. */
export interface KeeperTime {
  now(): number;
  setTimeout(f: () => void, ms: number): { unref?(): unknown };
  clearTimeout(t: unknown): void;
}

const PROCESS_TIME: KeeperTime = {
  now: () => performance.now(),
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout),
};

/** Why a keeper let go: `expired` (not renewed in time), `taken` (another owner has it), `released`. */
export type LeaseEnd = 'expired' | 'taken' | 'released';

/**
 * Holds one lease: renews it every third of its TTL and calls `onLost` once when it ends, so
 * the owner stops sending at once (its fenced writes would be refused anyway). A renewal that
 * fails (the database is away) is tried again until the lease would have run out by this
 * process's clock, which counts from before the last successful renewal was sent, so it never
 * believes in a lease longer than the store does.
 *
 * @example
 * const keeper = new LeaseKeeper({ leases, resource: 'account:a1', owner: instanceId, ttlMs: 10_000,
 *   onLost: (why) => core.halt(`lease ${why}`) });
 * const held = await keeper.start(); // null: another instance owns it
 */
export class LeaseKeeper {
  #held: Lease | null = null;
  #validUntil = 0;
  #timer: unknown = null;
  #ended = false;

  constructor(
    private readonly opts: {
      readonly leases: LeasePort;
      readonly resource: string;
      readonly owner: string;
      readonly ttlMs: number;
      readonly onLost: (why: LeaseEnd, lease: Lease) => void;
      readonly time?: KeeperTime;
    },
  ) {}

  private get time(): KeeperTime {
    return this.opts.time ?? PROCESS_TIME;
  }

  /** The lease while held (null before `start`, after it ended, or when another owns it). */
  get lease(): Lease | null {
    return this.#ended ? null : this.#held;
  }

  /** Takes the lease (null: another owner holds it) and keeps renewing it. */
  async start(): Promise<Lease | null> {
    const sent = this.time.now();
    const got = await this.opts.leases.acquire(
      this.opts.resource,
      this.opts.owner,
      this.opts.ttlMs,
    );
    if (!got) return null;
    this.#held = got;
    this.#ended = false;
    this.#validUntil = sent + this.opts.ttlMs;
    this.#schedule();
    return got;
  }

  /** Stops renewing; `release` (default) hands the lease over at once (a graceful drain). */
  async stop(release = true): Promise<void> {
    const held = this.#held;
    this.#end();
    if (release && held) await this.opts.leases.release(held);
  }

  #schedule(): void {
    const t = this.time.setTimeout(() => void this.#renew(), Math.max(1, this.opts.ttlMs / 3));
    t.unref?.();
    this.#timer = t;
  }

  async #renew(): Promise<void> {
    const held = this.#held;
    if (this.#ended || !held) return;
    const sent = this.time.now();
    let renewed: Lease | null | undefined;
    try {
      renewed = await this.opts.leases.renew(held, this.opts.ttlMs);
    } catch {
      renewed = undefined; // the store did not answer: try again while the lease may still hold
    }
    if (this.#ended) return;
    if (renewed) {
      this.#held = renewed;
      this.#validUntil = sent + this.opts.ttlMs;
      this.#schedule();
    } else if (renewed === null) {
      this.#lose('taken', held);
    } else if (this.time.now() >= this.#validUntil) {
      this.#lose('expired', held);
    } else {
      this.#schedule();
    }
  }

  #lose(why: LeaseEnd, held: Lease): void {
    this.#end();
    this.opts.onLost(why, held);
  }

  #end(): void {
    this.#ended = true;
    if (this.#timer !== null) this.time.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
