import { createHash } from 'node:crypto';
import { LeaseKeeper, type LeaseEnd } from '../scalability/leases/lease-keeper.js';
import type { Lease, LeasePort } from '../scalability/leases/lease-port.js';
import type { LiveInstances } from '../scalability/leases/live-instances.js';
import { planShare } from '../scalability/leases/fair-share.js';
import type { Fence } from '../store/lease-repository.js';
import type { AccountOwnership, OwnershipChange } from './account-ownership.js';

/** The account cores an instance opens and closes as it takes and gives up leases. */
export interface AccountCores {
  /** Every account there is (read again each round: other instances create accounts too). */
  accounts(): Promise<string[]>;
  /**
   * Opens the account's core here, recovered before it trades, its journal fenced by `fence`
   * and its paper venue by `token` (the lease's fencing token); false (or a throw) when it cannot
   * trade here: the lease is handed back.
   */
  open(accountId: string, fence: Fence, token: number): Promise<boolean>;
  /** `release`: settles in-flight orders, then closes; `lost`: stops sending at once, then closes. */
  close(accountId: string, how: 'release' | 'lost'): Promise<void>;
  /**
   * Whether the account's core stopped taking orders because the store did not answer (its
   * journal failed with `STORE_UNAVAILABLE`): while the lease is still held, it is closed and
   * opened again (recovered, reconciled) once the store answers.
   */
  storeFailed?(accountId: string): boolean;
}

/** What `AccountLeases` runs on. */
export interface AccountLeasesConfig {
  readonly leases: LeasePort & { fence(held: Lease): Fence };
  readonly instances: LiveInstances;
  /** This process's owner id (a new one per start). */
  readonly owner: string;
  readonly ttlMs: number;
  readonly cores: AccountCores;
  /** Taken, handed back, lost, failed: one line each. */
  readonly log: (message: string, fields: Record<string, unknown>) => void;
}

/** The lease resource of an account. */
export const accountResource = (accountId: string) => `account:${accountId}`;

/**
 * Which accounts this instance trades, through their leases (`docs/scalability.md`,
 * "Ownership"). Every third of the TTL it beats in the live-instance registry, counts the live
 * instances, and moves toward its fair share (`planShare`): below it, it takes free or expired
 * account leases and opens their cores (recovered before they trade); above it, it hands the
 * surplus back gracefully. A lease lost (`LeaseKeeper.onLost`) closes its core at once. `drain`
 * hands every account back (SIGTERM).
 *
 * @example
 * const ownership = new AccountLeases({ leases, instances, owner, ttlMs: 10_000, cores, log });
 * await ownership.start(); // the first round has run: the accounts of its share are open
 */
export class AccountLeases implements AccountOwnership {
  /** Held leases, oldest first (the surplus handed back is the newest). */
  readonly #held = new Map<string, LeaseKeeper>();
  /** Accounts whose core is being opened (held, not yet owned) or closed. */
  readonly #busy = new Map<string, Promise<boolean>>();
  readonly #watchers = new Set<(change: OwnershipChange) => void>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #round: Promise<void> | null = null;
  #stopped = false;
  #instances = 1;
  #accounts = 0;
  /** Accounts whose journal failed on a store outage, already told (one line per outage). */
  readonly #storeDown = new Set<string>();

  constructor(private readonly cfg: AccountLeasesConfig) {}

  owns(accountId: string): boolean {
    return this.#held.has(accountId) && !this.#busy.has(accountId);
  }

  watch(fn: (change: OwnershipChange) => void): () => void {
    this.#watchers.add(fn);
    return () => void this.#watchers.delete(fn);
  }

