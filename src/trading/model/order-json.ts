import { toDecimal } from '../core/decimal.js';
import { price, quantity } from '../core/money.js';
import type { Order } from './order.js';

/** An order as plain JSON: decimals as strings. */
export type OrderJson = Omit<
  Order,
  'quantity' | 'price' | 'triggerPrice' | 'filledQuantity' | 'filledNotional'
> & {
  readonly quantity: string;
  readonly price: string | null;
  readonly triggerPrice: string | null;
  readonly filledQuantity: string;
  readonly filledNotional: string;
};

/**
 * The order as plain JSON (decimals as exact strings).
 *
 * @example
 * JSON.stringify(orderToJson(order));
 */
export function orderToJson(o: Order): OrderJson {
  return JSON.parse(JSON.stringify(o)) as OrderJson;
}

/**
 * The order back from `orderToJson` (or a stored event payload).
 *
 * @example
 * const order = orderFromJson(JSON.parse(text));
 */
export function orderFromJson(j: OrderJson): Order {
  return {
    clientOrderId: j.clientOrderId,
    strategyId: j.strategyId,
    instrumentId: j.instrumentId,
    side: j.side,
    type: j.type,
    timeInForce: j.timeInForce,
    quantity: quantity(j.quantity),
    price: j.price === null ? null : price(j.price),
    triggerPrice: j.triggerPrice === null ? null : price(j.triggerPrice),
    postOnly: j.postOnly,
    reduceOnly: j.reduceOnly,
    status: j.status,
    venueOrderId: j.venueOrderId,
    filledQuantity: quantity(j.filledQuantity),
    filledNotional: toDecimal(j.filledNotional),
    reason: j.reason,
    tag: j.tag,
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
  };
}
