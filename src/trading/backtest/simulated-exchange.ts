import { toDecimal, ZERO, type Decimal } from '../core/decimal.js';
import { KairosError } from '../core/errors.js';
import { money, price as toPrice, quantity as toQuantity } from '../core/money.js';
import { Reason } from '../core/reason-codes.js';
import { SmallMap } from '../core/small-map.js';
import {
  addDecimals,
  compareDecimals,
  decimalToNumber,
  subtractDecimals,
} from '../core/scaled-decimal.js';
import type { Bar, TradeTick } from '../data/market-data.js';
import type { ExecutionClient } from '../execution/execution-client.js';
import type { VenueOrderReport, VenueQueries } from '../execution/venue-queries.js';
import type { Fill } from '../model/fill.js';
import type { Instrument } from '../model/instrument.js';
import type { Order } from '../model/order.js';
import { orderFromJson, type FillJson, type OrderJson } from '../model/order-json.js';
import { orderRef, type OrderEvent } from '../model/order-events.js';
import { intrabarPath } from '../execution/matching/intrabar-path.js';
import {
  MatchingEngine,
  type BuyFeeIn,
  type Match,
  type MatchResult,
} from '../execution/matching/matching-engine.js';

/** Settings of the simulated venue. */
export interface SimulatedExchangeOptions {
  readonly venue: string;
  readonly instruments: readonly Instrument[];
  /** Slippage of taker fills of market and stop-market orders, in basis points. */
  readonly slippageBps?: number;
  /** Time for an order or a cancel to reach the venue, in ms. */
  readonly latencyMs?: number;
  /** Trade-tick model: the largest fraction of each trade's size the orders may take. */
  readonly maxVolumeFraction?: number;
  /** The asset a buy's commission is charged in (default `quote`; Binance charges the base). */
  readonly buyFeeIn?: BuyFeeIn;
  /**
   * Whether the venue remembers closed orders and its trades, for reconciliation and snapshots
   * (default true). A backtest, where nothing queries the venue, passes false: it keeps no
   * report and no trade (a report per order, changed at each step, was ~100 bytes an order kept
   * to the run's end). Then `orderByClientId` and `openOrders` answer from the working orders
   * (a closed one is unknown), `tradesSince` answers nothing, and a closed order's client order
   * id is not refused again (the OMS refuses a taken one first).
   */
  readonly keepClosed?: boolean;
  /**
   * With `keepClosed`: how long a closed order's report is kept after it closed, in ms of the
   * market's time (the bars' open times and the trades' times it is given; no wall clock).
   * Default {@link CLOSED_REPORT_RETENTION_MS} (7 days). Then only a tombstone is kept (its final
   * status, reason and filled quantity): `orderByClientId` still answers the order's outcome and
   * its client order id is still refused, so a node whose store missed the window recovers it
   * as it ended and never sends it again. Its trades are kept (a node's ledger may need them
   * after a store outage): docs/decisions/paper-venue-retention.md.
   */
  readonly closedRetentionMs?: number;
}

/** How long the venue keeps a closed order's report by default: 7 days of market time. */
export const CLOSED_REPORT_RETENTION_MS = 7 * 24 * 3_600_000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * What the venue keeps of a released order: what reconciliation reads of a closed report (its
 * final status, reason and filled quantity), nothing else. Shared when nothing was filled (a
 * cancel or a rejection of a given reason): `#tombstone`.
 */
interface Tombstone {
  readonly status: VenueOrderReport['status'];
  readonly reason: string | null;
  readonly filledQuantity: Decimal;
}

interface Working {
  readonly order: Order;
  readonly inst: Instrument;
  readonly arrival: number;
  accepted: boolean;
  /** True until the order's first chance to trade (IOC/FOK/post-only are judged then). */
  fresh: boolean;
  triggered: boolean;
  filled: Decimal;
  cancelAt: number | null;
  venueOrderId: string;
}

