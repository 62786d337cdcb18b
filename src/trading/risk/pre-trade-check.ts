import { ZERO, type Decimal } from '../core/decimal.js';
import {
  compareDecimals,
  largerDecimal,
  multiplyDecimals,
  signOf,
  subtractDecimals,
} from '../core/scaled-decimal.js';
import { Reason, type ReasonCode } from '../core/reason-codes.js';
import type { Instrument } from '../model/instrument.js';
import type { Order } from '../model/order.js';
import { feeClass, type FeeClass } from '../model/open-orders.js';

/** What the risk engine knows of the account when it checks one order. */
export interface RiskView {
  /** Cash in the instrument's quote currency, minus what open buy orders have reserved. */
  readonly freeCash: Decimal;
  /** Signed net position in the instrument. */
  readonly position: Decimal;
  /** Quantity of open sell orders not yet filled (they would reduce a long). */
  readonly openSellQuantity: Decimal;
  /** Quantity of open buy orders not yet filled. */
  readonly openBuyQuantity: Decimal;
  /** The last known market price (the close of the bar being processed), or null. */
  readonly lastPrice: Decimal | null;
  /** May the account hold a short position? */
  readonly allowShort: boolean;
}

/** A denial: a stable reason code and a message for people. */
export interface Denial {
  readonly reason: ReasonCode;
  readonly message: string;
}

/**
 * The price at which a buy is valued when it is checked: its limit, else its trigger, else the
 * last price. Null when none is known.
 *
 * @example
 * valuationPrice(order, Dec('10'));
 */
export function valuationPrice(order: Order, lastPrice: Decimal | null): Decimal | null {
  return order.price ?? order.triggerPrice ?? lastPrice;
}

/**
 * The worst cash an open buy may consume: quantity × valuation price × (1 + the higher fee).
 *
 * @example
 * buyCost(order, instrument, Dec('100'));
 */
export function buyCost(
  order: Order,
  inst: Instrument,
  lastPrice: Decimal | null,
  qty: Decimal = order.quantity,
): Decimal {
  const p = valuationPrice(order, lastPrice);
  if (p === null) return ZERO;
  return multiplyDecimals(multiplyDecimals(qty, p), onePlusFeeRate(inst, feeClass(order)));
}

/**
 * The fee rate an open buy is valued with: the maker fee for a post-only limit, else the higher
 * of maker and taker.
 *
 * @example
 * buyFeeRate(instrument, 'worst');
 */
export function buyFeeRate(inst: Instrument, fee: FeeClass): Decimal {
  if (fee === 'maker') return inst.makerFee;
  return largerDecimal(inst.takerFee, inst.makerFee);
}

/** 1 + `buyFeeRate`, made once per instrument value and fee class (instruments are immutable). */
const onePlus = new WeakMap<Instrument, Partial<Record<FeeClass, Decimal>>>();

/**
 * 1 + `buyFeeRate(inst, fee)`, the factor an open buy's notional is reserved with.
 *
 * @example
 * onePlusFeeRate(instrument, 'worst'); // 1.001 with a 0.1 % taker fee
 */
export function onePlusFeeRate(inst: Instrument, fee: FeeClass): Decimal {
  let rates = onePlus.get(inst);
  if (rates === undefined) onePlus.set(inst, (rates = {}));
  return (rates[fee] ??= buyFeeRate(inst, fee).plus(1));
}

/** A denial (a module function: a closure per check was made for every order). */
function deny(reason: ReasonCode, message: string): Denial {
  return { reason, message };
}

/**
 * The first-version pre-trade checks, in order: options, price, precision, minimums, reduce-only,
 * position and balance. Returns null when the order may go, else the denial.
 *
 * @example
 * const denial = preTradeCheck(order, instrument, view);
 * if (denial) deny(order, denial.reason);
 */
export function preTradeCheck(order: Order, inst: Instrument, view: RiskView): Denial | null {
  if (order.postOnly && order.type !== 'LIMIT') {
    return deny(Reason.INVALID_ORDER_OPTIONS, 'post-only needs a LIMIT order');
  }
  if (order.postOnly && order.timeInForce !== 'GTC') {
    return deny(Reason.INVALID_ORDER_OPTIONS, 'post-only needs time in force GTC');
  }
  const needsPrice = order.type === 'LIMIT' || order.type === 'STOP_LIMIT';
  const needsTrigger = order.type === 'STOP_MARKET' || order.type === 'STOP_LIMIT';
  if (needsPrice && (order.price === null || signOf(order.price) <= 0)) {
    return deny(
      Reason.PRICE_INVALID,
      `price must be a positive multiple of the tick ${inst.tickSize.toFixed()}`,
    );
  }
  if (needsTrigger && (order.triggerPrice === null || signOf(order.triggerPrice) <= 0)) {
    return deny(
      Reason.PRICE_INVALID,
      `trigger price must be a positive multiple of the tick ${inst.tickSize.toFixed()}`,
    );
  }
  if (signOf(order.quantity) === 0) {
    return deny(
      Reason.QUANTITY_ROUNDS_TO_ZERO,
      `quantity rounds to zero on the lot ${inst.lotSize.toFixed()}`,
    );
  }
  if (compareDecimals(order.quantity, inst.minQuantity) < 0) {
    return deny(
      Reason.QUANTITY_BELOW_MIN,
      `quantity ${order.quantity.toFixed()} is below the minimum ${inst.minQuantity.toFixed()}`,
    );
  }
  const ref = valuationPrice(order, view.lastPrice);
  if (ref === null) return deny(Reason.NO_REFERENCE_PRICE, 'no market price is known yet');
  if (compareDecimals(multiplyDecimals(order.quantity, ref), inst.minNotional) < 0) {
    return deny(
      Reason.NOTIONAL_BELOW_MIN,
      `notional is below the minimum ${inst.minNotional.toFixed()}`,
    );
  }
  if (order.reduceOnly) {
    // Only here: a sell's negated quantity is a new decimal.
    const signed = order.side === 'BUY' ? order.quantity : order.quantity.neg();
    const after = view.position.plus(signed);
    if (
      view.position.eq(0) ||
      after.abs().gt(view.position.abs()) ||
      (!after.eq(0) && after.s !== view.position.s)
    ) {
      return deny(
        Reason.REDUCE_ONLY_WOULD_INCREASE,
        'a reduce-only order may only shrink the position',
      );
    }
  }
  if (order.side === 'SELL' && !view.allowShort) {
    const available = subtractDecimals(view.position, view.openSellQuantity);
    if (compareDecimals(order.quantity, available) > 0) {
      return deny(
        Reason.INSUFFICIENT_POSITION,
        `sell ${order.quantity.toFixed()} exceeds the ${available.toFixed()} held and not already offered`,
      );
    }
  }
  if (order.side === 'BUY') {
    // A buy that only covers a short needs no cash beyond its fee, but keep it simple and safe.
    const cost = buyCost(order, inst, view.lastPrice);
    if (compareDecimals(cost, view.freeCash) > 0) {
      return deny(
        Reason.INSUFFICIENT_BALANCE,
        `cost ${cost.toFixed()} exceeds free cash ${view.freeCash.toFixed()}`,
      );
    }
  }
  return null;
}
