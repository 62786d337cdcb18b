import { retentionMs } from '../../execution/order-retention.js';
import type { Order } from '../../model/order.js';

/** How long a closed order is kept by default (`closedOrderRetentionMs`): 10 minutes, as the OMS. */
export { CLOSED_ORDER_RETENTION_MS } from '../../execution/order-retention.js';

/** What the execution client keeps of one order, until the order is released. */
export interface OrderRecord {
  /** The client's own copy (its screen when it has no OMS view). */
  order: Order | undefined;
  sentAt: number | undefined;
  /** When its create call ended (answered or failed). */
  createEnded: number | undefined;
  /**
   * A create that got no answer: the latest moment, on the client's clock, the venue may still
   * take it (`create-expiry.ts`); its look-up by client id does not answer "not there" before.
   */
  takeBy: number | undefined;
  venueId: string | undefined;
  /** Venue ids it was linked to before `venueId` (rare: released with it). */
  readonly earlierVenueIds: string[];
  cancelAsked: boolean;
  /** The trade ids of its fills seen here: released with it. */
  readonly tradeIds: string[];
  /** When it was first seen closed, on the client's clock. */
  closedAt: number | undefined;
}

/** Options of {@link OrderMemory}. */
export interface OrderMemoryOptions {
  /** How long a closed order is kept after it was first seen closed (ms, ≥ 0). */
  readonly retentionMs: number;
  /** The client's clock (injected). */
  readonly now: () => number;
  /** Whether the order is over: terminal, or known neither to the OMS nor to the client. */
  readonly closed: (clientOrderId: string) => boolean;
  /** Whether something still works on it (a create under way, a terminal report held for fills). */
  readonly busy: (clientOrderId: string) => boolean;
  /** Told of each order released (its client id encodings are forgotten too). */
  readonly onRelease?: (clientOrderId: string) => void;
}

/** How much the client holds: orders, venue-id links and trade ids (a diagnostic). */
export interface OrderMemorySize {
  readonly orders: number;
  readonly venueIds: number;
  readonly tradeIds: number;
}

/** What a client holds now (its `memory`, a diagnostic). */
export interface ClientMemory extends OrderMemorySize {
  /** Terminal reports waiting for their fills. */
  readonly held: number;
  /** Hashed client order ids remembered (`venue-client-ids.ts`). */
  readonly hashedIds: number;
  /** Trades waiting for their order's client id to read back (`parked-trades.ts`). */
  readonly parkedTrades: number;
}

/**
 * The per-order state of a live execution client, bounded: an order closed (terminal and settled)
 * is released `retentionMs` after it was first seen closed, so a node running for weeks holds the
 * open orders and the recently closed ones, not every order it ever placed. Late reports within
 * the window find the order here; after it, the client finds it again (the OMS's view, a look-up
 * by client or venue id): `docs/decisions/execution-client-retention.md`. Sweeps come with the
 * client's calls (each submit and reconciliation query), at most one a minute of its clock.
 *
 * @example
 * const memory = new OrderMemory({ retentionMs: 600_000, now, closed: (id) => …, busy: (id) => … });
 * memory.entry('k-1').sentAt = now();
 */
export class OrderMemory {
  readonly #o: OrderMemoryOptions;
  readonly #records = new Map<string, OrderRecord>();
  readonly #byVenueId = new Map<string, string>();
  readonly #tradeIds = new Set<string>();
  #nextSweep = -Infinity;

  constructor(options: OrderMemoryOptions) {
    retentionMs(options.retentionMs);
    this.#o = options;
  }

  get(clientOrderId: string): OrderRecord | undefined {
    return this.#records.get(clientOrderId);
  }

  /** The order's record, made when there is none. */
  entry(clientOrderId: string): OrderRecord {
    let r = this.#records.get(clientOrderId);
    if (r === undefined) {
      r = {
        order: undefined,
        sentAt: undefined,
        createEnded: undefined,
        takeBy: undefined,
        venueId: undefined,
        earlierVenueIds: [],
        cancelAsked: false,
        tradeIds: [],
        closedAt: undefined,
      };
      this.#records.set(clientOrderId, r);
    }
    return r;
  }

  /** Our client order id of a venue order id, while both are kept. */
  idOfVenueOrder(venueOrderId: string): string | undefined {
    return this.#byVenueId.get(venueOrderId);
  }

  link(clientOrderId: string, venueOrderId: string): void {
    const r = this.entry(clientOrderId);
    // An earlier venue id stays linked too (a venue reporting it later still finds the order).
    if (r.venueId !== undefined && r.venueId !== venueOrderId) r.earlierVenueIds.push(r.venueId);
    this.#byVenueId.set(venueOrderId, clientOrderId);
    r.venueId = venueOrderId;
  }

  hasTrade(tradeId: string): boolean {
    return this.#tradeIds.has(tradeId);
  }

  addTrade(clientOrderId: string, tradeId: string): void {
    if (this.#tradeIds.has(tradeId)) return;
    this.#tradeIds.add(tradeId);
    this.entry(clientOrderId).tradeIds.push(tradeId);
  }

  /** The order is closed as of now (its retention runs from the first time). */
  closedNow(clientOrderId: string): void {
    const r = this.#records.get(clientOrderId);
    if (r && r.closedAt === undefined) r.closedAt = this.#o.now();
  }

  /**
   * Releases the orders closed and settled for `retentionMs`; notes the closed ones not yet
   * noted. Runs at most once a minute (of the client's clock) unless `force`d.
   */
  sweep(force = false): void {
    const now = this.#o.now();
    if (!force && now < this.#nextSweep) return;
    this.#nextSweep = now + Math.min(this.#o.retentionMs, 60_000);
    for (const [id, r] of this.#records) {
      if (!this.#o.closed(id)) {
        r.closedAt = undefined;
        continue;
      }
      r.closedAt ??= now;
      if (now - r.closedAt < this.#o.retentionMs || this.#o.busy(id)) continue;
      this.#records.delete(id);
      for (const v of [r.venueId, ...r.earlierVenueIds])
        if (v !== undefined && this.#byVenueId.get(v) === id) this.#byVenueId.delete(v);
      for (const t of r.tradeIds) this.#tradeIds.delete(t);
      this.#o.onRelease?.(id);
    }
  }

  get size(): OrderMemorySize {
    return {
      orders: this.#records.size,
      venueIds: this.#byVenueId.size,
      tradeIds: this.#tradeIds.size,
    };
  }
}
