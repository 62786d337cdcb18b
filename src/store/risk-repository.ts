import type { Kysely } from 'kysely';
import { toDecimal } from '../trading/core/decimal.js';
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
  async settings(): Promise<{ limits: LimitSet; states: StoredStates }> {
    return { limits: await this.limits(), states: await this.states() };
  }

  /** All limits, as the risk engine takes them. */
  async limits(): Promise<LimitSet> {
    const rows = await this.db.selectFrom('risk_limits').selectAll().execute();
    const global: Record<string, unknown> = {};
    const strategies: Record<string, Record<string, unknown>> = {};
    const instruments: Record<string, Record<string, unknown>> = {};
    for (const r of rows) {
      const target =
        r.scope === 'GLOBAL'
          ? global
          : r.scope === 'INSTRUMENT'
            ? (instruments[r.scope_id] ??= {})
            : (strategies[r.scope_id] ??= {});
      target[r.name] = (INTEGER_LIMITS as readonly string[]).includes(r.name)
        ? Number(r.value)
        : toDecimal(r.value);
    }
    return {
      global: global as RiskLimits,
      strategies: strategies as Record<string, RiskLimits>,
      instruments: instruments as Record<string, RiskLimits>,
    };
  }

  /**
   * Sets one limit for the account (no scope), a strategy or an instrument (stored as scope
   * `INSTRUMENT`); validates name, value and scope.
   */
  async setLimit(
    scope: { strategyId?: string; instrumentId?: string },
    name: string,
    value: string,
    actor: string,
    ts: number,
    as: RiskAuditAs = {},
  ): Promise<void> {
    checkLimitTarget(scope, name);
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
    const row = {
      scope: scope.strategyId ? 'STRATEGY' : scope.instrumentId ? 'INSTRUMENT' : 'GLOBAL',
      scope_id: scope.strategyId || scope.instrumentId || '',
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
    scope: { strategyId?: string; instrumentId?: string },
    name: string,
    actor: string,
    ts: number,
    as: RiskAuditAs = {},
  ): Promise<boolean> {
    checkLimitTarget(scope, name);
    const key = {
      scope: scope.strategyId ? 'STRATEGY' : scope.instrumentId ? 'INSTRUMENT' : 'GLOBAL',
      scope_id: scope.strategyId || scope.instrumentId || '',
      name,
    };
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
    let global: TradingState = 'ACTIVE';
    for (const r of rows) {
      if (r.scope === 'GLOBAL') global = r.state as TradingState;
      else if (r.scope === 'ACCOUNT') accounts[r.scope_id] = r.state as TradingState;
      else strategies[r.scope_id] = r.state as TradingState;
    }
    return { global, strategies, accounts };
  }

  /** Sets the trading state of everything (no scope), an account or a strategy, with its event. */
  async setState(
    scope: { strategyId?: string; accountId?: string },
    state: TradingState,
    reason: string | null,
    actor: string,
    ts: number,
    as: RiskAuditAs = {},
  ): Promise<void> {
    if (scope.strategyId && scope.accountId)
      throw new KairosError('VALIDATION', 'give a strategy or an account, not both');
    const row = {
      scope: scope.strategyId ? 'STRATEGY' : scope.accountId ? 'ACCOUNT' : 'GLOBAL',
      scope_id: scope.strategyId ?? scope.accountId ?? '',
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

/** A limit names one scope at most and a known limit; else `RISK_LIMIT_INVALID`. */
function checkLimitTarget(scope: { strategyId?: string; instrumentId?: string }, name: string) {
  if (scope.strategyId && scope.instrumentId) {
    throw new KairosError(
      'RISK_LIMIT_INVALID',
      `limit "${name}": give a strategy or an instrument, not both`,
    );
  }
  if (!(LIMIT_NAMES as readonly string[]).includes(name)) {
    throw new KairosError(
      'RISK_LIMIT_INVALID',
      `limit "${name}": unknown (known: ${LIMIT_NAMES.join(', ')})`,
    );
  }
}
