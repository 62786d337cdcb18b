import type { Order as CcxtOrder } from 'ccxt';
import type { Decimal } from '../../core/decimal.js';
import { Reason } from '../../core/reason-codes.js';
import type { OrderEvent } from '../../model/order-events.js';
import { dec } from './ccxt-reports.js';
import { VenueReason } from './error-mapping.js';
import type { EventIds, ExecutionContext } from './execution-context.js';
import { myTradesSince } from './my-trades.js';
import type { TradeRouting } from './trade-routing.js';

/** A terminal report held back until the order's fills have arrived. */
interface Held {
  event: OrderEvent | null;
  venueFilled: Decimal;
  /** When the venue says it made the order (its clock), if it said: its fills are not older. */
  since: number | undefined;
  attempts: number;
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * The venue's reports of our orders (create and cancel answers, `watchOrders`, look-ups) as
 * `OrderEvent`s: acceptance, rejection, cancel, expiry, and the trades they carry (to
 * `TradeRouting`). A terminal report is held until the order's fills reach what the venue says
 * was filled; meanwhile the missing fills are fetched (every page of the order's trades, up to
 * five times, `fillGraceMs` apart), then `VENUE_FILLS_MISSING` leaves it to reconciliation.
 *
 * @example
 * const reports = new ReportRouting(ctx, trades);
 * reports.onVenueOrder(await exchange.createOrder(...), clientOrderId);
 */
export class ReportRouting {
  readonly #held = new Map<string, Held>();

  constructor(
    private readonly c: ExecutionContext,
    private readonly trades: TradeRouting,
  ) {}

  /** Terminal reports waiting for their fills. */
  get heldCount(): number {
    return this.#held.size;
  }

  /** Whether a terminal report of `id` waits for its fills. */
  isHeld(id: string): boolean {
    return this.#held.has(id);
  }

  /** Fetches again the fills of every order whose terminal report waits (after a reconnect). */
  refetchHeld(): void {
    for (const id of this.#held.keys()) this.c.track(this.#fetchOrderFills(id));
  }

  /** Stops the timers; nothing held goes out. */
  close(): void {
    for (const h of this.#held.values()) if (h.timer) clearTimeout(h.timer);
    this.#held.clear();
  }

  /** Applies what the venue says about an order: its fills, acceptance, end. */
  onVenueOrder(answer: CcxtOrder, hint?: string): void {
    const o = this.c.lookup.ours(answer);
    const venueId = o.id ? String(o.id) : undefined;
    // The venue id first: on a cancel, some venues report the cancel request's client id.
    const id =
      hint ?? (venueId ? this.c.mem.idOfVenueOrder(venueId) : undefined) ?? o.clientOrderId;
    if (id === undefined || !this.c.current(id)) return;
    if (venueId) this.c.link(id, venueId);
    const cur = this.c.current(id)!;
    if (o.status === 'rejected') {
      const unacked = cur.status === 'SUBMITTED' || cur.status === 'UNKNOWN';
      const reason = VenueReason.REJECTED_AT_VENUE;
      return void this.c.emit(id, (ids) =>
        unacked
          ? { kind: 'OrderRejected', ...ids, reason, message: 'rejected by the venue' }
          : { kind: 'OrderCanceled', ...ids, reason },
      );
    }
    if ((cur.status === 'SUBMITTED' || cur.status === 'UNKNOWN') && venueId)
      this.c.emit(id, (ids) => ({ kind: 'OrderAccepted', ...ids, venueOrderId: venueId }));
    for (const t of o.trades ?? []) this.trades.onTrade({ ...t, order: t.order ?? venueId }, id, o);
    const filled = dec(o.filled);
    switch (o.status) {
      case 'closed':
        return this.#finish(id, null, filled, o.timestamp);
      case 'canceled':
      case 'cancelled': {
        const reason = this.c.mem.get(id)?.cancelAsked
          ? Reason.CANCELED_BY_USER
          : VenueReason.CANCELED_AT_VENUE;
        return this.#finish(
          id,
          (ids) => ({ kind: 'OrderCanceled', ...ids, reason }),
          filled,
          o.timestamp,
        );
      }
      case 'expired': {
        const tif = this.c.current(id)!.timeInForce;
        const reason =
          tif === 'IOC'
            ? Reason.IOC_REMAINDER_CANCELED
            : tif === 'FOK'
              ? Reason.FOK_NOT_FILLABLE
              : VenueReason.EXPIRED_AT_VENUE;
        return this.#finish(
          id,
          (ids) => ({ kind: 'OrderExpired', ...ids, reason }),
          filled,
          o.timestamp,
        );
      }
      default:
        if (this.c.current(id)!.filledQuantity.lt(filled))
          this.#finish(id, null, filled, o.timestamp);
    }
  }

