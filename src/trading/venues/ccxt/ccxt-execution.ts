import type { Order as CcxtOrder, Exchange, Trade } from 'ccxt';
import {
  createVenuePolicy,
  type VenuePolicy,
} from '../../../scalability/resilience/venue-policy.js';
import type { ExecutionClient } from '../../execution/execution-client.js';
import type { StoredOrderLookup } from '../../execution/order-store.js';
import type { VenueOrderReport, VenueQueries } from '../../execution/venue-queries.js';
import type { Alert } from '../../model/alert.js';
import { applyOrderEvent } from '../../model/apply-order-event.js';
import type { Fill } from '../../model/fill.js';
import type { Instrument } from '../../model/instrument.js';
import type { Order } from '../../model/order.js';
import { orderRef, type OrderEvent } from '../../model/order-events.js';
import { isTerminal } from '../../model/order-state-machine.js';
import { venueReport } from './ccxt-reports.js';
import { createTakeWindowMs, lastTakeAt } from './create-expiry.js';
import {
  busyError,
  cancelOutcome,
  createOutcome,
  isClockError,
  VenueReason,
} from './error-mapping.js';
import { isLegalReport } from './event-screen.js';
import type { EventIds, ExecutionContext } from './execution-context.js';
import { OrderLookup } from './order-lookup.js';
import { CLOSED_ORDER_RETENTION_MS, type ClientMemory, OrderMemory } from './order-memory.js';
import { ReportRouting } from './report-routing.js';
import { placeholderId, TradeRouting } from './trade-routing.js';
import { venueClientIds, type OrderAsk, type VenueClientIds } from './venue-client-ids.js';
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
  /**
   * The store's order for a trade of one that this client and the OMS have both released
   * (`TradingCore` gives it to its venue): the trade is handed to the OMS as a report of that
   * order, which takes it back from the store and applies the trade once (`LATE_FILL`) or drops a
   * copy; one the store does not know either is `UNKNOWN_ORDER_REPORT`. Absent: such a trade is
   * logged and left to reconciliation, which reads trades only since the last fill.
   */
  readonly storedOrder?: StoredOrderLookup;
}

const DAY = 86_400_000;
/**
 * How often `close` looks again for a socket a stream loop made after the stream closed, while
 * the loop is still in its watch (a REST call before the socket: rare, markets are given).
 */
