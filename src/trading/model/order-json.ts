import { toDecimal } from '../core/decimal.js';
import { money, price, quantity } from '../core/money.js';
import type { Fill } from './fill.js';
import type { OrderEvent, OrderFilled, OrderInitialized } from './order-events.js';
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
    accountId: j.accountId,
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

/** A fill as plain JSON: decimals as strings. */
export type FillJson = Omit<Fill, 'price' | 'quantity' | 'fee'> & {
  readonly price: string;
  readonly quantity: string;
  readonly fee: { readonly amount: string; readonly currency: string };
};

type EventJson<E> = E extends OrderFilled
  ? Omit<E, 'fill'> & { readonly fill: FillJson }
  : E extends OrderInitialized
    ? Omit<E, 'order'> & { readonly order: OrderJson }
    : E;

/** An order event as plain JSON: decimals (of its order or fill) as strings. */
export type OrderEventJson = EventJson<OrderEvent>;

/**
 * The order event as plain JSON (decimals as exact strings).
 *
 * @example
 * const text = JSON.stringify(orderEventToJson(event));
 */
export function orderEventToJson(e: OrderEvent): OrderEventJson {
  return JSON.parse(JSON.stringify(e)) as OrderEventJson;
}

/**
 * The order event back from `orderEventToJson`.
 *
 * @example
 * const event = orderEventFromJson(JSON.parse(text));
 */
export function orderEventFromJson(j: OrderEventJson): OrderEvent {
  if (j.kind === 'OrderFilled') {
    const f = j.fill;
    return {
      ...j,
      fill: {
        ...f,
        price: price(f.price),
        quantity: quantity(f.quantity),
        fee: money(f.fee.amount, f.fee.currency),
      },
    };
  }
  if (j.kind === 'OrderInitialized') return { ...j, order: orderFromJson(j.order) };
  return j;
}
