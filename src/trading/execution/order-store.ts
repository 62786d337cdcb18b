import type { Fill } from '../model/fill.js';
import type { Order } from '../model/order.js';
import type { OrderEvent } from '../model/order-events.js';

/** A fill's key in the store (with the account): its venue and the venue's trade id. */
export interface TradeKey {
  readonly venue: string;
  readonly tradeId: string;
}

/**
 * How a venue's trade names its order: our client order id when the trade carries it in a form
 * that reads back, and the venue's order id.
 */
export interface StoredOrderRef {
  readonly clientOrderId?: string;
  readonly venueOrderId?: string;
}

/**
 * The store's order for a trade whose order neither the OMS nor the venue client holds any more
 * (both released it, or it closed before a restart): by client order id, else by venue order id
 * (`OrderRecall.stored`; `docs/decisions/execution-client-retention.md`).
 *
 * @example
 * const order = await stored({ venueOrderId: '8121' });
 */
export type StoredOrderLookup = (ref: StoredOrderRef) => Promise<Order | undefined>;

/** Whether a commit returns once on disk (`'flushed'`, the default) or may return before. */
export type CommitDurability = 'flushed' | 'deferred';

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
   *
   * `'deferred'` (for a store that has `flush`): the commit may return before it is on disk;
   * it is visible at once, it is made durable by the next `'flushed'` commit or `flush()` (the
   * database's log is written in order, so a later flush covers it), and a store that finds a
   * deferred commit lost (the database crashed before a flush) refuses every later write.
   * Nothing may be sent to a venue on the strength of a deferred commit.
   */
  commitBatch(
    items: readonly { readonly after: Order; readonly event: OrderEvent }[],
    durability?: CommitDurability,
  ): Promise<void>;
  /**
   * Makes every deferred commit so far durable (resolves at once when there is none); rejects,
   * failing closed, when one of them was lost. Absent: the store never defers.
   */
  flush?(): Promise<void>;
  /** One order by client order id. */
  order(clientOrderId: string): Promise<Order | undefined>;
  /**
   * The order the venue knows by `venueOrderId` (of the store's account; the latest made, should a
   * venue ever reuse one), or undefined. Rare (a late trade naming only its venue order): no index.
   */
  orderByVenueId(venueOrderId: string): Promise<Order | undefined>;
  /** The orders with these client order ids (those that exist, in no particular order). */
  orders(clientOrderIds: readonly string[]): Promise<Order[]>;
  /** Orders that are not terminal (submitted, accepted, partially filled, pending cancel…). */
  openOrders(): Promise<Order[]>;
  /** Orders created at or after `ts`, whatever their status (to replay a bar after a crash). */
  ordersSince(ts: number): Promise<Order[]>;
  /**
   * Terminal orders whose last event (`updatedAt`) is at or after `ts`: those a strategy still
   * reads (`ctx.order`) after a restart (`docs/decisions/strategy-order-window.md`).
   */
  ordersClosedSince(ts: number): Promise<Order[]>;
  /**
   * The latest `updatedAt` of the account's orders (null: none): where a server account's window
   * of closed orders ends at start-up, its clock starting anew (`TradingCoreConfig.restoreClosed`).
   */
  lastUpdatedAt(): Promise<number | null>;
  /** Fills in time order, optionally since a time (inclusive). */
  fills(since?: number): Promise<Fill[]>;
  /** The stored fills of these orders (of those that have any), each order's in the order stored. */
  fillsOf(clientOrderIds: readonly string[]): Promise<Fill[]>;
  /**
   * The stored fills under these keys (venue and trade id; of those stored): a trade found here
   * is known, whatever the OMS holds (`docs/decisions/oms-retention.md`).
   */
  storedFills(trades: readonly TradeKey[]): Promise<Fill[]>;
  /** The events of one order, in the order they were committed. */
  events(clientOrderId: string): Promise<OrderEvent[]>;
}
