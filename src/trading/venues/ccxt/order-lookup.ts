import type { Order as CcxtOrder, Exchange } from 'ccxt';
import { isOrderNotFound } from './error-mapping.js';
import type { OrderAsk, VenueClientIds } from './venue-client-ids.js';

/** What {@link OrderLookup} asks through. */
export interface OrderLookupOptions {
  readonly exchange: Exchange;
  /** Every request goes through this (the venue policy's read). */
  readonly read: <T>(call: () => Promise<T>) => Promise<T>;
  /** Client order ids as the venue takes them, and back. */
  readonly cids: VenueClientIds;
}

/**
 * One of our orders at the venue by its client order id, each venue asked the way ccxt can ask
 * it (`VenueClientIds.ask`): by client id in `fetchOrder`'s params, by the venue id when
 * known and the venue's rule says so, or searched for in the open and closed order lists where
 * ccxt cannot ask by client id (Bitfinex, Deribit, …) or the venue has no `fetchOrder`
 * (Backpack, Lighter). Answers carry Kairos's id in `clientOrderId` (`ours`).
 *
 * @example
 * const lookup = new OrderLookup({ exchange, read: (c) => policy.read(c), cids: venueClientIds(exchange.id) });
 * const order = await lookup.byClientId('sma-1', 'BTC/USDT', undefined, since);
 */
export class OrderLookup {
  constructor(private readonly o: OrderLookupOptions) {}

  /** A venue's order with Kairos's client order id in `clientOrderId`. */
  ours(order: CcxtOrder): CcxtOrder {
    const id = this.o.cids.fromVenue(this.o.cids.reported(order));
    return id === order.clientOrderId ? order : { ...order, clientOrderId: id as string };
  }

  /**
   * The order `id` of `symbol` (its venue id if known; `since`: when it was made, less a margin,
   * for the closed-order list); null when the venue says there is no such order. Where the venue
   * was sent another form of the id before (`ClientIdRule.legacy`: Bitstamp and Gemini until
   * 2026-12-07), an order not found by the id is asked for again in that form.
   */
  async byClientId(
    id: string,
    symbol: string,
    venueId: string | undefined,
    since: number,
  ): Promise<CcxtOrder | null> {
    const ask = this.o.cids.ask('fetchOrder', id, venueId);
    if (ask === null || !this.o.exchange.has.fetchOrder)
      return this.#notFoundAsNull(() => this.inLists(id, symbol, since));
    const found = await this.#fetch(ask, symbol);
    if (found !== null) return found;
    const legacy = this.o.cids.ask('fetchOrder', id, venueId, 'legacy');
    return legacy === null ? null : this.#fetch(legacy, symbol);
  }

  /** The order `ask` names; null when the venue says there is no such order. */
  #fetch(ask: OrderAsk, symbol: string): Promise<CcxtOrder | null> {
    // ccxt's types want a string; `undefined` sends no order id (Gemini: not beside the client id).
    return this.#notFoundAsNull(async () =>
      this.ours(
        await this.o.read(() => this.o.exchange.fetchOrder(ask.id as string, symbol, ask.params)),
      ),
    );
  }

  async #notFoundAsNull(find: () => Promise<CcxtOrder | null>): Promise<CcxtOrder | null> {
    try {
      return await find();
    } catch (e) {
      if (isOrderNotFound(e)) return null;
      throw e;
    }
  }

  /**
   * Our client order id of the venue's order `venueOrderId`, asked again while the venue does not
   * show it, until `graceEnd` on `now` (a trade proves the order exists; a fresh one may not show
   * for a moment); undefined when its answer carries none, or it stays unseen. Any other failed
   * read (429, 418, network) says nothing and throws: the caller asks again later.
   */
  async clientIdOfVenueOrder(
    venueOrderId: string,
    symbol: string,
    graceEnd: number,
    now: () => number,
  ): Promise<string | undefined> {
    for (;;) {
      try {
        const o = await this.o.read(() => this.o.exchange.fetchOrder(venueOrderId, symbol));
        return this.ours(o).clientOrderId || undefined;
      } catch (e) {
        if (!isOrderNotFound(e)) throw e;
        const left = graceEnd - now();
        if (left <= 0) return undefined;
        await new Promise((r) => setTimeout(r, Math.min(250, left)));
      }
    }
  }

  /** The order `id` in the open orders, then in the closed ones since `since` (one page). */
  async inLists(id: string, symbol: string, since: number): Promise<CcxtOrder | null> {
    const ex = this.o.exchange;
    const lists = [
      ex.has.fetchOpenOrders ? () => ex.fetchOpenOrders(symbol) : null,
      ex.has.fetchClosedOrders ? () => ex.fetchClosedOrders(symbol, since) : null,
    ];
    for (const list of lists) {
      if (!list) continue;
      const found = (await this.o.read(list))
        .map((o) => this.ours(o))
        .find((o) => o.clientOrderId === id);
      if (found) return found;
    }
    return null;
  }
}
