import type { Order as CcxtOrder, Exchange, Trade } from 'ccxt';
import {
  createVenuePolicy,
  type VenuePolicy,
} from '../../../scalability/resilience/venue-policy.js';
import type { Decimal } from '../../core/decimal.js';
import { Reason } from '../../core/reason-codes.js';
import type { ExecutionClient } from '../../execution/execution-client.js';
import type { VenueOrderReport, VenueQueries } from '../../execution/venue-queries.js';
import type { Alert } from '../../model/alert.js';
import { applyOrderEvent } from '../../model/apply-order-event.js';
import type { Fill } from '../../model/fill.js';
import type { Instrument } from '../../model/instrument.js';
import type { Order } from '../../model/order.js';
import { orderRef, type OrderEvent, type OrderRef } from '../../model/order-events.js';
import { isTerminal } from '../../model/order-state-machine.js';
import { dec, fillFromTrade, venueReport } from './ccxt-reports.js';
import {
  busyError,
  cancelOutcome,
  createOutcome,
  isClockError,
  VenueReason,
} from './error-mapping.js';
import { createTakeWindowMs, lastTakeAt } from './create-expiry.js';
import { isLegalReport } from './event-screen.js';
import { myTradesSince } from './my-trades.js';
import { OrderLookup } from './order-lookup.js';
import { CLOSED_ORDER_RETENTION_MS, type ClientMemory, OrderMemory } from './order-memory.js';
import { ParkedTrades } from './parked-trades.js';
import { venueClientIds, type VenueClientIds } from './venue-client-ids.js';
import { WatchLoop } from './watch-loop.js';

/** Options of {@link CcxtExecutionClient}. */
export interface CcxtExecutionOptions {
  /** The REST exchange (from `createExchange`), used for every order write and query. */
  readonly exchange: Exchange;
  /** A ccxt.pro exchange for `watchMyTrades`/`watchOrders` (fills as they happen); none: REST only. */
  readonly stream?: Exchange;
  /** The instruments traded here (from `Markets`): symbols to query, quote of each. */
  readonly instruments: readonly Instrument[];
  /** More instruments may come (`setInstrument`): the private streams watch every symbol. */
  readonly growing?: boolean;
  /** The account these credentials trade: its fills are booked to it. */
  readonly accountId: string;
  /** Names the venue in fills and trade-id keys (default: the exchange id). */
  readonly venue?: string;
  /** Retry (reads) and circuit breaker (default: `createVenuePolicy({ venue })`). */
  readonly policy?: VenuePolicy;
  /**
   * The OMS's view of an order (`(id) => exec.order(id)`); reports that would be illegal from
   * its state (a late accept, a second cancel) are dropped. It must apply delivered events at
   * once. Without it the client screens against its own copy of the orders it was sent.
   */
  readonly order?: (clientOrderId: string) => Order | undefined;
  readonly now?: () => number;
  readonly onAlert?: (alert: Alert) => void;
  readonly onLog?: (line: string) => void;
  /** The end of a ban the request gate knows of (`gate.bannedUntil()?.untilMs`). */
  readonly bannedUntil?: () => number | undefined;
  /** Told on a timestamp refusal (-1021), so the clock offset is measured again. */
  readonly onClockError?: () => void;
  /**
   * A fresh order not found is looked for again until this many ms after its create call was
   * answered (or failed), never while that call is under way (default 5 000).
   */
  readonly notFoundGraceMs?: number;
  /**
   * A create with no answer (timeout, dropped connection) on a venue that does not bound how late
   * it may take it (no `expTime` or `recvWindow`: `create-expiry.ts`): its look-up by client id
   * answers "not there" only this long after the call ended (default 60 000).
   */
  readonly unansweredCreateGraceMs?: number;
  /** A cancel/expiry waits this long for its fills before fetching them (default 1 000 ms). */
  readonly fillGraceMs?: number;
  /** `tradesSince` looks back at most this far (default 7 days). */
  readonly lookbackMs?: number;
  /** WebSocket reconnect backoff (defaults 100 ms to 10 s). */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * An order closed (terminal, its fills in) is forgotten this long after it was first seen
   * closed, on `now` (default 600 000: 10 minutes; `docs/decisions/execution-client-retention.md`).
   */
  readonly closedOrderRetentionMs?: number;
}

/** A terminal report held back until the order's fills have arrived. */
interface Held {
  event: OrderEvent | null;
  venueFilled: Decimal;
  /** When the venue says it made the order (its clock), if it said: its fills are not older. */
  since: number | undefined;
  attempts: number;
  timer: ReturnType<typeof setTimeout> | null;
}

