import type {
  LimitTarget,
  StateTarget,
  StoredLimits,
  StoredStates,
} from '../store/risk-repository.js';
import type { RiskLimits } from '../trading/risk/risk-limits.js';
import { stricter, type TradingState } from '../trading/risk/trading-state.js';

/** Stored limits and states, as read right after a change. */
export interface RiskSettingsView {
  readonly limits: StoredLimits;
  readonly states: StoredStates;
}

/**
 * One risk change as it was stored (`RiskControl`, on the instance that made it): a trading
 * state set on a scope, or a limit set on one, with who did it and the settings right after.
 */
export type RiskChange =
  | {
      readonly kind: 'state';
      readonly scope: StateTarget;
      readonly state: TradingState;
      readonly reason: string | null;
      readonly actor: string;
      readonly role: string;
      readonly ts: number;
      readonly settings: RiskSettingsView;
    }
  | {
      readonly kind: 'limit';
      readonly scope: LimitTarget;
      readonly name: string;
      readonly value: string;
      readonly actor: string;
      readonly role: string;
      readonly ts: number;
      readonly settings: RiskSettingsView;
    };

/** Where risk changes made on this instance are heard (each listener awaited before the answer). */
export interface RiskChanges {
  subscribe(fn: (change: RiskChange) => Promise<void>): () => void;
}

/** An account as the risk channel sees it: its id and owner (null: the shared account). */
export interface RiskAccount {
  readonly id: string;
  readonly ownerUserId: string | null;
}

/**
 * The trading state an account trades under: the strictest of the global kill switch, its own
 * and its owner's (`RiskControl.sync` runs each account's core under it).
 */
export function accountTradingState(states: StoredStates, a: RiskAccount): TradingState {
  const own = states.accounts?.[a.id] ?? 'ACTIVE';
  const owner = (a.ownerUserId !== null && states.users?.[a.ownerUserId]) || 'ACTIVE';
  return stricter(stricter(states.global, own), owner);
}

/**
 * The accounts a change applies to: an account's own state or limit, that account; a user's
 * kill switch, the accounts they own; the global state, a strategy's state and every limit not
 * set for one account (global, a strategy's, an instrument's), every account.
 */
export function accountsOfChange(change: RiskChange, all: readonly RiskAccount[]): RiskAccount[] {
  const { accountId } = change.scope;
  if (accountId !== undefined) {
    const known = all.find((a) => a.id === accountId);
    return [known ?? { id: accountId, ownerUserId: null }];
  }
  if (change.kind === 'state' && change.scope.userId !== undefined) {
    const userId = change.scope.userId;
    return all.filter((a) => a.ownerUserId === userId);
  }
  return [...all];
}

/** The scope a change names, as its frame shows it (`{}`: global). */
function scopeOf(change: RiskChange): Record<string, string> {
  return Object.fromEntries(Object.entries(change.scope).filter(([, v]) => v !== undefined));
}

/**
 * The `risk` frame of a change for one account it applies to (without `seq`, which the event log
 * gives): the change, who made it, and the account's trading state after it.
 *
 * @example
 * riskFrame(change, { id: 'acc-1', ownerUserId: 'u-7' });
 * // { type: 'risk', change: 'state', accountId: 'acc-1', scope: {}, state: 'HALTED', … }
 */
export function riskFrame(change: RiskChange, account: RiskAccount): Record<string, unknown> {
  const common = {
    type: 'risk',
    change: change.kind,
    accountId: account.id,
    scope: scopeOf(change),
  };
  const by = { actor: change.actor, role: change.role, ts: change.ts };
  const tradingState = accountTradingState(change.settings.states, account);
  return change.kind === 'state'
    ? { ...common, state: change.state, reason: change.reason, ...by, tradingState }
    : { ...common, name: change.name, value: change.value, ...by, tradingState };
}

/** Limits as decimal strings. */
export function limitStrings(l: RiskLimits | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(l ?? {}).map(([k, v]) => [k, String(v)]));
}

const mapLimits = (o: Readonly<Record<string, RiskLimits>> | undefined) =>
  Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, limitStrings(v)]));

/**
 * An account's risk now (the `risk` channel's snapshot): the trading state it trades under and
 * each switch that makes it, and the limits that apply to it (every account's, its own, each
 * strategy's and instrument's).
 */
export function riskSnapshot(settings: RiskSettingsView, account: RiskAccount) {
  const { limits, states } = settings;
  return {
    accountId: account.id,
    tradingState: accountTradingState(states, account),
    states: {
      global: states.global,
      account: states.accounts?.[account.id] ?? 'ACTIVE',
      user: account.ownerUserId === null ? null : (states.users?.[account.ownerUserId] ?? 'ACTIVE'),
      strategies: { ...states.strategies },
    },
    limits: {
      global: limitStrings(limits.global),
      account: limitStrings(limits.accounts[account.id]),
      strategies: mapLimits(limits.strategies),
      instruments: mapLimits(limits.instruments),
    },
  };
}

/**
 * A read shared by the callers that ask while one is under way: each gets a read that started
 * after it asked (one already under way may predate a change its caller must see), so N
 * snapshots asked together cost two reads, not N.
 *
 * @example
 * const view = sharedRead(() => risk.view());
 * await Promise.all(accounts.map(() => view())); // at most two reads
 */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  let queued: Promise<T> | null = null;
  const start = (): Promise<T> => {
    const p = read();
    running = p;
    const done = () => {
      if (running === p) running = null;
    };
    p.then(done, done);
    return p;
  };
  const settled = () => undefined;
  return () => {
    if (!running) return start();
    return (queued ??= running.then(settled, settled).then(() => {
      queued = null;
      return start();
    }));
  };
}