  /**
   * Delivers a terminal report once the order's fills reach what the venue says was filled;
   * until then it is held and the missing fills are fetched (`null`: only the fills are awaited).
   */
  #finish(
    id: string,
    make: ((ids: EventIds) => OrderEvent) | null,
    venueFilled: Decimal,
    since?: number,
  ): void {
    const cur = this.c.current(id)!;
    const event = make ? make(this.c.ids(cur)) : null;
    if (cur.filledQuantity.gte(venueFilled)) {
      this.#drop(id);
      if (event) this.c.emitEvent(event);
      return;
    }
    const held = this.#held.get(id);
    if (held) {
      if (event) held.event = event;
      if (venueFilled.gt(held.venueFilled)) held.venueFilled = venueFilled;
      return;
    }
    this.#held.set(id, { event, venueFilled, since, attempts: 0, timer: null });
    this.#scheduleFetch(id);
  }

  #scheduleFetch(id: string): void {
    const h = this.#held.get(id);
    if (!h || h.timer) return;
    h.timer = setTimeout(() => {
      h.timer = null;
      this.c.track(this.#fetchOrderFills(id));
    }, this.c.fillGraceMs);
  }

  async #fetchOrderFills(id: string): Promise<void> {
    const h = this.#held.get(id);
    const symbol = this.c.symbolOf(id);
    if (!h) return;
    try {
      const now = this.c.now();
      const made = h.since ?? this.c.mem.get(id)?.sentAt ?? now;
      // A report that named no venue id (and none known): the order is looked up by client id
      // first. Without one, the attempt counts all the same: a held report never stays for good.
      const venueId =
        this.c.mem.get(id)?.venueId ??
        (symbol === undefined ? undefined : await this.#venueIdOf(id, symbol, made));
      if (venueId === undefined || symbol === undefined)
        throw new Error('its venue order id is not known');
      // Every page of the order's fills (an order may have more than a page: 100 on OKX).
      const from = Math.max(made - 60_000, now - this.c.lookbackMs);
      const trades = await myTradesSince({
        exchange: this.c.exchange,
        symbol,
        from,
        now,
        read: (call) => this.c.read(call),
        onHidden: this.trades.hidden(symbol),
        order: venueId,
      });
      for (const t of trades) this.trades.onTrade(t, id);
    } catch (e) {
      this.c.log(`fills of ${id}: ${(e as Error).message}`);
    }
    if (!this.#held.has(id)) return;
    if (++h.attempts < 5) return this.#scheduleFetch(id);
    this.#drop(id);
    this.c.alert(
      'VENUE_FILLS_MISSING',
      `${id}: the venue reports ${h.venueFilled.toFixed()} filled, fewer fills arrived; left to reconciliation`,
    );
  }

  /** The venue id of our order `id`, found by its client id (linked); undefined: not found. */
  async #venueIdOf(id: string, symbol: string, made: number): Promise<string | undefined> {
    const found = await this.c.lookup.byClientId(id, symbol, undefined, made - 60_000);
    if (!found?.id) return undefined;
    this.c.link(id, String(found.id));
    return String(found.id);
  }

  #drop(id: string): void {
    const h = this.#held.get(id);
    if (h?.timer) clearTimeout(h.timer);
    this.#held.delete(id);
  }

  /** A held terminal report goes out once the order's fills reach what the venue said. */
  fillsArrived(id: string): void {
    const h = this.#held.get(id);
    if (h && this.c.current(id)!.filledQuantity.gte(h.venueFilled)) {
      this.#drop(id);
      if (h.event) this.c.emitEvent(h.event);
    }
  }
}
