import type { Order as CcxtOrder, Trade } from 'ccxt';
import { applyOrderEvent } from '../../model/apply-order-event.js';
import type { StoredOrderRef } from '../../execution/order-store.js';
import type { Fill } from '../../model/fill.js';
import type { Order } from '../../model/order.js';
import { orderRef, type OrderEvent } from '../../model/order-events.js';
import { isTerminal } from '../../model/order-state-machine.js';
import { fillFromTrade } from './ccxt-reports.js';
import { isLegalReport } from './event-screen.js';
import type { ExecutionContext } from './execution-context.js';
import { myTradesSince } from './my-trades.js';
import { type ParkedDrop, ParkedTrades } from './parked-trades.js';

/** How many trades are kept aside for venue orders not linked yet. */
const MAX_PARKED = 1000;

/** The name of a venue order whose client id does not read back here; never remembered. */
export const placeholderId = (venueOrderId: string) => `venue-order-${venueOrderId}`;

/**
 * Our trades, from any source (create answers, `watchMyTrades`, reports, REST reads), to the
 * order each belongs to, as fills, each once: by the order's venue id, the client id the trade
 * names (Binance `c`, OKX `clOrdId`), or a look-up of its venue order. A trade whose order's
 * client id does not read back yet is parked until a look-up links the order. A fill of an order
 * the OMS has closed goes to the OMS as it is (it knows every trade id it applied); one that
 * would overfill is raised. A trade of an order this client and the OMS have both released goes
 * to the OMS as a report of the store's order (`storedOrder`), which takes it back.
 *
 * @example
 * const trades = new TradeRouting(ctx, { closedOrderRetentionMs: 600_000 });
 * trades.onTrade(trade);
 */
export class TradeRouting {
  /** Trades of orders whose client id does not read back yet: applied once the order is linked. */
  readonly #parked: ParkedTrades;
  /** The newest fill's time: a reconnect's catch-up reads from a minute before it. */
  lastFillTs: number;