  /** The accounts owned now, in the order they were taken. */
  owned(): string[] {
    return [...this.#held.keys()].filter((id) => this.owns(id));
  }

  /** The last round's view: live instances, accounts, this instance's fair share. */
  view(): { instances: number; accounts: number; owned: string[]; owner: string } {
    return {
      instances: this.#instances,
      accounts: this.#accounts,
      owned: this.owned(),
      owner: this.cfg.owner,
    };
  }

  /** Runs the first round (the accounts of its share are open when it resolves), then one every TTL/3. */
  async start(): Promise<void> {
    await this.round();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(
      () => void this.round().finally(() => this.#schedule()),
      Math.max(1, this.cfg.ttlMs / 3),
    );
    this.#timer.unref?.();
  }

  /** One round (one at a time): beat, count, then take or hand back toward the fair share. */
  round(): Promise<void> {
    this.#round ??= this.#runRound().finally(() => (this.#round = null));
    return this.#round;
  }

  async #runRound(): Promise<void> {
    if (this.#stopped) return;
    const { cfg } = this;
    try {
      await cfg.instances.beat(cfg.owner, cfg.ttlMs);
      const live = await cfg.instances.live();
      this.#instances = Math.max(1, live.length);
    } catch (e) {
      // Redis away: keep the last count (no account is taken or given on a guess).
      cfg.log('instance registry did not answer; keeping the last count', { err: e });
    }
    for (const id of this.owned()) {
      if (this.#stopped) return;
      if (cfg.cores.storeFailed?.(id)) await this.#recover(id);
    }
    let accounts: string[];
    try {
      accounts = await cfg.cores.accounts();
    } catch (e) {
      cfg.log('accounts could not be read; no lease taken this round', { err: e });
      return;
    }
    this.#accounts = accounts.length;
    const plan = planShare({
      accounts,
      held: [...this.#held.keys()],
      instances: this.#instances,
      order: (ids) => [...ids].sort((a, b) => rank(cfg.owner, a).localeCompare(rank(cfg.owner, b))),
    });
    for (const id of plan.release) {
      if (this.#stopped) return;
      await this.#handBack(id, 'surplus');
    }
    let want = plan.want;
    for (const id of plan.tryTake) {
      if (want <= 0 || this.#stopped) break;
      if (await this.take(id)) want--;
    }
  }

  /**
   * Takes an account's lease and opens its core here (a new account, or one of the round's);
   * false when another instance holds it or its core could not be opened.
   */
  take(accountId: string): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    const pending = this.#busy.get(accountId);
    if (pending) return pending;
    if (this.#held.has(accountId)) return Promise.resolve(true);
    const run = this.#take(accountId).finally(() => this.#busy.delete(accountId));
    this.#busy.set(accountId, run);
    return run;
  }

  async #take(accountId: string): Promise<boolean> {
    const { cfg } = this;
    const keeper: LeaseKeeper = new LeaseKeeper({
      leases: cfg.leases,
      resource: accountResource(accountId),
      owner: cfg.owner,
      ttlMs: cfg.ttlMs,
      onLost: (why) => void this.#lost(accountId, keeper, why),
    });
    let lease: Lease | null;
    try {
      lease = await keeper.start();
    } catch (e) {
      cfg.log('account lease not taken: the store did not answer', { accountId, err: e });
      return false;
    }
    if (!lease) return false;
    this.#held.set(accountId, keeper);
    return this.#openCore(accountId, keeper, lease, 'account taken', 'account not opened here');
  }

  /**
   * Opens an account's core under `lease` (held by `keeper`); owned and told when it opened and
   * the lease is still held; else whatever opened is closed (and, the lease still held, it is
   * handed back).
   */
  async #openCore(
    accountId: string,
    keeper: LeaseKeeper,
    lease: Lease,
    done: string,
    failed: string,
  ): Promise<boolean> {
    const { cfg } = this;
    const started = performance.now();
    let opened = false;
    try {
      opened = await cfg.cores.open(accountId, cfg.leases.fence(lease), lease.token);
    } catch (e) {
      cfg.log(`${failed}; lease handed back`, { accountId, err: e });
    }
    if (this.#held.get(accountId) !== keeper) {
      // Lost while opening: whatever opened is closed.
      await cfg.cores.close(accountId, 'lost').catch(() => undefined);
      return false;
    }
    if (!opened || keeper.lease === null) {
      this.#held.delete(accountId);
      await cfg.cores.close(accountId, 'lost').catch(() => undefined);
      await keeper.stop(true).catch(() => undefined);
      return false;
    }
    cfg.log(done, {
      accountId,
      fence: lease.token,
      recoveredMs: Math.round(performance.now() - started),
    });
    this.#tell({ accountId, owned: true });
    return true;
  }

  /**
   * An account whose journal failed because the store did not answer, its lease still held: once
   * the store answers (the lease renewed: still ours), its core is closed and opened again under
   * the same lease, recovered from the store and reconciled with its venue as on a takeover, then
   * it takes orders. The store still away: tried again next round. The lease taken meanwhile: the
   * keeper finds it lost and the core closes as on any loss.
   */
  async #recover(accountId: string): Promise<void> {
    const { cfg } = this;
    const keeper = this.#held.get(accountId);
    const held = keeper?.lease;
    if (!keeper || !held || this.#busy.has(accountId)) return;
    if (!this.#storeDown.has(accountId)) {
      this.#storeDown.add(accountId);
      cfg.log('account journal failed: the store did not answer; it recovers once it does', {
        accountId,
      });
    }
    let lease: Lease | null;
    try {
      lease = await cfg.leases.renew(held, cfg.ttlMs);
    } catch {
      return; // still away: next round
    }
    if (!lease || this.#held.get(accountId) !== keeper || this.#busy.has(accountId)) return;
    const fresh = lease;
    const run = (async () => {
      this.#storeDown.delete(accountId);
      this.#tell({ accountId, owned: false });
      await cfg.cores.close(accountId, 'lost').catch(() => undefined);
      return this.#openCore(
        accountId,
        keeper,
        fresh,
        'account recovered after a store outage',
        'account not recovered after the store outage',
      );
    })();
    this.#busy.set(accountId, run);
    await run.finally(() => this.#busy.delete(accountId));
  }

  /** Hands an account back: no new order here, in-flight orders settled, core closed, lease released. */
  async #handBack(accountId: string, why: 'surplus' | 'drain'): Promise<void> {
    const keeper = this.#held.get(accountId);
    if (!keeper || this.#busy.has(accountId)) return;
    const done = (async () => {
      this.#tell({ accountId, owned: false });
      try {
        await this.cfg.cores.close(accountId, 'release');
      } catch (e) {
        this.cfg.log('account core did not close cleanly', { accountId, err: e });
      }
      this.#held.delete(accountId);
      await keeper.stop(true).catch(() => undefined);
      this.cfg.log('account handed back', { accountId, why });
      return false;
    })();
    this.#busy.set(accountId, done);
    await done.finally(() => this.#busy.delete(accountId));
  }

  async #lost(accountId: string, keeper: LeaseKeeper, why: LeaseEnd): Promise<void> {
    if (this.#held.get(accountId) !== keeper) return;
    this.#held.delete(accountId);
    this.cfg.log('account lease lost: its core stops sending and closes', { accountId, why });
    // During an open, `#take` closes it once the open returns.
    if (this.#busy.has(accountId)) return;
    this.#tell({ accountId, owned: false });
    await this.cfg.cores.close(accountId, 'lost').catch(() => undefined);
  }

  /**
   * Stops taking accounts and hands every one back (the graceful drain): in-flight orders
   * settled, cores closed, leases released so the next owner takes them at once.
   */
  async drain(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#round?.catch(() => undefined);
    await Promise.all([...this.#busy.values()].map((p) => p.catch(() => false)));
    for (const id of [...this.#held.keys()]) await this.#handBack(id, 'drain');
    await this.cfg.instances.leave(this.cfg.owner).catch(() => undefined);
  }

  #tell(change: OwnershipChange): void {
    for (const fn of this.#watchers) fn(change);
  }
}

/** An instance's own order of preference for an account (equal instances reach for different ones). */
function rank(owner: string, accountId: string): string {
  return createHash('sha1').update(`${owner}\0${accountId}`).digest('hex');
}
