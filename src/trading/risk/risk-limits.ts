import type { Decimal } from '../core/decimal.js';

/**
 * Pre-trade limits. Each is optional (absent = no limit). They apply to the account as a whole
 * (`global`) and, tighter where set, to each strategy and each instrument.
 *
 * @example
 * const limits: LimitSet = {
 *   global: { maxPosition: Dec(20) },
 *   strategies: { sma: { maxPosition: Dec(10) } },
 *   instruments: { 'BTC/USDT': { maxPosition: Dec('0.5') } },
 * };
 */
export interface RiskLimits {
  /** Largest price × quantity of one order. */
  readonly maxOrderValue?: Decimal;
  /** Largest quantity of one order. */
  readonly maxOrderQuantity?: Decimal;
  /** Largest absolute position in an instrument, counting every open order as if it filled. */
  readonly maxPosition?: Decimal;
  /** Most open orders at once. */
  readonly maxOpenOrders?: number;
  /** Largest distance of a limit/trigger price from the last price, in percent. */
  readonly priceCollarPct?: Decimal;
  /** Most orders and cancels per rolling second. */
  readonly maxMessagesPerSecond?: number;
  /** Loss (realized + unrealized, fees included) since the start of the UTC day that halts new risk. */
  readonly dailyLossLimit?: Decimal;
  /** An order equal to one made within this many ms (same side, quantity, price) is a duplicate. */
  readonly duplicateWindowMs?: number;
  /**
   * Largest distance, in percent, of a limit/trigger price from the lowest and from the highest
   * price seen in the last `collarWindowMs` (the price must be within it of both).
   */
  readonly windowCollarPct?: Decimal;
  /** The window of `windowCollarPct`, in ms (default 60 000). */
  readonly collarWindowMs?: number;
  /**
   * Most orders of one side in one instrument that may execute (fill, at least in part) within
   * `repeatedExecutionWindowMs`; once reached, new orders on that side are denied.
   */
  readonly maxRepeatedExecutions?: number;
  /** The window of `maxRepeatedExecutions`, in ms (default 60 000). */
  readonly repeatedExecutionWindowMs?: number;
}

/** Default `collarWindowMs` and `repeatedExecutionWindowMs`: one minute. */
export const DEFAULT_RISK_WINDOW_MS = 60_000;

/**
 * The limits of an account, its strategies and its instruments. Every scope that applies to an
 * order is checked, so the stricter limit wins. An instrument's limits cover every strategy's
 * orders in that instrument.
 */
export interface LimitSet {
  readonly global: RiskLimits;
  readonly strategies: Readonly<Record<string, RiskLimits>>;
  /** Limits per instrument id (absent: none). */
  readonly instruments?: Readonly<Record<string, RiskLimits>>;
  /**
   * The limits set for this one account (a server runs a core per account; `global` applies to
   * every account, these to this one as well: both are checked).
   */
  readonly account?: RiskLimits;
}

/** No limits. */
export const NO_LIMITS: LimitSet = { global: {}, strategies: {} };