const CLOSE_RECHECK_MS = 25;

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
 *   until its fills are in, so the order's reports always form a legal sequence: reports are
 *   routed by `ReportRouting` (`report-routing.ts`), trades by `TradeRouting` (`trade-routing.ts`).
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
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #loops: WatchLoop<unknown>[] = [];
  /** Client order ids as the venue takes them (`venue-client-ids.ts`: OKX, Gate, Kraken, …), and back. */
  readonly #cids: VenueClientIds;
  readonly #lookup: OrderLookup;
  /** Our trades to the orders they belong to, as fills (parked until an order is linked). */
  readonly #trades: TradeRouting;
  /** The venue's reports of our orders as events; terminal ones held until their fills are in. */
  readonly #reports: ReportRouting;
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
      busy: (id) => this.#creating.has(id) || this.#reports.isHeld(id),
      onRelease: (id) => this.#cids.forget(id),
    });
    const retentionMs = options.closedOrderRetentionMs ?? CLOSED_ORDER_RETENTION_MS;
    const ctx: ExecutionContext = {
      exchange: options.exchange,
      venue: this.#venue,
      accountId: options.accountId,
      omsView: options.order !== undefined,
      lookbackMs: options.lookbackMs ?? 7 * DAY,
      fillGraceMs: options.fillGraceMs ?? 1000,
      mem: this.#mem,
      cids: this.#cids,
      lookup: this.#lookup,
      instruments: this.#instruments,
      storedOrder: options.storedOrder,
      now: this.#now,
      read: (call) => this.#policy.read(call),
      current: (id) => this.#current(id),
      symbolOf: (id) => this.#symbolOf(id),
      link: (id, venueId) => this.#link(id, venueId),
      ids: (o) => this.#ids(o),
      emit: (id, make) => this.#emit(id, make),
      emitEvent: (e) => this.#emitEvent(e),
      deliver: (e) => this.deliver(e),
      fillsArrived: (id) => this.#reports.fillsArrived(id),
      track: (p) => this.#track(p),
      grace: () => this.#grace(),
      alert: (code, message) => this.#alert(code, message),
      log: (line) => this.#log(line),
    };
    this.#trades = new TradeRouting(ctx, { closedOrderRetentionMs: retentionMs });
    this.#reports = new ReportRouting(ctx, this.#trades);
  }

  /** What the client holds now: it stays bounded by the open and recently closed orders. */
  get memory(): ClientMemory {
    return {
      ...this.#mem.size,
      held: this.#reports.heldCount,
      hashedIds: this.#cids.remembered,
      parkedTrades: this.#trades.parkedCount,
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
    // The REST client's markets (the same venue): a first watch then makes its socket at once,
    // not after loading them over REST. Until a watch has its socket, closing the stream closes
    // nothing of it, and the socket it makes after would stay open (`close`).
    const rest = this.#o.exchange;
    if (ws.markets === undefined && rest.markets !== undefined && ws !== rest)
      ws.setMarkets(rest.markets);
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
            for (const t of trades as Trade[]) this.#trades.onTrade(t);
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
            for (const o of orders as CcxtOrder[]) this.#reports.onVenueOrder(o);
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

  /**
   * Stops the streams and timers and closes the stream exchange; calls already sent finish
   * (`idle`). Resolves once no stream loop is in a watch: one still before its socket when the
   * stream closed (ccxt closes only the sockets it has) is closed once it has one, so no socket
   * of this client stays open at the venue.
   */
  async close(): Promise<void> {
    const loops = this.#loops.splice(0);
    for (const loop of loops) loop.stop();
    this.#reports.close();
    const ws = this.#o.stream;
    if (!ws) return;
    await ws.close();
    // Bounded: a watch before its socket is a REST call under the exchange's own timeout; one
    // that never settles (not ccxt's: its close rejects what waits) must not hold a shutdown.
    let checks = Math.ceil((ws.timeout > 0 ? ws.timeout : 10_000) / CLOSE_RECHECK_MS) + 1;
    while (loops.some((l) => l.watching) && checks-- > 0) {
      await new Promise((r) => setTimeout(r, CLOSE_RECHECK_MS));
      if (Object.keys(ws.clients ?? {}).length > 0) await ws.close();
    }
  }

  /** Resolves when every venue call started so far has been answered and reported. */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** A live venue has its own market; bars from a paper feed are ignored. */
  onBar(): void {}

  submit(order: Order, _ts: number): void {
    this.#mem.sweep();
    this.#trades.sweepParked();
    this.#mem.entry(order.clientOrderId).order = order;
    // An id the venue's rule does not take (`venue-client-ids.ts`) is refused here, never sent.
    const refused = this.#cids.refusal(order.clientOrderId);
    if (refused !== null) return this.#track(this.#refuseId(order.clientOrderId, refused));
    const create = this.#create(order);
    this.#creating.set(order.clientOrderId, create);
    this.#track(create);
  }

  cancel(clientOrderId: string, _ts: number): void {
    this.#track(this.#cancel(clientOrderId));
  }

  /** Why the venue's rule refuses `clientOrderId` (`venue-client-ids.ts`), or null. */
  clientIdRefusal(clientOrderId: string): string | null {
    return this.#cids.refusal(clientOrderId);
  }

  /**
   * Reconciliation's questions fail as a state, never as a raw venue error: a rate limit, a ban
   * or an unreachable venue is a `VenueBusyError` saying until when (the node waits it out).
   */
  async #query<T>(ask: () => Promise<T>): Promise<T> {
    this.#mem.sweep();
    this.#trades.sweepParked();
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
    const fills = await this.#trades.fetchFills(ts);
    // Reconciliation applies these itself; note them so a stream copy is not counted twice
    // (not those under a placeholder: no order has it, and the trade is parked until linked).
    for (const { fill, resolved } of fills) if (resolved) this.#trades.note(fill);
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
      this.#reports.onVenueOrder(answer, id);
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

  /** Rejects an order whose client id the venue's rule refuses, after `submit` returned. */
  async #refuseId(id: string, message: string): Promise<void> {
    await Promise.resolve();
    this.#log(`create ${id}: refused before sending: ${message}`);
    this.#emit(id, (ids) => ({
      kind: 'OrderRejected',
      ...ids,
      reason: VenueReason.CLIENT_ORDER_ID_INVALID,
      message,
    }));
  }

  async #cancel(id: string): Promise<void> {
    const symbol = this.#symbolOf(id);
    if (!symbol) return this.#log(`cancel ${id}: not an order of this venue`);
    this.#mem.entry(id).cancelAsked = true;
    try {
      const ask = await this.#cancelAsk(id, symbol);
      if (!ask) return await this.#settleCancel(id);
      const { id: orderId, params } = ask;
      const answer = await this.#policy.write(() =>
        this.#o.exchange.cancelOrder(orderId ?? '', symbol, params),
      );
      if (answer && typeof answer.status === 'string' && answer.status !== 'open')
        this.#reports.onVenueOrder(answer, id);
      else await this.#settleCancel(id);
    } catch (e) {
      if (isClockError(e)) this.#o.onClockError?.();
      const out = cancelOutcome(e);
      if (out.kind === 'refused') this.#cancelRejected(id, out.reason);
      else await this.#settleCancel(id);
    }
  }

  /**
   * `cancelOrder`'s arguments naming `id` (`VenueClientIds.ask`). Where the venue cancels only by
   * its own id and that is not known here, it is found first: by client id where the venue looks
   * orders up by it (Gemini, Bitstamp), else in its lists (Deribit, …). Null: not found.
   */
  async #cancelAsk(id: string, symbol: string): Promise<OrderAsk | null> {
    const ask = this.#cids.ask('cancelOrder', id, this.#mem.get(id)?.venueId);
    if (ask) return ask;
    const venueId = (await this.#fetchByClientId(id, symbol))?.id;
    return venueId ? this.#cids.ask('cancelOrder', id, String(venueId)) : null;
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
    this.#reports.onVenueOrder(o, id);
    if (o.status === 'open') this.#cancelRejected(id, VenueReason.STILL_OPEN_AT_VENUE);
  }

  #cancelRejected(id: string, reason: string): void {
    this.#noCancelAsked(id);
    this.#emit(id, (ids) => ({ kind: 'OrderCancelRejected', ...ids, reason }));
  }

  /** After a stream reconnect: fetch what may have been missed (concurrent calls share one). */
  #catchUp(): Promise<void> {
    this.#catchingUp ??= this.#fetchMissed().finally(() => (this.#catchingUp = null));
    return this.#catchingUp;
  }

  async #fetchMissed(): Promise<void> {
    const fills = await this.#trades.fetchFills(this.#trades.lastFillTs - 60_000);
    for (const { fill, resolved } of fills) {
      if (!resolved) continue;
      if (this.#current(fill.clientOrderId)) this.#trades.deliverFill(fill);
      // Of an order released here and by the OMS: the store's (reconciliation reads only since
      // the last stored fill, this a minute before the client's last one).
      else this.#trades.releasedFill(fill);
    }
    this.#reports.refetchHeld();
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
    this.#trades.linked(clientOrderId, venueOrderId);
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
