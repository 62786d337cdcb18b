import type { Decimal } from '../core/decimal.js';
import { Reason } from '../core/reason-codes.js';
import type { Order } from '../model/order.js';
import type { Denial } from './pre-trade-check.js';
import { DEFAULT_RISK_WINDOW_MS, type RiskLimits } from './risk-limits.js';

/** What the limit checks read, for one scope (the account, or one strategy). */
export interface LimitView {
  /** Signed position in the order's instrument. */
  readonly position: Decimal;
  /** Unfilled quantity of the scope's open buy / sell orders in the instrument. */
  readonly openBuy: Decimal;
  readonly openSell: Decimal;
  /** The scope's open orders, all instruments. */
  readonly openOrders: number;
  readonly lastPrice: Decimal | null;
  /** The scope's orders and cancels in the last second. */
  readonly messagesLastSecond: number;
  /** PnL since the start of the UTC day (fees included), when known. */
  readonly dayPnl: Decimal | null;
  /** True when an equal order was made within the duplicate window. */
  readonly duplicate: boolean;
  /** Lowest and highest price in the scope's collar window (the last price included), if any. */
  readonly windowRange: { readonly low: Decimal; readonly high: Decimal } | null;
  /** The scope's orders on the order's side and instrument executed in the throttle window. */
  readonly recentExecutions: number;
}

/**
 * True when the order would move the position away from zero.
 *
 * @example
 * increasesExposure(sellOrder, Dec(5)); // false: it reduces a long
 */
export function increasesExposure(order: Order, position: Decimal): boolean {
  const after =
    order.side === 'BUY' ? position.plus(order.quantity) : position.minus(order.quantity);
  return after.abs().gt(position.abs());
}

/**
 * The limit checks of one scope, in order: message throttle, repeated-execution throttle,
 * duplicate, open orders, order size and value, price collar, window collar, position (open
 * orders counted as filled), daily loss. Null when the order may go.
 *
 * @example
 * const denial = limitCheck(order, limits.global, view);
 */
export function limitCheck(order: Order, limits: RiskLimits, v: LimitView): Denial | null {
  const deny = (reason: Denial['reason'], message: string): Denial => ({ reason, message });
  if (
    limits.maxMessagesPerSecond !== undefined &&
    v.messagesLastSecond >= limits.maxMessagesPerSecond
  ) {
    return deny(
      Reason.MESSAGE_THROTTLE,
      `more than ${limits.maxMessagesPerSecond} orders and cancels in one second`,
    );
  }
  if (
    limits.maxRepeatedExecutions !== undefined &&
    v.recentExecutions >= limits.maxRepeatedExecutions
  ) {
    return deny(
      Reason.REPEATED_EXECUTION_THROTTLE,
      `${v.recentExecutions} ${order.side} orders in ${order.instrumentId} executed within ${limits.repeatedExecutionWindowMs ?? DEFAULT_RISK_WINDOW_MS} ms; the limit is ${limits.maxRepeatedExecutions}`,
    );
  }
  if (limits.duplicateWindowMs !== undefined && v.duplicate) {
    return deny(
      Reason.DUPLICATE_ORDER,
      `an equal order was made within ${limits.duplicateWindowMs} ms`,
    );
  }
  if (limits.maxOpenOrders !== undefined && v.openOrders >= limits.maxOpenOrders) {
    return deny(
      Reason.OPEN_ORDERS_LIMIT,
      `${v.openOrders} orders are open; the limit is ${limits.maxOpenOrders}`,
    );
  }
  if (limits.maxOrderQuantity !== undefined && order.quantity.gt(limits.maxOrderQuantity)) {
    return deny(
      Reason.ORDER_QUANTITY_LIMIT,
      `quantity ${order.quantity.toFixed()} exceeds ${limits.maxOrderQuantity.toFixed()}`,
    );
  }
  const ref = order.price ?? order.triggerPrice ?? v.lastPrice;
  if (
    limits.maxOrderValue !== undefined &&
    ref !== null &&
    order.quantity.times(ref).gt(limits.maxOrderValue)
  ) {
    return deny(
      Reason.ORDER_VALUE_LIMIT,
      `value ${order.quantity.times(ref).toFixed()} exceeds ${limits.maxOrderValue.toFixed()}`,
    );
  }
  const priced = order.price ?? order.triggerPrice;
  if (limits.priceCollarPct !== undefined && priced !== null) {
    if (v.lastPrice === null)
      return deny(Reason.NO_REFERENCE_PRICE, 'no reference price for the collar');
    const off = priced.minus(v.lastPrice).abs().times(100);
    if (off.gt(v.lastPrice.times(limits.priceCollarPct))) {
      return deny(
        Reason.PRICE_OUTSIDE_COLLAR,
        `price ${priced.toFixed()} is more than ${limits.priceCollarPct.toFixed()}% from ${v.lastPrice.toFixed()}`,
      );
    }
  }
  if (limits.windowCollarPct !== undefined && priced !== null) {
    const denial = windowCollar(priced, limits.windowCollarPct, v.windowRange);
    if (denial) return denial;
  }
  if (limits.maxPosition !== undefined) {
    const worst =
      order.side === 'BUY'
        ? v.position.plus(v.openBuy).plus(order.quantity)
        : v.position.minus(v.openSell).minus(order.quantity);
    if (
      worst.abs().gt(limits.maxPosition) &&
      increasesExposure(order, v.position.plus(order.side === 'BUY' ? v.openBuy : v.openSell.neg()))
    ) {
      return deny(
        Reason.POSITION_LIMIT,
        `position could reach ${worst.toFixed()}; the limit is ±${limits.maxPosition.toFixed()}`,
      );
    }
  }
  if (
    limits.dailyLossLimit !== undefined &&
    v.dayPnl !== null &&
    v.dayPnl.neg().gte(limits.dailyLossLimit) &&
    increasesExposure(order, v.position)
  ) {
    return deny(
      Reason.DAILY_LOSS_LIMIT,
      `today's loss ${v.dayPnl.neg().toFixed()} reached ${limits.dailyLossLimit.toFixed()}`,
    );
  }
  return null;
}

/** The order price must lie within `pct` of the window's lowest and of its highest price. */
function windowCollar(
  priced: Decimal,
  pct: Decimal,
  range: LimitView['windowRange'],
): Denial | null {
  if (range === null) {
    return {
      reason: Reason.NO_REFERENCE_PRICE,
      message: 'no reference price for the window collar',
    };
  }
  const above = priced.minus(range.low).times(100);
  const below = range.high.minus(priced).times(100);
  if (above.gt(range.low.times(pct)) || below.gt(range.high.times(pct))) {
    return {
      reason: Reason.PRICE_OUTSIDE_WINDOW_COLLAR,
      message: `price ${priced.toFixed()} is more than ${pct.toFixed()}% from the window's low ${range.low.toFixed()} or high ${range.high.toFixed()}`,
    };
  }
  return null;
}
