import type { Decimal } from '../core/decimal.js';

/**
 * Pre-trade limits. Each is optional (absent = no limit). They apply to the account as a whole
 * (`global`) and, tighter where set, to each strategy.
 *
 * @example
 * const limits: LimitSet = { global: { maxPosition: Dec(20) }, strategies: { sma: { maxPosition: Dec(10) } } };
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
}

/** The limits of an account and its strategies. */
export interface LimitSet {
  readonly global: RiskLimits;
  readonly strategies: Readonly<Record<string, RiskLimits>>;
}

/** No limits. */
export const NO_LIMITS: LimitSet = { global: {}, strategies: {} };
