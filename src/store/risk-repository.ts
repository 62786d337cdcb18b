import type { Kysely } from 'kysely';
import { toDecimal, type Decimal } from '../trading/core/decimal.js';
import { KairosError } from '../trading/core/errors.js';
import type { LimitSet, RiskLimits } from '../trading/risk/risk-limits.js';
import type { TradingState } from '../trading/risk/trading-state.js';
import { AuditRepository } from './audit-repository.js';
import type { Schema } from './schema.js';

const DECIMAL_LIMITS = [
  'maxOrderValue',
  'maxOrderQuantity',
  'maxPosition',
  'priceCollarPct',
  'dailyLossLimit',
  'windowCollarPct',
] as const;
const INTEGER_LIMITS = [
  'maxOpenOrders',
  'maxMessagesPerSecond',
  'duplicateWindowMs',
  'collarWindowMs',
  'maxRepeatedExecutions',
  'repeatedExecutionWindowMs',
] as const;
/** Every limit name a risk officer may set. */
export const LIMIT_NAMES: readonly (keyof RiskLimits)[] = [...DECIMAL_LIMITS, ...INTEGER_LIMITS];

/** How a change is recorded in the audit log (defaults: role `risk`, the generic action). */
export interface RiskAuditAs {
  readonly role?: string;
  readonly action?: string;
}

/** The trading states kept in the database. */
export interface StoredStates {
  readonly global: TradingState;
  readonly strategies: Readonly<Record<string, TradingState>>;
  /** The kill switch per account (scope `ACCOUNT`): absent means ACTIVE. */
  readonly accounts?: Readonly<Record<string, TradingState>>;
  /** The kill switch per user (scope `USER`: every account they own): absent means ACTIVE. */
  readonly users?: Readonly<Record<string, TradingState>>;
}

/** The stored limits: those of every account (`global`) and of each account on its own. */
export interface StoredLimits extends LimitSet {
  readonly accounts: Readonly<Record<string, RiskLimits>>;
}

/** What one limit is set on: every account (nothing given), or one strategy, instrument or account. */
export interface LimitTarget {
  readonly strategyId?: string;
  readonly instrumentId?: string;
  readonly accountId?: string;
}

/** What one trading state is set on: everything (nothing given), or one strategy, account or user. */
export interface StateTarget {
  readonly strategyId?: string;
  readonly accountId?: string;
  readonly userId?: string;
}

const LIMIT_SCOPES = [
  ['strategyId', 'STRATEGY'],
  ['instrumentId', 'INSTRUMENT'],
  ['accountId', 'ACCOUNT'],
] as const;
const STATE_SCOPES = [
  ['strategyId', 'STRATEGY'],
  ['accountId', 'ACCOUNT'],
  ['userId', 'USER'],
] as const;

/** The stored (scope, scope_id) of a target: `GLOBAL` and '' when it names none. */
function scopeKey<T extends object>(
  target: T,
  scopes: readonly (readonly [keyof T, string])[],
): { scope: string; scope_id: string } {
  for (const [field, scope] of scopes) {
    const id = target[field];
    if (typeof id === 'string' && id !== '') return { scope, scope_id: id };
  }
  return { scope: 'GLOBAL', scope_id: '' };
}

/**
 * Risk limits and trading states in the database. Each change is written with a `risk_events`
 * row (actor, what changed) in the same transaction.
 *
 * @example
 * await risk.setLimit({ strategyId: 'sma' }, 'maxPosition', '10', 'alice', now);
 * const limits = await risk.limits();
 */
export class RiskRepository {
  constructor(
    private readonly db: Kysely<Schema>,
    /** The audit log's wall clock (ms). */
    private readonly now: () => number = Date.now,
  ) {}

  /** Limits and trading states together, as a trading node applies them. */
  async settings(): Promise<{ limits: StoredLimits; states: StoredStates }> {
    return { limits: await this.limits(), states: await this.states() };
  }

