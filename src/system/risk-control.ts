import type {
  LimitTarget,
  RiskRepository,
  StateTarget,
  StoredLimits,
  StoredStates,
} from '../store/risk-repository.js';
import type { TradingCore } from '../trading/live/trading-core.js';
import { isLeaseLost } from '../scalability/leases/lease-port.js';
import { stricter } from '../trading/risk/trading-state.js';
import type { TradingState } from '../trading/risk/trading-state.js';
import type { ChangeActor } from './user-accounts.js';
import { accountTradingState, type RiskChange, type RiskChanges } from '../api/risk-frames.js';

/** A change as stored, before the settings after it are read. */
type Made<C = RiskChange> = C extends RiskChange ? Omit<C, 'settings'> : never;

/** The audit action of each trading state a person sets. */
const STATE_ACTION: Readonly<Record<TradingState, string>> = {
  HALTED: 'risk.halted',
  REDUCING: 'risk.reduced',
  ACTIVE: 'risk.resumed',
};

/** The trading cores of a server, by account (a server runs one per account), with its owner. */
export type RiskCores = () => Iterable<{
  readonly accountId: string;
  readonly core: TradingCore;
  /** The user who owns the account (their kill switch applies to it); none for a shared one. */
  readonly ownerUserId?: string | null;
}>;

/**
 * Risk limits and trading states of a running server: each change is stored first (with its
 * audit row, in one transaction) and then applied to every running core at once, so the kill
 * switch cancels open orders before the call returns. An account's core runs under the strictest
 * of the global state, its account's and its owner's (the kill switches per account and per
 * user), and under every account's limits and its own. Reads and applies of the stored settings
 * run one at a time, so a periodic refresh never applies settings older than a change it raced.
 *
 * @example
 * const risk = new RiskControl(repo, core);
 * await risk.setState({}, 'HALTED', 'runaway', { actor: 'user:7', role: 'risk' });
 */
export class RiskControl implements RiskChanges {
  #tail: Promise<void> = Promise.resolve();
  readonly #listeners = new Set<(change: RiskChange) => Promise<void>>();

  constructor(
    private readonly repo: RiskRepository,
    cores: TradingCore | RiskCores,
    private readonly now: () => number = Date.now,
  ) {
    this.cores =
      typeof cores === 'function' ? cores : () => [{ accountId: cores.accountId, core: cores }];
  }

  private readonly cores: RiskCores;
  #applied: ((states: StoredStates) => void) | null = null;

  /**
   * Told the stored states each time they have been applied to the cores (the kill-switch
   * gauge of `kairos serve`: which scope is halted is known here, not from a core's events).
   */
  onApplied(listener: (states: StoredStates) => void): void {
    this.#applied = listener;
  }

  /**
   * Hears each change stored through this instance, with the settings right after it (the
   * WebSocket `risk` channel); awaited before the change is applied and answered.
   */
  subscribe(fn: (change: RiskChange) => Promise<void>): () => void {
    this.#listeners.add(fn);
    return () => void this.#listeners.delete(fn);
  }

  /** Tells the listeners of a stored change (one that fails is theirs to log: none stops it). */
  async #made(change: Made): Promise<void> {
    if (this.#listeners.size === 0) return;
    const settings = await this.view();
    const full = { ...change, settings } as RiskChange;
    await Promise.allSettled([...this.#listeners].map((fn) => fn(full)));
  }

  /** The stored limits and states. */
  async view(): Promise<{ limits: StoredLimits; states: StoredStates }> {
    return this.repo.settings();
  }

  /** Reads the stored settings and applies them to the core (a newly HALTED scope is canceled). */
  sync(actor = 'store'): Promise<void> {
    const run = this.#tail.then(async () => {
      const { limits, states } = await this.view();
      const cores = [...this.cores()];
      for (const { accountId, core, ownerUserId } of cores) {
        const { accounts, ...every } = limits;
        const account = accounts[accountId];
        core.applyRisk(
          {
            limits: account ? { ...every, account } : every,
            states: {
              ...states,
              global: accountTradingState(states, {
                id: accountId,
                ownerUserId: ownerUserId ?? null,
              }),
              // On an account no one owns (the shared one), a user's switch stops the orders
              // they place by hand there (`user:<id>`, as the API names them).
              strategies: ownerUserId ? states.strategies : withUsers(states),
            },
          },
          actor,
        );
      }
      // One core whose lease was lost meanwhile (its writes refused: it is closing) must not
      // fail the others' settle, nor the caller; any other failure does.
      const settled = await Promise.allSettled(cores.map(({ core }) => core.settle()));
      for (const r of settled)
        if (r.status === 'rejected' && !isLeaseLost(r.reason)) throw r.reason;
      this.#applied?.(states);
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Stores one limit (`RISK_LIMIT_INVALID` naming the rule) and applies it. */
  async setLimit(scope: LimitTarget, name: string, value: string, by: ChangeActor): Promise<void> {
    const ts = this.now();
    await this.repo.setLimit(scope, name, value, by.actor, ts, {
      role: by.role,
      action: 'risk.limit_changed',
    });
    await this.#made({ kind: 'limit', scope, name, value, actor: by.actor, role: by.role, ts });
    await this.sync(by.actor);
  }

  /** Stores a trading state (`risk.halted`, `risk.reduced`, `risk.resumed`) and applies it. */
  async setState(
    scope: StateTarget,
    state: TradingState,
    reason: string | null,
    by: ChangeActor,
  ): Promise<void> {
    const ts = this.now();
    await this.repo.setState(scope, state, reason, by.actor, ts, {
      role: by.role,
      action: STATE_ACTION[state],
    });
    await this.#made({ kind: 'state', scope, state, reason, actor: by.actor, role: by.role, ts });
    await this.sync(by.actor);
  }
}

/** The strategy states with each user's switch applied to their own orders (`user:<id>`). */
function withUsers(states: StoredStates): Record<string, TradingState> {
  const strategies: Record<string, TradingState> = { ...states.strategies };
  for (const [userId, state] of Object.entries(states.users ?? {})) {
    const id = `user:${userId}`;
    strategies[id] = stricter(strategies[id] ?? 'ACTIVE', state);
  }
  return strategies;
}