const DAY = 86_400_000;

/** The name of a venue order whose client id does not read back here; never remembered. */
const placeholderId = (venueOrderId: string) => `venue-order-${venueOrderId}`;

/**
 * A ccxt venue as Kairos's execution port: `submit` and `cancel` are fire-and-forget, and every
 * outcome comes back as an `OrderEvent` through `deliver`; reconciliation asks `VenueQueries`.
 *
 * - Orders carry their client order id as the venue takes it (`venue-client-ids.ts`), in the
 *   param ccxt maps to the venue's field (ccxt's `clientOrderId`: Binance `newClientOrderId`,
 *   OKX `clOrdId`, …). Writes go through the venue policy once, never retried.
 * - A create with no answer (timeout, dropped connection, 5xx) gives `OrderUnknown` and is never
 *   resent; a refusal gives `OrderRejected` with a stable reason (`error-mapping.ts`).
 * - Fills come from the create answer, `watchMyTrades` and `watchOrders` (ccxt.pro), REST
 *   catch-up after each reconnect, and `fetchOrderTrades` when a cancel or expiry reports more
 *   filled than has arrived. They are deduplicated by trade id, and a terminal event is held
 *   until its fills are in, so the order's reports always form a legal sequence.
 *
 * @example
 * const client = new CcxtExecutionClient({ exchange, stream, instruments, accountId: 'main' }, (e) => exec.process(e));
 * client.start();
 */
export class CcxtExecutionClient implements ExecutionClient, VenueQueries {
  readonly #o: CcxtExecutionOptions;
  readonly #venue: string;
  readonly #policy: VenuePolicy;
  readonly #now: () => number;
  readonly #instruments: Map<string, Instrument>;
  /** Per order: its copy, send and create times, venue id, trade ids; released once closed. */
  readonly #mem: OrderMemory;
  /** Create calls under way. */
  readonly #creating = new Map<string, Promise<void>>();
  readonly #held = new Map<string, Held>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #loops: WatchLoop<unknown>[] = [];
  /** Client order ids as the venue takes them (`venue-client-ids.ts`: OKX, Gate, Kraken, …), and back. */
  readonly #cids: VenueClientIds;
  readonly #lookup: OrderLookup;
  /** Trades of orders whose client id does not read back yet: applied once the order is linked. */
  readonly #parked: ParkedTrades;
  #lastFillTs: number;
  #catchingUp: Promise<void> | null = null;