  /** All limits, as the risk engine takes them. */
  async limits(): Promise<StoredLimits> {
    const rows = await this.db.selectFrom('risk_limits').selectAll().execute();
    const global: Record<string, unknown> = {};
    const strategies: Record<string, Record<string, unknown>> = {};
    const instruments: Record<string, Record<string, unknown>> = {};
    const accounts: Record<string, Record<string, unknown>> = {};
    const byScope: Record<string, Record<string, Record<string, unknown>>> = {
      STRATEGY: strategies,
      INSTRUMENT: instruments,
      ACCOUNT: accounts,
    };
    for (const r of rows) {
      const target = r.scope === 'GLOBAL' ? global : (byScope[r.scope]![r.scope_id] ??= {});
      target[r.name] = (INTEGER_LIMITS as readonly string[]).includes(r.name)
        ? Number(r.value)
        : toDecimal(r.value);
    }
    return {
      global: global as RiskLimits,
      strategies: strategies as Record<string, RiskLimits>,
      instruments: instruments as Record<string, RiskLimits>,
      accounts: accounts as Record<string, RiskLimits>,
    };
  }

  /**
   * Sets one limit for every account (no scope), a strategy, an instrument or one account;
   * validates name, value and scope.
   */
  async setLimit(
    scope: LimitTarget,
    name: string,
    value: string,
    actor: string,
    ts: number,
    as: RiskAuditAs = {},
  ): Promise<void> {
    const v = checkLimit(scope, name, value);
    const row = {
      ...scopeKey(scope, LIMIT_SCOPES),
      name,
      value: v.toFixed(),
      updated_at: ts,
      updated_by: actor,
    };
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('risk_limits')
        .values(row)
        .onConflict((oc) =>
          oc
            .columns(['scope', 'scope_id', 'name'])
            .doUpdateSet({ value: row.value, updated_at: ts, updated_by: actor }),
        )
        .execute();
      await tx
        .insertInto('risk_events')
        .values({ ts, actor, kind: 'RiskLimitChanged', payload: JSON.stringify(row) })
        .execute();
      await new AuditRepository(tx, this.now).append(
        {
          ts,
          actor,
          role: as.role ?? 'risk',
          action: as.action ?? 'risk.limit_changed',
          subject: name,
          payload: row,
        },
        tx,
      );
    });
  }

  /**
   * Removes one limit from the account, a strategy or an instrument (the scope then has no such
   * limit; a broader scope's still applies). Recorded like a change; returns false (and records
   * nothing) when no such limit was set. An unknown name is refused.
   */
  async clearLimit(
    scope: LimitTarget,
    name: string,
    actor: string,
    ts: number,
    as: RiskAuditAs = {},
  ): Promise<boolean> {
    checkLimitTarget(scope, name);
    const key = { ...scopeKey(scope, LIMIT_SCOPES), name };
    return this.db.transaction().execute(async (tx) => {
      const gone = await tx
        .deleteFrom('risk_limits')
        .where('scope', '=', key.scope)
        .where('scope_id', '=', key.scope_id)
        .where('name', '=', name)
        .returning('value')
        .executeTakeFirst();
      if (!gone) return false;
      const row = { ...key, value: null, was: gone.value, updated_at: ts, updated_by: actor };
      await tx
        .insertInto('risk_events')
        .values({ ts, actor, kind: 'RiskLimitCleared', payload: JSON.stringify(row) })
        .execute();
      await new AuditRepository(tx, this.now).append(
        {
          ts,
          actor,
          role: as.role ?? 'risk',
          action: as.action ?? 'risk.limit_cleared',
          subject: name,
          payload: row,
        },
        tx,
      );
      return true;
    });
  }

  /** The stored trading states (ACTIVE when none is stored). */
  async states(): Promise<StoredStates> {
    const rows = await this.db.selectFrom('trading_state').selectAll().execute();
    const strategies: Record<string, TradingState> = {};
    const accounts: Record<string, TradingState> = {};
    const users: Record<string, TradingState> = {};
    const byScope: Record<string, Record<string, TradingState>> = {
      STRATEGY: strategies,
      ACCOUNT: accounts,
      USER: users,
    };
    let global: TradingState = 'ACTIVE';
    for (const r of rows) {
      if (r.scope === 'GLOBAL') global = r.state as TradingState;
      else byScope[r.scope]![r.scope_id] = r.state as TradingState;
    }
    return { global, strategies, accounts, users };
  }

  /**
   * Sets the trading state of everything (no scope), a strategy, an account or a user (every
   * account they own), with its event.
   */
  async setState(
    scope: StateTarget,
    state: TradingState,
    reason: string | null,
    actor: string,
    ts: number,
    as: RiskAuditAs = {},
  ): Promise<void> {
    if (STATE_SCOPES.filter(([field]) => scope[field]).length > 1)
      throw new KairosError('VALIDATION', 'give one of a strategy, an account or a user');
    const row = {
      ...scopeKey(scope, STATE_SCOPES),
      state,
      reason,
      updated_at: ts,
      updated_by: actor,
    };
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('trading_state')
        .values(row)
        .onConflict((oc) =>
          oc
            .columns(['scope', 'scope_id'])
            .doUpdateSet({ state, reason, updated_at: ts, updated_by: actor }),
        )
        .execute();
      await tx
        .insertInto('risk_events')
        .values({ ts, actor, kind: 'TradingStateChanged', payload: JSON.stringify(row) })
        .execute();
      await new AuditRepository(tx, this.now).append(
        {
          ts,
          actor,
          role: as.role ?? 'risk',
          action: as.action ?? 'risk.state_changed',
          subject: row.scope_id || 'account',
          payload: row,
        },
        tx,
      );
    });
  }
}