  constructor(
    private readonly c: ExecutionContext,
    options: { readonly closedOrderRetentionMs: number },
  ) {
    this.lastFillTs = c.now();
    const keepMs = options.closedOrderRetentionMs;
    this.#parked = new ParkedTrades({
      keepMs,
      max: MAX_PARKED,
      now: () => c.now(),
      onDrop: (venueOrderId, t, why) =>
        c.alert('PARKED_TRADE_DROPPED', dropped(venueOrderId, t, why, keepMs)),
    });
  }

  /** Drops (and alerts) the trades kept aside a whole window without their order linked. */
  sweepParked(): void {
    this.#parked.sweep();
  }

  /** Trades parked for an order not linked yet. */
  get parkedCount(): number {
    return this.#parked.size;
  }

  /** The order `clientOrderId` is now linked to `venueOrderId`: its parked trades apply. */
  linked(clientOrderId: string, venueOrderId: string): void {
    for (const t of this.#parked.take(venueOrderId)) this.onTrade(t, clientOrderId);
  }

  /** A trade of ours from any source: becomes a fill once, for the order it belongs to. */
  onTrade(t: Trade, hint?: string, order?: CcxtOrder): void {
    const venueOrderId = t.order !== undefined && t.order !== null ? String(t.order) : undefined;
    const info = (t.info ?? {}) as Record<string, unknown>;
    const id =
      hint ??
      (venueOrderId ? this.c.mem.idOfVenueOrder(venueOrderId) : undefined) ??
      (typeof info.c === 'string' ? this.c.cids.fromVenue(info.c) : undefined);
    if (id === undefined) {
      if (venueOrderId && t.symbol) this.c.track(this.#resolveTrade(t, venueOrderId, t.symbol));
      return;
    }
    const cur = this.c.current(id);
    if (!cur) return this.#released(t, { clientOrderId: id, venueOrderId });
    const fill = fillFromTrade(t, {
      venue: this.c.venue,
      accountId: this.c.accountId,
      clientOrderId: id,
      instrumentId: cur.instrumentId,
      side: cur.side,
      quote: this.c.instruments.get(cur.instrumentId)?.quote ?? '',
      ts: order?.lastTradeTimestamp ?? order?.timestamp ?? this.c.now(),
    });
    if (fill) this.deliverFill(fill);
  }

  /** A trade of an order known only by its venue id (sent before a restart): look it up. */
  async #resolveTrade(t: Trade, venueOrderId: string, symbol: string): Promise<void> {
    try {
      const id = await this.c.lookup.clientIdOfVenueOrder(
        venueOrderId,
        symbol,
        -Infinity,
        this.c.now,
      );
      if (id !== undefined && this.c.current(id)) {
        this.c.link(id, venueOrderId);
        this.onTrade(t, id);
      } else if (id !== undefined) this.#released(t, { clientOrderId: id, venueOrderId });
      else if (this.c.mem.idOfVenueOrder(venueOrderId)) this.onTrade(t);
      // Its client id does not read back (a hashed form forgotten, or sent before a restart).
      else if (this.c.storedOrder) await this.#fromStore(t, { venueOrderId });
      else this.#park(t, venueOrderId);
    } catch (e) {
      this.c.log(`trade ${t.id}: order ${venueOrderId} not resolved: ${(e as Error).message}`);
    }
  }

  #park(t: Trade, venueOrderId: string): void {
    this.#parked.park(venueOrderId, t);
    this.c.log(`trade ${t.id}: order ${venueOrderId} not read back yet; applied once it is`);
  }

  /**
   * A trade of an order neither the OMS nor this client holds (both released it, or it closed
   * before a restart): asked of the store (`storedOrder`); without one, logged and left to
   * reconciliation, which reads trades since the last fill only and so misses an older one.
   */
  #released(t: Trade, ref: StoredOrderRef): void {
    if (this.c.storedOrder) return this.c.track(this.#fromStore(t, ref));
    this.c.log(`trade ${t.id}: order ${ref.clientOrderId} not known here; left to reconciliation`);
  }

  /**
   * The store's order of a trade, if it holds one: a trade of an order held again meanwhile is
   * applied as any other; one of a released order goes to the OMS as a report of it, as it is
   * (the OMS takes the order back from the store: a copy of a stored fill ends there, a new one
   * is applied, `LATE_FILL`). Not stored: `UNKNOWN_ORDER_REPORT` when the trade named our client
   * id; else parked (a fresh order's venue id is stored once its create answer is).
   */
  async #fromStore(t: Trade, ref: StoredOrderRef): Promise<void> {
    const o = await this.#stored(String(t.id), ref);
    if (o === null) return;
    const venueOrderId = ref.venueOrderId;
    if (o === undefined) {
      if (ref.clientOrderId === undefined && venueOrderId !== undefined) {
        // Linked meanwhile (its create answered): applied now; else kept until it is.
        if (this.c.mem.idOfVenueOrder(venueOrderId)) return this.onTrade(t);
        return this.#park(t, venueOrderId);
      }
      return this.c.alert(
        'UNKNOWN_ORDER_REPORT',
        `trade ${t.id} for unknown order ${ref.clientOrderId} (venue order ${venueOrderId ?? '?'}): neither held nor stored; not applied`,
      );
    }
    const id = o.clientOrderId;
    if (this.c.current(id)) {
      if (venueOrderId) this.c.link(id, venueOrderId);
      return this.onTrade(t, id);
    }
    const fill = fillFromTrade(t, {
      venue: this.c.venue,
      accountId: this.c.accountId,
      clientOrderId: id,
      instrumentId: o.instrumentId,
      side: o.side,
      quote: this.c.instruments.get(o.instrumentId)?.quote ?? '',
      ts: this.c.now(),
    });
    if (fill) this.#toOms(o, fill);
  }

  /**
   * A fill a reconnect's catch-up read of an order neither the OMS nor this client holds: handed
   * to the OMS as a report of the store's order, as a stream trade of it is (`#fromStore`). One
   * the store does not know is left to reconciliation (its drift).
   */
  releasedFill(fill: Fill): void {
    if (this.c.storedOrder) this.c.track(this.#storedFill(fill));
  }

  async #storedFill(fill: Fill): Promise<void> {
    const o = await this.#stored(fill.tradeId, { clientOrderId: fill.clientOrderId });
    if (!o) return;
    if (this.c.current(o.clientOrderId)) return this.deliverFill(fill);
    this.#toOms(o, { ...fill, instrumentId: o.instrumentId });
  }

  /** The store's order (undefined: none), or null when the store could not be read (raised). */
  async #stored(tradeId: string, ref: StoredOrderRef): Promise<Order | undefined | null> {
    try {
      return await this.c.storedOrder!(ref);
    } catch (e) {
      this.c.alert(
        'ORDER_RECALL_FAILED',
        `trade ${tradeId} of order ${ref.clientOrderId ?? ref.venueOrderId}: the store could not be read (${(e as Error).message}); not applied, left to reconciliation`,
      );
      return null;
    }
  }

  /** A fill of a released order to the OMS, as it is, once here (the OMS takes the order back). */
  #toOms(o: Order, fill: Fill): void {
    if (this.c.mem.hasTrade(fill.tradeId)) return;
    this.c.mem.addTrade(o.clientOrderId, fill.tradeId);
    this.c.deliver({ kind: 'OrderFilled', ...orderRef(o), ts: fill.ts, fill });
  }

  deliverFill(fill: Fill): void {
    if (this.c.mem.hasTrade(fill.tradeId)) return;
    const cur = this.c.current(fill.clientOrderId)!;
    if (this.c.omsView && isTerminal(cur.status)) return this.#lateFill(cur, fill);
    if (cur.filledQuantity.plus(fill.quantity).gt(cur.quantity)) {
      this.c.mem.addTrade(fill.clientOrderId, fill.tradeId);
      return this.c.alert(
        'ORDER_OVERFILL',
        `fill ${fill.tradeId} would overfill ${fill.clientOrderId}; not applied`,
      );
    }
    if (isTerminal(cur.status))
      return this.c.alert(
        'VENUE_LATE_FILL',
        `fill ${fill.tradeId} arrived after ${fill.clientOrderId} was ${cur.status}; left to reconciliation`,
      );
    this.c.mem.addTrade(fill.clientOrderId, fill.tradeId);
    this.lastFillTs = Math.max(this.lastFillTs, fill.ts);
    this.c.emitEvent({ kind: 'OrderFilled', ...this.c.ids(cur), ts: fill.ts, fill });
    this.c.fillsArrived(fill.clientOrderId);
  }

  /**
   * A fill not seen here of an order the OMS has closed (its fills after a cancel the venue did
   * not count, or a copy of one reported after the order was released here): handed to the OMS
   * as it is, which knows every trade id it applied (a copy ends there), applies a fill made
   * before a cancel or expiry took effect (`LATE_FILL`) and raises the rest. Never dropped here.
   */
  #lateFill(cur: Order, fill: Fill): void {
    this.c.mem.addTrade(fill.clientOrderId, fill.tradeId);
    this.c.mem.closedNow(fill.clientOrderId);
    this.c.deliver({ kind: 'OrderFilled', ...this.c.ids(cur), ts: fill.ts, fill });
    this.c.fillsArrived(fill.clientOrderId);
  }

  /**
   * Our trades since `ts` (at most `lookbackMs` back) as fills, oldest first; `resolved` false for
   * one whose order's client id does not read back (under a placeholder; the trade is parked).
   */
  async fetchFills(ts: number): Promise<{ fill: Fill; resolved: boolean }[]> {
    const now = this.c.now();
    const from = Math.max(ts, now - this.c.lookbackMs);
    const read = <T>(call: () => Promise<T>) => this.c.read(call);
    const out: { fill: Fill; resolved: boolean }[] = [];
    for (const [symbol, inst] of this.c.instruments) {
      const trades = await myTradesSince({
        exchange: this.c.exchange,
        symbol,
        from,
        now,
        read,
        onHidden: this.hidden(symbol),
      });
      for (const t of trades) {
        const known = await this.#clientIdOfTrade(t, symbol);
        const id = known ?? placeholderId(String(t.order ?? ''));
        const fill = fillFromTrade(t, {
          venue: this.c.venue,
          accountId: this.c.accountId,
          clientOrderId: id,
          instrumentId: symbol,
          side: this.c.current(id)?.side ?? 'BUY',
          quote: inst.quote,
          ts: now,
        });
        if (fill) out.push({ fill, resolved: known !== undefined });
      }
    }
    return out.sort((a, b) => a.fill.ts - b.fill.ts);
  }

  /** Told of a stamp with a full page of our trades, which time paging cannot read past. */
  hidden(symbol: string): (ts: number) => void {
    return (ts) =>
      this.c.alert(
        'VENUE_TRADES_HIDDEN',
        `${symbol}: a full page of our trades is stamped ${ts}; the venue pages by time only, ` +
          'so more at that stamp cannot be read: compare with the venue',
      );
  }

  /** Our client id of a trade's order; undefined (the trade parked) when it does not read back. */
  async #clientIdOfTrade(t: Trade, symbol: string): Promise<string | undefined> {
    const venueOrderId = String(t.order ?? '');
    const known = this.c.mem.idOfVenueOrder(venueOrderId);
    if (known) return known;
    const info = (t.info ?? {}) as Record<string, unknown>;
    const c = typeof info.c === 'string' ? this.c.cids.fromVenue(info.c) : undefined;
    if (c !== undefined) return c;
    // OKX names the order's client order id in each fill.
    const own = typeof info.clOrdId === 'string' ? this.c.cids.fromVenue(info.clOrdId) : undefined;
    if (own !== undefined && this.c.current(own)) return own;
    const graceEnd = this.c.now() + this.c.grace();
    const id = await this.c.lookup.clientIdOfVenueOrder(venueOrderId, symbol, graceEnd, this.c.now);
    if (id === undefined) {
      // Reconciliation reports it as drift; the order's look-up by client id applies it.
      if (venueOrderId) this.#parked.park(venueOrderId, t);
      return undefined;
    }
    this.c.link(id, venueOrderId);
    return id;
  }

  note(fill: Fill): void {
    if (this.c.mem.hasTrade(fill.tradeId)) return;
    this.c.mem.addTrade(fill.clientOrderId, fill.tradeId);
    const rec = this.c.mem.get(fill.clientOrderId)!;
    const mine = rec.order;
    if (this.c.omsView || !mine) return;
    const event: OrderEvent = { kind: 'OrderFilled', ...this.c.ids(mine), ts: fill.ts, fill };
    if (isLegalReport(mine, event)) rec.order = applyOrderEvent(mine, event);
  }
}

/** The alert of a trade kept aside and dropped before its order was linked. */
function dropped(venueOrderId: string, t: Trade, why: ParkedDrop, keepMs: number): string {
  const what = `${t.symbol ?? '?'} ${t.side ?? '?'} ${String(t.amount ?? '?')} at ${String(t.price ?? '?')}`;
  const when =
    why === 'expired'
      ? `unlinked after ${keepMs} ms (the closed-order window)`
      : `as the oldest of ${MAX_PARKED} kept aside`;
  return (
    `trade ${String(t.id)} (${what}) of venue order ${venueOrderId} dropped ${when}: its client id ` +
    'never read back; if that order is ours, this fill is missing: compare with the venue'
  );
}
