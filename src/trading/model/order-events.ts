import type { Fill } from './fill.js';
import type { Order } from './order.js';

interface OrderEventBase {
  readonly clientOrderId: string;
  /** The order's account. */
  readonly accountId: string;
  readonly strategyId: string;
  readonly instrumentId: string;
  readonly ts: number;
}

/** The order was made (snapped to the grid) and is about to be checked. */
export interface OrderInitialized extends OrderEventBase {
  readonly kind: 'OrderInitialized';
  readonly order: Order;
}
/** The risk gate refused the order; it never reached a venue. */
export interface OrderDenied extends OrderEventBase {
  readonly kind: 'OrderDenied';
  readonly reason: string;
  readonly message: string;
}
/** The order passed risk and was sent to the venue. */
export interface OrderSubmitted extends OrderEventBase {
  readonly kind: 'OrderSubmitted';
}
/** The venue acknowledged the order. */
export interface OrderAccepted extends OrderEventBase {
  readonly kind: 'OrderAccepted';
  readonly venueOrderId: string;
}
/** The venue refused the order. */
export interface OrderRejected extends OrderEventBase {
  readonly kind: 'OrderRejected';
  readonly reason: string;
  readonly message: string;
}
/** The venue call got no answer (timeout, dropped connection): the order may or may not exist. */
export interface OrderUnknown extends OrderEventBase {
  readonly kind: 'OrderUnknown';
  readonly reason: string;
}
/** A cancel was sent and is not yet confirmed. */
export interface OrderPendingCancel extends OrderEventBase {
  readonly kind: 'OrderPendingCancel';
}
/** A cancel was refused by the venue; the order works on. */
export interface OrderCancelRejected extends OrderEventBase {
  readonly kind: 'OrderCancelRejected';
  readonly reason: string;
}
/** The order was canceled. */
export interface OrderCanceled extends OrderEventBase {
  readonly kind: 'OrderCanceled';
  readonly reason: string;
}
/** The order's time ran out. */
export interface OrderExpired extends OrderEventBase {
  readonly kind: 'OrderExpired';
  readonly reason: string;
}
/** (Part of) the order traded. */
export interface OrderFilled extends OrderEventBase {
  readonly kind: 'OrderFilled';
  readonly fill: Fill;
}

/** Every order event. */
export type OrderEvent =
  | OrderInitialized
  | OrderDenied
  | OrderSubmitted
  | OrderAccepted
  | OrderRejected
  | OrderUnknown
  | OrderPendingCancel
  | OrderCancelRejected
  | OrderCanceled
  | OrderExpired
  | OrderFilled;

/** The fields every event of an order carries: which order, whose, of what. */
export type OrderRef = Pick<
  OrderEventBase,
  'clientOrderId' | 'accountId' | 'strategyId' | 'instrumentId'
>;

/**
 * The reference an event of `o` carries.
 *
 * @example
 * bus.publish(topic, { kind: 'OrderAccepted', ...orderRef(order), venueOrderId, ts });
 */
export function orderRef(o: Order): OrderRef {
  return {
    clientOrderId: o.clientOrderId,
    accountId: o.accountId,
    strategyId: o.strategyId,
    instrumentId: o.instrumentId,
  };
}
