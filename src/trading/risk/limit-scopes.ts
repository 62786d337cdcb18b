import type { OpenOrderScope } from '../model/open-orders.js';
import type { Order } from '../model/order.js';
import type { LimitSet, RiskLimits } from './risk-limits.js';

/** One set of limits that applies to an order, and which orders and messages it counts. */
export interface LimitScope {
  readonly limits: RiskLimits;
  /** Which open orders count against this scope. */
  readonly open: OpenOrderScope;
  /** The message-throttle key of the scope. */
  readonly throttleKey: string;
  /** The strategy whose executions count, or null for every strategy. */
  readonly strategyId: string | null;
}

/**
 * The scopes whose limits apply to an order, strictest first in spirit: its strategy, its
 * instrument (every strategy's orders in it), this account's own limits, then those of every
 * account. Every one is checked.
 *
 * @example
 * for (const s of limitScopes(limits, order)) limitCheck(order, s.limits, view(s));
 */
export function limitScopes(limits: LimitSet, order: Order): LimitScope[] {
  const scopes: LimitScope[] = [];
  const strategy = limits.strategies[order.strategyId];
  if (strategy) {
    scopes.push({
      limits: strategy,
      open: { kind: 'strategy', strategyId: order.strategyId },
      throttleKey: strategyKey(order.strategyId),
      strategyId: order.strategyId,
    });
  }
  const instrument = limits.instruments?.[order.instrumentId];
  if (instrument) {
    scopes.push({
      limits: instrument,
      open: { kind: 'instrument', instrumentId: order.instrumentId },
      throttleKey: instrumentKey(order.instrumentId),
      strategyId: null,
    });
  }
  if (limits.account) {
    scopes.push({
      limits: limits.account,
      open: { kind: 'account' },
      throttleKey: ACCOUNT_KEY,
      strategyId: null,
    });
  }
  scopes.push({
    limits: limits.global,
    open: { kind: 'account' },
    throttleKey: ACCOUNT_KEY,
    strategyId: null,
  });
  return scopes;
}

/** Every limit set in a `LimitSet`: the accounts', each strategy's and each instrument's. */
export function allLimits(limits: LimitSet): RiskLimits[] {
  return [
    limits.global,
    ...(limits.account ? [limits.account] : []),
    ...Object.values(limits.strategies),
    ...Object.values(limits.instruments ?? {}),
  ];
}

/** Message-throttle key of the account. */
// Stryker disable next-line StringLiteral: equivalent, any key apart from the strategies' and instruments'
export const ACCOUNT_KEY = 'account';

/** Message-throttle key of a strategy. */
export function strategyKey(strategyId: string): string {
  return `strategy:${strategyId}`;
}

/** Message-throttle key of an instrument. */
export function instrumentKey(instrumentId: string): string {
  return `instrument:${instrumentId}`;
}