  constructor(
    options: CcxtExecutionOptions,
    private readonly deliver: (event: OrderEvent) => void,
  ) {
    this.#o = options;
    this.#venue = options.venue ?? options.exchange.id;
    this.#policy = options.policy ?? createVenuePolicy({ venue: this.#venue });
    this.#now = options.now ?? (() => Date.now());
    this.#instruments = new Map(options.instruments.map((i) => [i.id, i]));
    this.#lastFillTs = this.#now();
    this.#cids = venueClientIds(options.exchange.id);
    this.#lookup = new OrderLookup({
      exchange: options.exchange,
      read: (call) => this.#policy.read(call),
      cids: this.#cids,
    });
    this.#mem = new OrderMemory({
      retentionMs: options.closedOrderRetentionMs ?? CLOSED_ORDER_RETENTION_MS,
      now: this.#now,
      closed: (id) => {
        const cur = this.#current(id);
        return cur === undefined || isTerminal(cur.status);
      },
      busy: (id) => this.#creating.has(id) || this.#held.has(id),
      onRelease: (id) => this.#cids.forget(id),
    });
    this.#parked = new ParkedTrades({
      keepMs: options.closedOrderRetentionMs ?? CLOSED_ORDER_RETENTION_MS,
      max: 1000,
      now: this.#now,
    });
  }

  /** What the client holds now: it stays bounded by the open and recently closed orders. */
  get memory(): ClientMemory {
    return {
      ...this.#mem.size,
      held: this.#held.size,
      hashedIds: this.#cids.remembered,
      parkedTrades: this.#parked.size,
    };
  }

  /**
   * An instrument traded here from now on (queried in reconciliation), or its new rules. With
   * `growing` the private streams already cover every symbol.
   */
  setInstrument(inst: Instrument): void {
    this.#instruments.set(inst.id, inst);
  }

  /** Starts the private streams (fills and order updates), when a ccxt.pro exchange was given. */
  start(): void {
    const ws = this.#o.stream;
    if (!ws || this.#loops.length > 0) return;
    const symbols = [...this.#instruments.keys()];
    const symbol = symbols.length === 1 && this.#o.growing !== true ? symbols[0] : undefined;
    const onReconnect = () => {
      this.#log('private stream reconnected');
      return this.#catchUp();
    };
    const beforeRetry = () => this.#catchUp();
    const connections = () => ws.clients ?? {};
    const onError = (e: unknown, n: number) =>
      this.#log(`stream failed (${n} in a row): ${(e as Error).message}`);
    if (ws.has.watchMyTrades)
      this.#loops.push(
        new WatchLoop<unknown>({
          watch: () => ws.watchMyTrades(symbol),
          handle: (trades) => {
            for (const t of trades as Trade[]) this.#onTrade(t);
          },
          onReconnect,
          connections,
          beforeRetry,
          onError,
          backoff: this.#o.backoff,
        }),
      );
    if (ws.has.watchOrders)
      this.#loops.push(
        new WatchLoop<unknown>({
          watch: () => ws.watchOrders(symbol),
          handle: (orders) => {
            for (const o of orders as CcxtOrder[]) this.#onVenueOrder(o);
          },
          onReconnect,
          connections,
          beforeRetry,
          onError,
          backoff: this.#o.backoff,
        }),
      );
    for (const loop of this.#loops) void loop.run();
  }

  /** Stream reconnections so far. */
  get reconnects(): number {
    return this.#loops.reduce((n, l) => n + l.reconnects, 0);
  }

  /** Stops the streams and timers and closes the stream exchange; calls already sent finish (`idle`). */
  async close(): Promise<void> {
    for (const loop of this.#loops) loop.stop();
    this.#loops.length = 0;
    for (const h of this.#held.values()) if (h.timer) clearTimeout(h.timer);
    this.#held.clear();
    await this.#o.stream?.close();
  }

  /** Resolves when every venue call started so far has been answered and reported. */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** A live venue has its own market; bars from a paper feed are ignored. */
  onBar(): void {}

  submit(order: Order, _ts: number): void {
    this.#mem.sweep();
    this.#mem.entry(order.clientOrderId).order = order;
    const create = this.#create(order);
    this.#creating.set(order.clientOrderId, create);
    this.#track(create);
  }

  cancel(clientOrderId: string, _ts: number): void {
    this.#track(this.#cancel(clientOrderId));
  }

  /**
   * Reconciliation's questions fail as a state, never as a raw venue error: a rate limit, a ban
   * or an unreachable venue is a `VenueBusyError` saying until when (the node waits it out).
   */
  async #query<T>(ask: () => Promise<T>): Promise<T> {
    this.#mem.sweep();
    try {
      return await ask();
    } catch (e) {
      throw busyError(e, this.#venue, this.#now(), this.#o.bannedUntil?.());
    }
  }

  orderByClientId(clientOrderId: string): Promise<VenueOrderReport | null> {
    return this.#query(() => this.#orderByClientId(clientOrderId));
  }

  openOrders(): Promise<readonly VenueOrderReport[]> {
    return this.#query(() => this.#openOrders());
  }

  tradesSince(ts: number): Promise<readonly Fill[]> {
    return this.#query(() => this.#tradesSince(ts));
  }

  async #orderByClientId(clientOrderId: string): Promise<VenueOrderReport | null> {
    const known = this.#symbolOf(clientOrderId);
    const symbols = known ? [known] : [...this.#instruments.keys()];
    // A venue may not show an order for a moment after it took it (eventual consistency), and
    // it takes it by the time it answers the create at the latest: not found counts only after
    // the create call ended, and the grace runs from then. (From the send, a create slower than
    // the grace, on a loaded machine or network, lost an order open at the venue: rejected or
    // cancelled here as NOT_AT_VENUE, the venue's acceptance then dropped as a stale report.)
    await this.#creating.get(clientOrderId)?.catch(() => undefined);
    const rec = this.#mem.get(clientOrderId);
    const from = rec?.createEnded ?? rec?.sentAt;
    const visibleBy = (from ?? -Infinity) + this.#grace();
    // A create with no answer may be taken later still, up to the venue's own bound on it (OKX's
    // expTime, Binance's recvWindow; else a rule): "not there" is an answer only after that.
    const graceEnd = Math.max(visibleBy, rec?.takeBy ?? -Infinity);
    for (;;) {
      for (const symbol of symbols) {
        const o = await this.#fetchByClientId(clientOrderId, symbol);
        if (!o) continue;
        const report = venueReport(o, clientOrderId);
        this.#link(clientOrderId, report.venueOrderId);
        this.#expectResolution(clientOrderId, report);
        return report;
      }
      // Venues may not show an order for a moment after accepting it: not found is not final yet.
      const now = this.#now();
      const left = graceEnd - now;
      if (left <= 0) return null;
      // Every 250 ms while a fresh order may not show yet, then every second.
      await new Promise((r) => setTimeout(r, Math.min(now < visibleBy ? 250 : 1000, left)));
    }
  }

  async #openOrders(): Promise<readonly VenueOrderReport[]> {
    const out: VenueOrderReport[] = [];
    for (const symbol of this.#instruments.keys()) {
      const orders = await this.#policy.read(() => this.#o.exchange.fetchOpenOrders(symbol));
      for (const answer of orders) {
        const o = this.#ours(answer);
        const id = o.clientOrderId ?? this.#mem.idOfVenueOrder(String(o.id));
        // An id that does not read back (a hashed form not sent or asked for here) is reported
        // under a placeholder, never linked: the look-up by client id links the order.
        if (id !== undefined) this.#link(id, String(o.id));
        out.push(venueReport(o, id ?? placeholderId(String(o.id))));
      }
    }
    return out;
  }

  async #tradesSince(ts: number): Promise<readonly Fill[]> {
    const fills = await this.#fetchFills(ts);
    // Reconciliation applies these itself; note them so a stream copy is not counted twice
    // (not those under a placeholder: no order has it, and the trade is parked until linked).
    for (const { fill, resolved } of fills) if (resolved) this.#note(fill);
    return fills.map((f) => f.fill);
  }

  // ---- orders ----

  async #create(order: Order): Promise<void> {
    const id = order.clientOrderId;
    const params: Record<string, unknown> = this.#cids.createParams(id);
    const limit = order.type === 'LIMIT' || order.type === 'STOP_LIMIT';
    if (order.triggerPrice) params.triggerPrice = Number(order.triggerPrice.toFixed());
    if (limit && order.postOnly) params.postOnly = true;
    else if (limit) params.timeInForce = order.timeInForce;
    if (order.reduceOnly) params.reduceOnly = true;
    this.#mem.entry(id).sentAt = this.#now();
    const windowAtSend = createTakeWindowMs(this.#o.exchange);
    let unanswered = false;
    try {
      const answer = await this.#policy.write(() =>
        this.#o.exchange.createOrder(
          order.instrumentId,
          limit ? 'limit' : 'market',
          order.side === 'BUY' ? 'buy' : 'sell',
          Number(order.quantity.toFixed()),
          limit && order.price ? Number(order.price.toFixed()) : undefined,
          params,
        ),
      );
      this.#onVenueOrder(answer, id);
    } catch (e) {
      if (isClockError(e)) this.#o.onClockError?.();
      const out = createOutcome(e);
      unanswered = out.kind === 'unknown';
      this.#log(`create ${id}: ${out.kind} ${out.reason}: ${out.message}`);
      if (out.kind === 'rejected')
        this.#emit(id, (ids) => ({
          kind: 'OrderRejected',
          ...ids,
          reason: out.reason,
          message: out.message,
        }));
      else this.#emit(id, (ids) => ({ kind: 'OrderUnknown', ...ids, reason: out.reason }));
    } finally {
      const rec = this.#mem.entry(id);
      rec.createEnded = this.#now();
      if (unanswered) {
        // The venue may still take it: until when, where it bounds that (create-expiry.ts).
        const now = createTakeWindowMs(this.#o.exchange);
        const window =
          windowAtSend === undefined || now === undefined ? now : Math.max(windowAtSend, now);
        rec.takeBy = lastTakeAt(rec.createEnded, window, this.#o.unansweredCreateGraceMs ?? 60_000);
      }
      this.#creating.delete(id);
    }
  }

  async #cancel(id: string): Promise<void> {
    const symbol = this.#symbolOf(id);
    if (!symbol) return this.#log(`cancel ${id}: not an order of this venue`);
    this.#mem.entry(id).cancelAsked = true;
    try {
      let venueId = this.#mem.get(id)?.venueId;
      let params = this.#cids.queryParams(id, venueId);
      if (params === null) {
        // The venue cannot be asked by client id: find the order's venue id first.
        venueId = this.#linked(id, await this.#lookup.inLists(id, symbol, this.#madeSince(id)))?.id;
        if (!venueId) return await this.#settleCancel(id);
        params = {};
      }
      const query = params;
      const answer = await this.#policy.write(() =>
        this.#o.exchange.cancelOrder(venueId ?? '', symbol, query),
      );
      if (answer && typeof answer.status === 'string' && answer.status !== 'open')
        this.#onVenueOrder(answer, id);
      else await this.#settleCancel(id);
    } catch (e) {
      if (isClockError(e)) this.#o.onClockError?.();
      const out = cancelOutcome(e);
      if (out.kind === 'refused') this.#cancelRejected(id, out.reason);
      else await this.#settleCancel(id);
    }
  }

  /** After a cancel that did not say: ask the venue, apply what it says. */
  async #settleCancel(id: string): Promise<void> {
    const symbol = this.#symbolOf(id)!;
    let o: CcxtOrder | null;
    try {
      o = await this.#fetchByClientId(id, symbol);
    } catch (e) {
      this.#log(`cancel ${id}: outcome unknown: ${(e as Error).message}`);
      return this.#cancelRejected(id, VenueReason.CANCEL_OUTCOME_UNKNOWN);
    }
    if (!o) return this.#cancelRejected(id, VenueReason.ORDER_NOT_FOUND_AT_VENUE);
    this.#onVenueOrder(o, id);
    if (o.status === 'open') this.#cancelRejected(id, VenueReason.STILL_OPEN_AT_VENUE);
  }

  #cancelRejected(id: string, reason: string): void {
    this.#noCancelAsked(id);
    this.#emit(id, (ids) => ({ kind: 'OrderCancelRejected', ...ids, reason }));
  }

  /** Applies what the venue says about an order: its fills, acceptance, end. */
  #onVenueOrder(answer: CcxtOrder, hint?: string): void {
    const o = this.#ours(answer);
    const venueId = o.id ? String(o.id) : undefined;
    // The venue id first: on a cancel, some venues report the cancel request's client id.
    const id = hint ?? (venueId ? this.#mem.idOfVenueOrder(venueId) : undefined) ?? o.clientOrderId;
    if (id === undefined || !this.#current(id)) return;
    if (venueId) this.#link(id, venueId);
    const cur = this.#current(id)!;
    if (o.status === 'rejected') {
      const unacked = cur.status === 'SUBMITTED' || cur.status === 'UNKNOWN';
      const reason = VenueReason.REJECTED_AT_VENUE;
      return void this.#emit(id, (ids) =>
        unacked
          ? { kind: 'OrderRejected', ...ids, reason, message: 'rejected by the venue' }
          : { kind: 'OrderCanceled', ...ids, reason },
      );
    }
    if ((cur.status === 'SUBMITTED' || cur.status === 'UNKNOWN') && venueId)
      this.#emit(id, (ids) => ({ kind: 'OrderAccepted', ...ids, venueOrderId: venueId }));
    for (const t of o.trades ?? []) this.#onTrade({ ...t, order: t.order ?? venueId }, id, o);
    const filled = dec(o.filled);
    switch (o.status) {
      case 'closed':
        return this.#finish(id, null, filled, o.timestamp);
      case 'canceled':
      case 'cancelled': {
        const reason = this.#mem.get(id)?.cancelAsked
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
        const tif = this.#current(id)!.timeInForce;
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
        if (this.#current(id)!.filledQuantity.lt(filled))
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
    const cur = this.#current(id)!;
    const event = make ? make(this.#ids(cur)) : null;
    if (cur.filledQuantity.gte(venueFilled)) {
      this.#drop(id);
      if (event) this.#emitEvent(event);
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
      this.#track(this.#fetchOrderFills(id));
    }, this.#o.fillGraceMs ?? 1000);
  }

  async #fetchOrderFills(id: string): Promise<void> {
    const h = this.#held.get(id);
    const venueId = this.#mem.get(id)?.venueId;
    const symbol = this.#symbolOf(id);
    if (!h || !venueId || !symbol) return;
    try {
      // Every page of the order's fills (an order may have more than a page: 100 on OKX).
      const now = this.#now();
      const made = h.since ?? this.#mem.get(id)?.sentAt ?? now;
      const from = Math.max(made - 60_000, now - (this.#o.lookbackMs ?? 7 * DAY));
      const trades = await myTradesSince({
        exchange: this.#o.exchange,
        symbol,
        from,
        now,
        read: (call) => this.#policy.read(call),
        onHidden: this.#hidden(symbol),
        order: venueId,
      });
      for (const t of trades) this.#onTrade(t, id);
    } catch (e) {
      this.#log(`fills of ${id}: ${(e as Error).message}`);
    }
    if (!this.#held.has(id)) return;
    if (++h.attempts < 5) return this.#scheduleFetch(id);
    this.#drop(id);
    this.#alert(
      'VENUE_FILLS_MISSING',
      `${id}: the venue reports ${h.venueFilled.toFixed()} filled, fewer fills arrived; left to reconciliation`,
    );
  }

  #drop(id: string): void {
    const h = this.#held.get(id);
    if (h?.timer) clearTimeout(h.timer);
    this.#held.delete(id);
  }

  // ---- fills ----

  /** A trade of ours from any source: becomes a fill once, for the order it belongs to. */
  #onTrade(t: Trade, hint?: string, order?: CcxtOrder): void {
    const venueOrderId = t.order !== undefined && t.order !== null ? String(t.order) : undefined;
    const info = (t.info ?? {}) as Record<string, unknown>;
    const id =
      hint ??
      (venueOrderId ? this.#mem.idOfVenueOrder(venueOrderId) : undefined) ??
      (typeof info.c === 'string' ? this.#cids.fromVenue(info.c) : undefined);
    if (id === undefined) {
      if (venueOrderId && t.symbol) this.#track(this.#resolveTrade(t, venueOrderId, t.symbol));
      return;
    }
    const cur = this.#current(id);
    if (!cur) return this.#log(`trade ${t.id}: order ${id} not known here; left to reconciliation`);
    const fill = fillFromTrade(t, {
      venue: this.#venue,
      accountId: this.#o.accountId,
      clientOrderId: id,
      instrumentId: cur.instrumentId,
      side: cur.side,
      quote: this.#instruments.get(cur.instrumentId)?.quote ?? '',
      ts: order?.lastTradeTimestamp ?? order?.timestamp ?? this.#now(),
    });
    if (fill) this.#deliverFill(fill);
  }

  /** A trade of an order known only by its venue id (sent before a restart): look it up. */
  async #resolveTrade(t: Trade, venueOrderId: string, symbol: string): Promise<void> {
    try {
      const id = await this.#lookup.clientIdOfVenueOrder(
        venueOrderId,
        symbol,
        -Infinity,
        this.#now,
      );
      if (id !== undefined && this.#current(id)) {
        this.#link(id, venueOrderId);
        this.#onTrade(t, id);
      } else if (id === undefined && !this.#mem.idOfVenueOrder(venueOrderId)) {
        this.#parked.park(venueOrderId, t);
        this.#log(`trade ${t.id}: order ${venueOrderId} not read back yet; applied once it is`);
      } else if (id === undefined) this.#onTrade(t);
      else
        this.#log(
          `trade ${t.id}: order ${venueOrderId} not found or not ours; left to reconciliation`,
        );
    } catch (e) {
      this.#log(`trade ${t.id}: order ${venueOrderId} not resolved: ${(e as Error).message}`);
    }
  }

  #deliverFill(fill: Fill): void {
    if (this.#mem.hasTrade(fill.tradeId)) return;
    const cur = this.#current(fill.clientOrderId)!;
    if (this.#o.order && isTerminal(cur.status)) return this.#lateFill(cur, fill);
    if (cur.filledQuantity.plus(fill.quantity).gt(cur.quantity)) {
      this.#mem.addTrade(fill.clientOrderId, fill.tradeId);
      return this.#alert(
        'ORDER_OVERFILL',
        `fill ${fill.tradeId} would overfill ${fill.clientOrderId}; not applied`,
      );
    }
    if (isTerminal(cur.status))
      return this.#alert(
        'VENUE_LATE_FILL',
        `fill ${fill.tradeId} arrived after ${fill.clientOrderId} was ${cur.status}; left to reconciliation`,
      );
    this.#mem.addTrade(fill.clientOrderId, fill.tradeId);
    this.#lastFillTs = Math.max(this.#lastFillTs, fill.ts);
    this.#emitEvent({ kind: 'OrderFilled', ...this.#ids(cur), ts: fill.ts, fill });
    this.#fillsArrived(fill.clientOrderId);
  }

  /** A held terminal report goes out once the order's fills reach what the venue said. */
  #fillsArrived(id: string): void {
    const h = this.#held.get(id);
    if (h && this.#current(id)!.filledQuantity.gte(h.venueFilled)) {
      this.#drop(id);
      if (h.event) this.#emitEvent(h.event);
    }
  }

  /**
   * A fill not seen here of an order the OMS has closed (its fills after a cancel the venue did
   * not count, or a copy of one reported after the order was released here): handed to the OMS
   * as it is, which knows every trade id it applied (a copy ends there), applies a fill made
   * before a cancel or expiry took effect (`LATE_FILL`) and raises the rest. Never dropped here.
   */
  #lateFill(cur: Order, fill: Fill): void {
    this.#mem.addTrade(fill.clientOrderId, fill.tradeId);
    this.#mem.closedNow(fill.clientOrderId);
    this.deliver({ kind: 'OrderFilled', ...this.#ids(cur), ts: fill.ts, fill });
    this.#fillsArrived(fill.clientOrderId);
  }

  /**
   * Our trades since `ts` (at most `lookbackMs` back) as fills, oldest first; `resolved` false for
   * one whose order's client id does not read back (under a placeholder; the trade is parked).
   */
  async #fetchFills(ts: number): Promise<{ fill: Fill; resolved: boolean }[]> {
    const now = this.#now();
    const from = Math.max(ts, now - (this.#o.lookbackMs ?? 7 * DAY));
    const read = <T>(call: () => Promise<T>) => this.#policy.read(call);
    const out: { fill: Fill; resolved: boolean }[] = [];
    for (const [symbol, inst] of this.#instruments) {
      const trades = await myTradesSince({
        exchange: this.#o.exchange,
        symbol,
        from,
        now,
        read,
        onHidden: this.#hidden(symbol),
      });
      for (const t of trades) {
        const known = await this.#clientIdOfTrade(t, symbol);
        const id = known ?? placeholderId(String(t.order ?? ''));
        const fill = fillFromTrade(t, {
          venue: this.#venue,
          accountId: this.#o.accountId,
          clientOrderId: id,
          instrumentId: symbol,
          side: this.#current(id)?.side ?? 'BUY',
          quote: inst.quote,
          ts: now,
        });
        if (fill) out.push({ fill, resolved: known !== undefined });
      }
    }
    return out.sort((a, b) => a.fill.ts - b.fill.ts);
  }

  /** Told of a stamp with a full page of our trades, which time paging cannot read past. */
  #hidden(symbol: string): (ts: number) => void {
    return (ts) =>
      this.#alert(
        'VENUE_TRADES_HIDDEN',
        `${symbol}: a full page of our trades is stamped ${ts}; the venue pages by time only, ` +
          'so more at that stamp cannot be read: compare with the venue',
      );
  }

  /** Our client id of a trade's order; undefined (the trade parked) when it does not read back. */
  async #clientIdOfTrade(t: Trade, symbol: string): Promise<string | undefined> {
    const venueOrderId = String(t.order ?? '');
    const known = this.#mem.idOfVenueOrder(venueOrderId);
    if (known) return known;
    const info = (t.info ?? {}) as Record<string, unknown>;
    const c = typeof info.c === 'string' ? this.#cids.fromVenue(info.c) : undefined;
    if (c !== undefined) return c;
    // OKX names the order's client order id in each fill.
    const own = typeof info.clOrdId === 'string' ? this.#cids.fromVenue(info.clOrdId) : undefined;
    if (own !== undefined && this.#current(own)) return own;
    const graceEnd = this.#now() + this.#grace();
    const id = await this.#lookup.clientIdOfVenueOrder(venueOrderId, symbol, graceEnd, this.#now);
    if (id === undefined) {
      // Reconciliation reports it as drift; the order's look-up by client id applies it.
      if (venueOrderId) this.#parked.park(venueOrderId, t);
      return undefined;
    }
    this.#link(id, venueOrderId);
    return id;
  }

  /** After a stream reconnect: fetch what may have been missed (concurrent calls share one). */
  #catchUp(): Promise<void> {
    this.#catchingUp ??= this.#fetchMissed().finally(() => (this.#catchingUp = null));
    return this.#catchingUp;
  }

  async #fetchMissed(): Promise<void> {
    const fills = await this.#fetchFills(this.#lastFillTs - 60_000);
    for (const { fill, resolved } of fills)
      if (resolved && this.#current(fill.clientOrderId)) this.#deliverFill(fill);
    for (const id of this.#held.keys()) this.#track(this.#fetchOrderFills(id));
  }

  // ---- bookkeeping ----

  #current(id: string): Order | undefined {
    return this.#o.order?.(id) ?? this.#mem.get(id)?.order;
  }

  #symbolOf(id: string): string | undefined {
    return this.#current(id)?.instrumentId;
  }

  /** Links an order's client id (read back or known, never a placeholder) to its venue id. */
  #link(clientOrderId: string, venueOrderId: string): void {
    if (!venueOrderId) return;
    this.#mem.link(clientOrderId, venueOrderId);
    if (!this.#current(clientOrderId)) return;
    // Its trades that arrived before its client id read back.
    for (const t of this.#parked.take(venueOrderId)) this.#onTrade(t, clientOrderId);
  }

  /** Links the order found by a list search to its venue id; returns it. */
  #linked(id: string, found: CcxtOrder | null): CcxtOrder | null {
    if (found?.id) this.#link(id, String(found.id));
    return found;
  }

  /** When the order was made, less a minute: where a search of the closed orders starts. */
  #madeSince(id: string): number {
    return (this.#current(id)?.createdAt ?? this.#mem.get(id)?.sentAt ?? this.#now()) - 60_000;
  }

  #noCancelAsked(id: string): void {
    const rec = this.#mem.get(id);
    if (rec) rec.cancelAsked = false;
  }

  #grace(): number {
    return this.#o.notFoundGraceMs ?? 5000;
  }

  /** A venue's order with Kairos's client order id in `clientOrderId` (see `#cids`). */
  #ours(o: CcxtOrder): CcxtOrder {
    return this.#lookup.ours(o);
  }

  /** The order at the venue by its client id (`order-lookup.ts`); null: not there. */
  async #fetchByClientId(id: string, symbol: string): Promise<CcxtOrder | null> {
    const rec = this.#mem.entry(id);
    const found = await this.#lookup.byClientId(id, symbol, rec.venueId, this.#madeSince(id));
    return this.#linked(id, found);
  }

  /** Without an OMS view, keep the own copy in step with what reconciliation will apply. */
  #expectResolution(id: string, report: VenueOrderReport): void {
    const rec = this.#mem.get(id);
    const mine = rec?.order;
    if (this.#o.order || !rec || !mine) return;
    if ((mine.status === 'SUBMITTED' || mine.status === 'UNKNOWN') && report.status === 'OPEN')
      rec.order = applyOrderEvent(mine, {
        kind: 'OrderAccepted',
        ...this.#ids(mine),
        ts: this.#now(),
        venueOrderId: report.venueOrderId,
      });
  }

  #note(fill: Fill): void {
    if (this.#mem.hasTrade(fill.tradeId)) return;
    this.#mem.addTrade(fill.clientOrderId, fill.tradeId);
    const rec = this.#mem.get(fill.clientOrderId)!;
    const mine = rec.order;
    if (this.#o.order || !mine) return;
    const event: OrderEvent = { kind: 'OrderFilled', ...this.#ids(mine), ts: fill.ts, fill };
    if (isLegalReport(mine, event)) rec.order = applyOrderEvent(mine, event);
  }

  #ids(o: Order): EventIds {
    return { ...orderRef(o), ts: this.#now() };
  }

  #emit(id: string, make: (ids: EventIds) => OrderEvent): boolean {
    const cur = this.#current(id);
    return cur ? this.#emitEvent(make(this.#ids(cur))) : false;
  }

  /** Delivers an event unless it is illegal from the order's current state (a stale report). */
  #emitEvent(event: OrderEvent): boolean {
    const cur = this.#current(event.clientOrderId);
    if (!cur || !isLegalReport(cur, event)) return false;
    const next = applyOrderEvent(cur, event);
    this.#mem.entry(event.clientOrderId).order = next;
    if (isTerminal(next.status)) this.#mem.closedNow(event.clientOrderId);
    if (event.kind === 'OrderCanceled' || event.kind === 'OrderCancelRejected')
      this.#noCancelAsked(event.clientOrderId);
    this.deliver(event);
    return true;
  }

  #track(p: Promise<unknown>): void {
    const done = p.catch((e: unknown) => this.#log(`venue call failed: ${(e as Error).message}`));
    this.#inflight.add(done);
    void done.finally(() => this.#inflight.delete(done));
  }

  #alert(code: string, message: string): void {
    this.#o.onAlert?.({ kind: 'Alert', code, message, ts: this.#now() });
  }

  #log(line: string): void {
    this.#o.onLog?.(`${this.#venue}: ${line}`);
  }
}

type EventIds = OrderRef & { readonly ts: number };
