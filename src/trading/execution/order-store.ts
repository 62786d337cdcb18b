import type { Fill } from '../model/fill.js';
import type { LedgerState } from '../portfolio/ledger-state.js';
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

/**
 * What `OrderStore.restorable` reads besides the open orders. Times are integer ms.
 *
 * @example
 * // a node replaying from its snapshot at t, its strategies reading 10 minutes of closed orders
 * await store.restorable({ madeSince: t, closedWithin: { ms: 600_000, endsAt: Math.max(now, t) } });
 * // a server account's core: the window ends at the later of now and the latest update stored
 * await store.restorable({ closedWithin: { ms: 600_000, endsAt: now, orLatestUpdate: true } });
 */
export interface RestoreQuery {
  /** Also the orders created at or after this time, whatever their status (a replayed bar's). */
  readonly madeSince?: number;
  /**
   * Also the terminal orders whose last event (`updatedAt`) is at or after the window's end less
   * `ms`: those a strategy still reads (`ctx.order`). The window ends at `endsAt` or, with
   * `orLatestUpdate`, at the latest `updatedAt` of the account's orders if that is later (a
   * server account's core, whose clock may start anew: never every finished order).
   */
  readonly closedWithin?: {
    readonly ms: number;
    readonly endsAt: number;
    readonly orLatestUpdate?: boolean;
  };
}

/** `OrderStore.restorable`'s answer; an order may be in more than one list. */
export interface RestorableOrders {
  /** Orders that are not terminal, nor only initialized (submitted, accepted, partly filled…). */
  readonly open: Order[];
  /** Orders created at or after `madeSince` (none without it). */
  readonly made: Order[];
  /** Terminal orders updated within `closedWithin` (none without it). */
  readonly closed: Order[];
}

/**
 * Where a ledger checkpoint's fills end, in the store's order of fills (time, trade id, venue):
 * the checkpoint covers every fill at or before it.
 */
export interface FillCut {
  readonly ts: number;
  readonly tradeId: string;
  readonly venue: string;
}

/**
 * The account's ledger after every stored fill up to `through` (in the store's order), `fills` of
 * them (`docs/decisions/ledger-checkpoints.md`).
 *
 * @example
 * await store.saveLedgerCheckpoint({ through, fills: 1_204, state: ledger.state() });
 */
export interface LedgerCheckpoint {
  readonly through: FillCut;
  readonly fills: number;
  readonly state: LedgerState;
}

/** A stored fill with the owner (strategy or trader) of its order. */
export interface OwnedFill {
  readonly fill: Fill;
  /** Undefined when the store holds no order for it. */
  readonly owner: string | undefined;
}

/**
 * `OrderStore.ledgerStart`'s answer: the latest checkpoint and the fills after its cut, in the
 * store's order; or, when there is none or it no longer covers what it counted (a fill stored
 * since lies behind its cut: a late trade), no checkpoint and every fill.
 */
export interface LedgerStart {
  readonly checkpoint: LedgerCheckpoint | null;
  readonly after: readonly OwnedFill[];
}

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
   *
   * Answers the `seq` each event was stored under (`StoredOrderEvent.seq`), in the order given
   * (null: a fill already stored, not written again), or nothing when the store does not tell:
   * the order journal then knows no place for a strategy snapshot (`OrderJournal.mark`).
   */
  commitBatch(
    items: readonly { readonly after: Order; readonly event: OrderEvent }[],
    durability?: CommitDurability,
  ): Promise<readonly (number | null)[] | void>;
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
  /**
   * What a core restores at start-up, in one statement (no index serves time: one pass over the
   * account's orders, and a narrow one before it for `orLatestUpdate`;
   * `docs/decisions/strategy-order-window.md`): the open orders, those made since `madeSince` and
   * those closed within `closedWithin`, each list by creation time and id.
   */
  restorable(query: RestoreQuery): Promise<RestorableOrders>;
  /**
   * What a ledger starts from, in one statement (`LedgerStart`): the latest checkpoint if it still
   * covers the fills it counted, and the fills after its cut with their orders' owners; else, and
   * with `whole`, every fill.
   */
  ledgerStart(whole?: boolean): Promise<LedgerStart>;
  /**
   * Keeps `checkpoint` as the account's latest, unless the one kept has a later cut (then
   * nothing). A state that is not plain JSON throws.
   */
  saveLedgerCheckpoint(checkpoint: LedgerCheckpoint): Promise<void>;
  /** Fills in time order (then trade id and venue), optionally since a time (inclusive). */
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
  /**
   * The events of these orders (of those stored), in the order they were committed across them:
   * what a strategy heard of them, in the order it heard it (a replayed bar shows them again).
   */
  eventsOf(clientOrderIds: readonly string[]): Promise<StoredOrderEvent[]>;
  /**
   * The events of a strategy's orders committed after `seq` (`StoredOrderEvent.seq`), in the
   * order committed: what it had not heard at a snapshot taken there (a restart tells them).
   */
  eventsAfter(strategyId: string, seq: number): Promise<StoredOrderEvent[]>;
}

/** An order event as stored: `seq` is its place in the order every event was committed. */
export interface StoredOrderEvent {
  readonly seq: number;
  readonly event: OrderEvent;
}