/** The simulated venue's state as plain JSON (decimals as strings). */
export interface SimulatedExchangeState {
  readonly orderSeq: number;
  /** Submits refused because the client order id was already used (a node bug if ever > 0). */
  readonly duplicatesRefused?: number;
  readonly tradeSeq: number;
  readonly lastBarOpen: number | null;
  readonly working: readonly {
    readonly order: OrderJson;
    readonly inst: string;
    readonly arrival: number;
    readonly accepted: boolean;
    readonly fresh: boolean;
    readonly triggered: boolean;
    readonly filled: string;
    readonly cancelAt: number | null;
    readonly venueOrderId: string;
  }[];
  readonly reports: readonly (Omit<VenueOrderReport, 'filledQuantity'> & {
    readonly filledQuantity: string;
  })[];
  readonly trades: readonly FillJson[];
  /**
   * The closed orders whose reports are kept, in the order they closed, with the market time
   * they closed at (absent in a state written before reports were released: each closed report
   * is then kept for a whole window from the first bar after the restore).
   */
  readonly closed?: readonly (readonly [clientOrderId: string, closedAt: number | null])[];
  /**
   * The released orders, in the order they were released: client order id, final status, reason
   * and filled quantity (absent in a state written before tombstones: none).
   */
  readonly released?: readonly (readonly [
    clientOrderId: string,
    status: VenueOrderReport['status'],
    reason: string | null,
    filledQuantity: string,
  ])[];
  /**
   * What the node's store confirmed (`confirmStored`): the time before which every trade is stored
   * or never read again, and the last closed order whose report was stored then (null: none).
   * Absent: nothing confirmed.
   */
  readonly confirmed?: readonly [fillsThrough: number | null, lastStored: string | null];
}

/**
 * A deterministic simulated venue for backtests and paper trading. Market orders fill at the
 * next bar's open; limit and stop orders trigger on later bars along the intrabar path; on trade
 * ticks, orders fill against each trade, bounded by its size. What fills, at what price and fee,
 * is the shared `MatchingEngine`'s decision; this class adds latency, the order book-keeping and
 * the venue's reports. Rules: docs/simulated-exchange.md.
 *
 * @example
 * const ex = new SimulatedExchange({ venue: 'SIM', instruments: [inst] }, (e) => exec.process(e));
 * ex.submit(order, clock.now());
 * ex.onBar(nextBar); // emits OrderFilled at the bar's open
 */
export class SimulatedExchange implements ExecutionClient, VenueQueries {
  readonly #emit: (event: OrderEvent) => void;
  readonly #instruments: Map<string, Instrument>;
  readonly #latency: number;
  readonly #engine: MatchingEngine;
  readonly #fraction: number;
  readonly #venue: string;
  readonly #keepClosed: boolean;
  /** Working orders by client order id, in submission order. */
  #working = new SmallMap<string, Working>();
  #orderSeq = 0;
  #duplicatesRefused = 0;
  #tradeSeq = 0;
  #group: OrderEvent[] | null = null;
  /** The events of a bar with one order working: one array, emptied for each such bar. */
  readonly #oneGroup: OrderEvent[] = [];
  /**
   * What the venue knows of every order it saw (a closed one until it is released: `#closed`),
   * and its trades: for reconciliation. A report is changed in place as its order moves on (no
   * new object per change); queries get copies.
   */
  readonly #reports = new Map<string, Mutable<VenueOrderReport>>();
  /**
   * The closed reports, in the order they closed, with the market time they closed at (null: not
   * known, a state from before; set at the next release): each is released `closedRetentionMs`
   * of market time after it closed. A restarted node reconciles before the venue sees a new bar,
   * so what it asks of is still here.
   */
  readonly #closed = new Map<string, number | null>();
  /** The released orders' outcomes, in the order released (never removed: ids are taken once). */
  readonly #released = new Map<string, Tombstone>();
  /** The tombstones with nothing filled, one per status and reason. */
  readonly #unfilled = new Map<string, Tombstone>();
  readonly #retention: number;
  readonly #trades: Fill[] = [];
  /** Trades before this time are stored by the node or never read again (`confirmStored`). */
  #fillsStored = -Infinity;
  /**
   * The last closed order (in `#closed`'s order) whose closing report the node's store held at
   * its last `confirmStored`: it and those before it are released without a tombstone.
   */
  #storedLast: string | null = null;
  /** The last order put in `#closed`. */
  #lastClosed: string | null = null;
  #lastBarOpen = -Infinity;
  #groupAt = Infinity;

