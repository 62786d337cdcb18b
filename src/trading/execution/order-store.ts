import type { Fill } from '../model/fill.js';
import type { Order } from '../model/order.js';
import type { OrderEvent } from '../model/order-events.js';

/**
 * Durable orders: the port the OMS writes through before any venue call (write before send).
 * `src/store` implements it on Postgres or PGlite.
 *
 * @example
 * await store.insertOrder(order, event); // committed: now the venue may be called
 */
export interface OrderStore {
  /** Commits a new order with its first event; a taken client order id throws. */
  insertOrder(order: Order, event: OrderEvent): Promise<void>;
  /**
   * Commits an event and the order as it is after it, in one transaction; a fill is stored once
   * per venue trade id. Returns false (and changes nothing) when the fill was already stored.
   */
  recordEvent(after: Order, event: OrderEvent): Promise<boolean>;
  /**
   * Commits many events at once, in order, in one transaction (group commit): new orders for
   * `OrderInitialized`, the rest as `recordEvent` would. Duplicate fills are skipped.
   */
  commitBatch(
    items: readonly { readonly after: Order; readonly event: OrderEvent }[],
  ): Promise<void>;
  /** One order by client order id. */
  order(clientOrderId: string): Promise<Order | undefined>;
  /** The orders with these client order ids (those that exist, in no particular order). */
  orders(clientOrderIds: readonly string[]): Promise<Order[]>;
  /** Orders that are not terminal (submitted, accepted, partially filled, pending cancel…). */
  openOrders(): Promise<Order[]>;
  /** Orders created at or after `ts`, whatever their status (to replay a bar after a crash). */
  ordersSince(ts: number): Promise<Order[]>;
  /** Fills in time order, optionally since a time (inclusive). */
  fills(since?: number): Promise<Fill[]>;
  /** The events of one order, in the order they were committed. */
  events(clientOrderId: string): Promise<OrderEvent[]>;
}