/**
 * Checks a limit change before anything is opened or written: one scope at most, a known name
 * and (when setting) a non-negative number, an integer for a count; else `RISK_LIMIT_INVALID`
 * naming the rule. Answers the value. (`kairos risk limit` checks before it opens the store: a
 * typo is refused at once, and even while a `kairos serve` holds the embedded store.)
 *
 * @example
 * checkLimit({ strategyId: 'sma' }, 'maxPosition', '10'); // Decimal 10
 */
export function checkLimit(scope: LimitTarget, name: string, value: string): Decimal;
export function checkLimit(scope: LimitTarget, name: string): undefined;
export function checkLimit(scope: LimitTarget, name: string, value?: string): Decimal | undefined {
  checkLimitTarget(scope, name);
  if (value === undefined) return undefined;
  let v;
  try {
    v = toDecimal(value);
  } catch {
    throw new KairosError(
      'RISK_LIMIT_INVALID',
      `limit "${name}": must be a number, was ${JSON.stringify(value)}`,
    );
  }
  if (v.lt(0) || ((INTEGER_LIMITS as readonly string[]).includes(name) && !v.round(0).eq(v))) {
    throw new KairosError(
      'RISK_LIMIT_INVALID',
      `limit "${name}": must be a non-negative ${(INTEGER_LIMITS as readonly string[]).includes(name) ? 'integer' : 'number'}`,
    );
  }
  return v;
}

/** A limit names one scope at most and a known limit; else `RISK_LIMIT_INVALID`. */
function checkLimitTarget(scope: LimitTarget, name: string) {
  if (LIMIT_SCOPES.filter(([field]) => scope[field]).length > 1) {
    throw new KairosError(
      'RISK_LIMIT_INVALID',
      `limit "${name}": give one of a strategy, an instrument or an account`,
    );
  }
  if (!(LIMIT_NAMES as readonly string[]).includes(name)) {
    throw new KairosError(
      'RISK_LIMIT_INVALID',
      `limit "${name}": unknown (known: ${LIMIT_NAMES.join(', ')})`,
    );
  }
}