  constructor(options: SimulatedExchangeOptions, emit: (event: OrderEvent) => void) {
    this.#emit = emit;
    this.#venue = options.venue;
    this.#instruments = new Map(options.instruments.map((i) => [i.id, i]));
    this.#latency = options.latencyMs ?? 0;
    this.#engine = new MatchingEngine({
      slippageBps: options.slippageBps ?? 0,
      buyFeeIn: options.buyFeeIn ?? 'quote',
    });
    this.#fraction = options.maxVolumeFraction ?? 1;
    this.#keepClosed = options.keepClosed ?? true;
    const ms = options.closedRetentionMs ?? CLOSED_REPORT_RETENTION_MS;
    if (!Number.isFinite(ms) || ms < 0)
      throw new KairosError(
        'CONFIG_INVALID',
        `closedRetentionMs: must be a finite number of milliseconds >= 0, was ${String(ms)}`,
      );
    this.#retention = ms;
  }

  /** An instrument it matches from now on, or its new rules (working orders keep theirs). */
  setInstrument(inst: Instrument): void {
    this.#instruments.set(inst.id, inst);
  }

  submit(order: Order, ts: number): void {
    // Like a real venue, a client order id is taken once; the first order stands, unchanged.
    const id = order.clientOrderId;
    if (this.#reports.has(id) || this.#working.has(id) || this.#released.has(id)) {
      this.#duplicatesRefused++;
      return;
    }
    const inst = this.#instruments.get(order.instrumentId);
    if (!inst) {
      this.#out({
        kind: 'OrderRejected',
        ...orderRef(order),
        ts,
        reason: Reason.UNKNOWN_INSTRUMENT,
        message: `unknown instrument ${order.instrumentId}`,
      });
      return;
    }
    const w: Working = {
      order,
      inst,
      arrival: ts + this.#latency,
      accepted: false,
      fresh: true,
      triggered: false,
      filled: ZERO,
      cancelAt: null,
      venueOrderId: '',
    };
    this.#working.set(id, w);
    // A post-only order is judged against the market on its first chance, so it waits.
    if (this.#latency === 0 && !order.postOnly) this.#accept(w);
  }

  cancel(clientOrderId: string, ts: number): void {
    // The engine cancels only orders it believes open; one that just filled is already gone.
    const w = this.#working.get(clientOrderId);
    if (!w || w.cancelAt !== null) return;
    w.cancelAt = ts + this.#latency;
    if (this.#latency === 0) this.#close(w, 'OrderCanceled', Reason.CANCELED_BY_USER, ts);
  }

  /** Client order ids of the orders working at the venue, in submission order. */
  openOrderIds(): readonly string[] {
    return [...this.#working.keys()];
  }

  onBar(bar: Bar): void {
    // A bar it has already matched (a restarted node may feed it again) changes nothing.
    if (bar.openTime <= this.#lastBarOpen) return;
    this.#lastBarOpen = bar.openTime;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, releasing with no closed report kept does nothing (the check spares a backtest an iterator a bar); the release itself is tested
    if (this.#closed.size > 0 || this.#trades.length > 0) this.#release(bar.openTime);
    if (this.#working.size === 0) return;
    if (this.#working.size === 1) {
      // One order working (the common case): its events in the order made, nothing to sort.
      const w = this.#working.first()!;
      if (w.order.instrumentId !== bar.instrumentId) return;
      // Reused: nothing adds to it while it is emitted (`#group` is null by then).
      const events = (this.#group = this.#oneGroup);
      events.length = 0;
      this.#groupAt = Infinity;
      if (this.#arrive(w, bar.openTime, bar.open)) {
        this.#matchBar(w, bar);
        if (w.fresh) this.#afterFirstChance(w, bar.openTime);
      }
      this.#group = null;
      const n = events.length;
      for (let i = 0; i < n; i++) this.#emit(events[i]!);
      events.length = 0;
      return;
    }
    const groups: { at: number; events: OrderEvent[] }[] = [];
    for (const w of [...this.#working.values()]) {
      if (w.order.instrumentId !== bar.instrumentId) continue;
      this.#group = [];
      this.#groupAt = Infinity;
      if (this.#arrive(w, bar.openTime, bar.open)) {
        this.#matchBar(w, bar);
        if (w.fresh) this.#afterFirstChance(w, bar.openTime);
      }
      groups.push({ at: this.#groupAt, events: this.#group });
      this.#group = null;
    }
    // Orders report in the order the intrabar path reached them (stable for ties).
    groups.sort((a, b) => a.at - b.at);
    for (const g of groups) for (const e of g.events) this.#emit(e);
  }

  #out(event: OrderEvent): void {
    if (this.#group) this.#group.push(event);
    else this.#emit(event);
  }

  onTrade(tick: TradeTick): void {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, releasing with no closed report kept does nothing (the check spares a backtest an iterator a trade); the release itself is tested
    if (this.#closed.size > 0 || this.#trades.length > 0) this.#release(tick.ts);
    if (this.#working.size === 0) return;
    const available = tick.size * this.#fraction;
    // With one order working there is nothing after it to visit: no copy.
    if (this.#working.size === 1) {
      this.#tradeWith(this.#working.first()!, tick, available);
      return;
    }
    // A copy: reports go out as they are made, and a strategy may submit or cancel on hearing one.
    let left = available;
    for (const w of [...this.#working.values()]) left -= this.#tradeWith(w, tick, left);
  }

  /** One working order against a trade; returns the size it took. */
  #tradeWith(w: Working, tick: TradeTick, available: number): number {
    if (w.order.instrumentId !== tick.instrumentId || !this.#arrive(w, tick.ts, tick.price))
      return 0;
    const taken = this.#matchTick(w, tick, available);
    if (w.fresh) this.#afterFirstChance(w, tick.ts);
    return taken;
  }

  /** Accepts / cancels what has arrived by `t`; true when the order may trade at `t`. */
  #arrive(w: Working, t: number, marketPrice: number): boolean {
    if (!w.accepted) {
      if (w.arrival > t) return false;
      const o = w.order;
      if (o.postOnly && o.price !== null && this.#engine.wouldTake(o.side, o.price, marketPrice)) {
        this.#close(w, 'OrderRejected', Reason.POST_ONLY_WOULD_TAKE, t);
        return false;
      }
      this.#accept(w);
    }
    if (w.cancelAt !== null && w.cancelAt <= t) {
      this.#close(w, 'OrderCanceled', Reason.CANCELED_BY_USER, w.cancelAt);
      return false;
    }
    return true;
  }

  #accept(w: Working): void {
    w.accepted = true;
    w.venueOrderId = `${this.#venue}-${++this.#orderSeq}`;
    this.#report(w, 'OPEN', null, w.arrival);
    // orderRef's fields written out: a spread of it is an extra object and a copy per event.
    const o = w.order;
    this.#out({
      kind: 'OrderAccepted',
      clientOrderId: o.clientOrderId,
      accountId: o.accountId,
      strategyId: o.strategyId,
      instrumentId: o.instrumentId,
      ts: w.arrival,
      venueOrderId: w.venueOrderId,
    });
  }

  #afterFirstChance(w: Working, ts: number): void {
    w.fresh = false;
    if (this.#working.get(w.order.clientOrderId) !== w) return;
    const tif = w.order.timeInForce;
    if (tif === 'IOC') this.#close(w, 'OrderCanceled', Reason.IOC_REMAINDER_CANCELED, ts);
    if (tif === 'FOK') this.#close(w, 'OrderCanceled', Reason.FOK_NOT_FILLABLE, ts);
  }

  #matchBar(w: Working, bar: Bar): void {
    const r = this.#engine.matchPath(w.order, state(w), intrabarPath(bar), w.inst);
    this.#apply(w, r, bar.openTime);
  }

  /** Matches against one trade; returns the size taken. */
  #matchTick(w: Working, tick: TradeTick, available: number): number {
    const r = this.#engine.matchTrade(w.order, state(w), tick.price, available, w.inst);
    const m = this.#apply(w, r, tick.ts);
    return m ? decimalToNumber(m.quantity) : 0;
  }

  #apply(w: Working, r: MatchResult, ts: number): Match | null {
    if (r.triggered) w.triggered = true;
    if (r.match) this.#fill(w, r.match, ts);
    return r.match;
  }

  #fill(w: Working, m: Match, ts: number): void {
    if (m.at < this.#groupAt) this.#groupAt = m.at;
    const { price, liquidity } = m;
    const rate = liquidity === 'MAKER' ? w.inst.makerFee : w.inst.takerFee;
    const quantity = toQuantity(m.quantity);
    const fill: Fill = {
      venue: this.#venue,
      tradeId: `${this.#venue}-T${++this.#tradeSeq}`,
      accountId: w.order.accountId,
      clientOrderId: w.order.clientOrderId,
      instrumentId: w.order.instrumentId,
      side: w.order.side,
      price,
      quantity,
      fee: this.#engine.fee(w.order.side, price, quantity, rate, w.inst.base, w.inst.quote),
      liquidity,
      ts,
    };
    if (this.#keepClosed) this.#trades.push(fill);
    w.filled = addDecimals(w.filled, quantity);
    const done = compareDecimals(w.filled, w.order.quantity) >= 0;
    this.#report(w, done ? 'FILLED' : 'OPEN', null, ts);
    const o = w.order;
    this.#out({
      kind: 'OrderFilled',
      clientOrderId: o.clientOrderId,
      accountId: o.accountId,
      strategyId: o.strategyId,
      instrumentId: o.instrumentId,
      ts,
      fill,
    });
    if (done) this.#remove(w);
  }

  #close(w: Working, kind: 'OrderCanceled' | 'OrderRejected', reason: string, ts: number): void {
    this.#remove(w);
    this.#report(w, kind === 'OrderCanceled' ? 'CANCELED' : 'REJECTED', reason, ts);
    const o = w.order;
    const { clientOrderId, accountId, strategyId, instrumentId } = o;
    if (kind === 'OrderRejected')
      this.#out({
        kind,
        clientOrderId,
        accountId,
        strategyId,
        instrumentId,
        ts,
        reason,
        message: reason,
      });
    else this.#out({ kind, clientOrderId, accountId, strategyId, instrumentId, ts, reason });
  }

  /** The venue's whole state as plain JSON (the paper venue persists it). */
  snapshot(): SimulatedExchangeState {
    return JSON.parse(this.snapshotJson()) as SimulatedExchangeState;
  }

  /** `snapshot()` as JSON text, without making the copy (what a snapshot file holds). */
  snapshotJson(): string {
    return JSON.stringify({
      orderSeq: this.#orderSeq,
      duplicatesRefused: this.#duplicatesRefused,
      tradeSeq: this.#tradeSeq,
      lastBarOpen: Number.isFinite(this.#lastBarOpen) ? this.#lastBarOpen : null,
      // The order itself, not `orderToJson(order)`: that is the parse of this same text, so
      // stringifying it again wrote the same bytes after a parse and a stringify more per order.
      working: [...this.#working.values()].map((w) => ({ ...w, inst: w.inst.id })),
      reports: [...this.#reports.values()],
      trades: this.#trades,
      closed: [...this.#closed],
      released: [...this.#released].map(([id, t]) => [id, t.status, t.reason, t.filledQuantity]),
      ...(Number.isFinite(this.#fillsStored) || this.#storedLast !== null
        ? {
            confirmed: [
              Number.isFinite(this.#fillsStored) ? this.#fillsStored : null,
              this.#storedLast,
            ],
          }
        : {}),
    });
  }

  /** Takes over a state from `snapshot()` (on a fresh instance). */
  restore(state: SimulatedExchangeState): void {
    this.#orderSeq = state.orderSeq;
    this.#duplicatesRefused = state.duplicatesRefused ?? 0;
    this.#tradeSeq = state.tradeSeq;
    this.#lastBarOpen = state.lastBarOpen ?? -Infinity;
    this.#working = new SmallMap(
      state.working.map((w) => [
        w.order.clientOrderId,
        {
          ...w,
          inst: this.#instruments.get(w.inst)!,
          order: orderFromJson(w.order),
          filled: toDecimal(w.filled),
        },
      ]),
    );
    this.#reports.clear();
    for (const r of state.reports)
      this.#reports.set(r.clientOrderId, { ...r, filledQuantity: toDecimal(r.filledQuantity) });
    this.#closed.clear();
    if (state.closed) for (const [id, at] of state.closed) this.#closed.set(id, at);
    else
      for (const r of state.reports)
        if (r.status !== 'OPEN') this.#closed.set(r.clientOrderId, null);
    this.#released.clear();
    for (const [id, status, reason, filled] of state.released ?? [])
      this.#released.set(id, this.#tombstone(status, reason, toDecimal(filled)));
    this.#fillsStored = state.confirmed?.[0] ?? -Infinity;
    this.#storedLast = state.confirmed?.[1] ?? null;
    this.#lastClosed = [...this.#closed.keys()].at(-1) ?? null;
    this.#trades.length = 0;
    for (const t of state.trades) {
      this.#trades.push({
        ...t,
        price: toPrice(t.price),
        quantity: toQuantity(t.quantity),
        fee: money(t.fee.amount, t.fee.currency),
      });
    }
  }

  async orderByClientId(clientOrderId: string): Promise<VenueOrderReport | null> {
    if (!this.#keepClosed) {
      const w = this.#working.get(clientOrderId);
      return w?.accepted ? openReport(w) : null;
    }
    const r = this.#reports.get(clientOrderId);
    if (r) return { ...r };
    const t = this.#released.get(clientOrderId);
    // A released order's venue order id is not kept: reconciliation reads none of a closed order.
    return t ? { clientOrderId, venueOrderId: '', ...t } : null;
  }

  async openOrders(): Promise<readonly VenueOrderReport[]> {
    if (!this.#keepClosed)
      return [...this.#working.values()].filter((w) => w.accepted).map(openReport);
    return [...this.#reports.values()].filter((r) => r.status === 'OPEN').map((r) => ({ ...r }));
  }

  async tradesSince(ts: number): Promise<readonly Fill[]> {
    return this.#trades.filter((t) => t.ts >= ts);
  }

  /** Records what the venue says of `w` now; a closed report's retention runs from `at`. */
  #report(w: Working, status: VenueOrderReport['status'], reason: string | null, at: number): void {
    if (!this.#keepClosed) return;
    const id = w.order.clientOrderId;
    if (status !== 'OPEN') {
      if (!this.#closed.has(id)) this.#lastClosed = id;
      this.#closed.set(id, at);
    }
    const r = this.#reports.get(id);
    if (r === undefined) {
      this.#reports.set(id, {
        clientOrderId: id,
        venueOrderId: w.venueOrderId,
        status,
        filledQuantity: w.filled,
        reason,
      });
      return;
    }
    r.venueOrderId = w.venueOrderId;
    r.status = status;
    r.filledQuantity = w.filled;
    r.reason = reason;
  }

  /**
   * Releases the reports closed at least `closedRetentionMs` before `now` (market time), oldest
   * first; stops at the first one kept (close times follow the market, so the rest are younger).
   */
  #release(now: number): void {
    this.#releaseTrades(now);
    for (const [id, at] of this.#closed) {
      if (at === null) {
        this.#closed.set(id, now);
        continue;
      }
      if (now - at < this.#retention) return;
      this.#closed.delete(id);
      const r = this.#reports.get(id)!;
      this.#reports.delete(id);
      // Its closing report is in the node's store: nothing of it is kept (the store refuses its id).
      if (this.#storedLast !== null) {
        if (this.#storedLast === id) this.#storedLast = null;
        continue;
      }
      this.#released.set(id, this.#tombstone(r.status, r.reason, r.filledQuantity));
    }
  }

  /**
   * Releases the trades the node's store confirmed (before `#fillsStored`: reconciliation reads
   * from its last stored fill) that are also older than the window, oldest first.
   */
  #releaseTrades(now: number): void {
    let n = 0;
    for (const t of this.#trades) {
      if (t.ts >= this.#fillsStored || now - t.ts < this.#retention) break;
      n++;
    }
    if (n > 0) this.#trades.splice(0, n);
  }

  /**
   * The node's store holds every report this venue gave so far, and every trade before
   * `fillsThrough` that reconciliation will read (it reads from the store's last fill): the
   * tombstones go, the closed reports kept now go without one when their window ends, and the
   * trades before `fillsThrough` go when theirs does. A paper venue logs it as an op, so a
   * reopened venue holds the same (`docs/decisions/paper-venue-retention.md`).
   *
   * @example
   * await journal.committed(); exchange.confirmStored(lastStoredFillTs);
   */
  confirmStored(fillsThrough: number): void {
    if (!this.#keepClosed) return;
    this.#fillsStored = Math.max(this.#fillsStored, fillsThrough);
    this.#released.clear();
    // (A report from a state written before close times were kept has none yet: not marked.)
    const last = this.#lastClosed;
    this.#storedLast =
      last !== null && this.#closed.has(last) && this.#closed.get(last) !== null ? last : null;
  }

  /** What the venue holds of closed orders and trades (a diagnostic). */
  get held(): { readonly reports: number; readonly tombstones: number; readonly trades: number } {
    return {
      reports: this.#reports.size,
      tombstones: this.#released.size,
      trades: this.#trades.length,
    };
  }

  /** A released order's outcome; one shared object per status and reason when nothing filled. */
  #tombstone(
    status: VenueOrderReport['status'],
    reason: string | null,
    filledQuantity: Decimal,
  ): Tombstone {
    if (!filledQuantity.eq(ZERO)) return { status, reason, filledQuantity };
    const key = `${status}:${reason ?? ''}`;
    let t = this.#unfilled.get(key);
    if (t === undefined) this.#unfilled.set(key, (t = { status, reason, filledQuantity: ZERO }));
    return t;
  }

  #remove(w: Working): void {
    // No iterator of the map outlives a call (loops run over copies).
    this.#working.delete(w.order.clientOrderId);
  }
}

/** What the venue says of a working order it accepted. */
function openReport(w: Working): VenueOrderReport {
  return {
    clientOrderId: w.order.clientOrderId,
    venueOrderId: w.venueOrderId,
    status: 'OPEN',
    filledQuantity: w.filled,
    reason: null,
  };
}

function state(w: Working) {
  return {
    leaves: subtractDecimals(w.order.quantity, w.filled),
    fresh: w.fresh,
    triggered: w.triggered,
  };
}
