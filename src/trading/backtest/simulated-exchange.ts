import { toDecimal, type Decimal } from '../core/decimal.js';
import { money, price as toPrice, quantity as toQuantity, type Price } from '../core/money.js';
import { Reason } from '../core/reason-codes.js';
import type { Bar, TradeTick } from '../data/market-data.js';
import type { ExecutionClient } from '../execution/execution-client.js';
import type { VenueOrderReport, VenueQueries } from '../execution/venue-queries.js';
import type { Fill } from '../model/fill.js';
import type { Instrument } from '../model/instrument.js';
import type { Order } from '../model/order.js';
import { orderFromJson, orderToJson, type OrderJson } from '../model/order-json.js';
import type { OrderEvent } from '../model/order-events.js';
import type { Liquidity } from '../model/order-types.js';
import { snapPrice, snapQuantity } from '../model/snap.js';
import { firstTouch, intrabarPath } from './intrabar-path.js';

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

type Ids = Pick<OrderEvent, 'clientOrderId' | 'strategyId' | 'instrumentId'>;

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
  readonly trades: readonly {
    readonly venue: string;
    readonly tradeId: string;
    readonly clientOrderId: string;
    readonly instrumentId: string;
    readonly side: 'BUY' | 'SELL';
    readonly price: string;
    readonly quantity: string;
    readonly fee: { readonly amount: string; readonly currency: string };
    readonly liquidity: 'MAKER' | 'TAKER';
    readonly ts: number;
  }[];
}

/**
 * A deterministic simulated venue for backtests and paper trading. Market orders fill at the
 * next bar's open; limit and stop orders trigger on later bars along the intrabar path; on trade
 * ticks, orders fill against each trade, bounded by its size. Rules: docs/simulated-exchange.md.
 *
 * @example
 * const ex = new SimulatedExchange({ venue: 'SIM', instruments: [inst] }, (e) => exec.process(e));
 * ex.submit(order, clock.now());
 * ex.onBar(nextBar); // emits OrderFilled at the bar's open
 */
export class SimulatedExchange implements ExecutionClient, VenueQueries {
  readonly #emit: (event: OrderEvent) => void;
  readonly #instruments: ReadonlyMap<string, Instrument>;
  readonly #latency: number;
  readonly #slip: Decimal;
  readonly #fraction: number;
  readonly #venue: string;
  /** Working orders by client order id, in submission order. */
  #working = new Map<string, Working>();
  #orderSeq = 0;
  #duplicatesRefused = 0;
  #tradeSeq = 0;
  /** Position on the intrabar path of the fill being made (orders then report in path order). */
  #at = 0;
  #group: OrderEvent[] | null = null;
  /** What the venue knows of every order it saw, and its trades: for reconciliation. */
  readonly #reports = new Map<string, VenueOrderReport>();
  readonly #trades: Fill[] = [];
  #lastBarOpen = -Infinity;
  #groupAt = Infinity;

  constructor(options: SimulatedExchangeOptions, emit: (event: OrderEvent) => void) {
    this.#emit = emit;
    this.#venue = options.venue;
    this.#instruments = new Map(options.instruments.map((i) => [i.id, i]));
    this.#latency = options.latencyMs ?? 0;
    this.#slip = toDecimal(options.slippageBps ?? 0).div(10_000);
    this.#fraction = options.maxVolumeFraction ?? 1;
  }

  submit(order: Order, ts: number): void {
    // Like a real venue, a client order id is taken once; the first order stands, unchanged.
    const id = order.clientOrderId;
    if (this.#reports.has(id) || this.#working.has(id)) {
      this.#duplicatesRefused++;
      return;
    }
    const inst = this.#instruments.get(order.instrumentId);
    if (!inst) {
      this.#out({
        kind: 'OrderRejected',
        ...ids(order),
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
      filled: toDecimal(0),
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
    if (this.#working.size === 0) return;
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
    if (this.#working.size === 0) return;
    let available = tick.size * this.#fraction;
    for (const w of [...this.#working.values()]) {
      if (w.order.instrumentId !== tick.instrumentId || !this.#arrive(w, tick.ts, tick.price))
        continue;
      available -= this.#matchTick(w, tick, available);
      if (w.fresh) this.#afterFirstChance(w, tick.ts);
    }
  }

  /** Accepts / cancels what has arrived by `t`; true when the order may trade at `t`. */
  #arrive(w: Working, t: number, marketPrice: number): boolean {
    if (!w.accepted) {
      if (w.arrival > t) return false;
      const o = w.order;
      if (o.postOnly && o.price !== null) {
        const limit = Number(o.price.toString());
        if (o.side === 'BUY' ? marketPrice <= limit : marketPrice >= limit) {
          this.#close(w, 'OrderRejected', Reason.POST_ONLY_WOULD_TAKE, t);
          return false;
        }
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
    this.#report(w, 'OPEN', null);
    this.#out({
      kind: 'OrderAccepted',
      ...ids(w.order),
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
    const o = w.order;
    const buy = o.side === 'BUY';
    const path = intrabarPath(bar);
    const ts = bar.openTime;
    this.#at = 0;
    if (o.type === 'MARKET')
      return this.#fill(w, this.#slipped(bar.open, buy, w.inst), leaves(w), 'TAKER', ts);
    if (o.type === 'LIMIT' || w.triggered) return this.#limitOnPath(w, path, 0, ts);
    const trigger = Number(o.triggerPrice!.toString());
    const touch = firstTouch(path, trigger, buy ? 'up' : 'down');
    if (!touch) return;
    this.#at = touch.index;
    if (o.type === 'STOP_MARKET') {
      const at = touch.gap ? toDecimal(touch.price) : o.triggerPrice!;
      return this.#fill(w, this.#slippedDec(at, buy, w.inst), leaves(w), 'TAKER', ts);
    }
    w.triggered = true;
    const limit = Number(o.price!.toString());
    const start = touch.gap ? touch.price : trigger;
    if (buy ? start <= limit : start >= limit)
      return this.#fill(w, touch.gap ? toPrice(start) : o.triggerPrice!, leaves(w), 'TAKER', ts);
    this.#limitOnPath(w, path, touch.index, ts, false);
  }

  /** A working limit order along the path from point `from` on. */
  #limitOnPath(w: Working, path: readonly number[], from: number, ts: number, mayGap = true): void {
    const o = w.order;
    const buy = o.side === 'BUY';
    const limit = Number(o.price!.toString());
    const marketableAtOpen = from === 0 && (buy ? path[0]! <= limit : path[0]! >= limit);
    if (mayGap && marketableAtOpen) {
      this.#at = 0;
      return this.#fill(w, toPrice(path[0]!), leaves(w), w.fresh ? 'TAKER' : 'MAKER', ts);
    }
    for (let i = from; i < path.length; i++) {
      if (buy ? path[i]! <= limit : path[i]! >= limit) {
        this.#at = i;
        return this.#fill(w, o.price!, leaves(w), 'MAKER', ts);
      }
    }
  }

  /** Matches against one trade; returns the size taken. */
  #matchTick(w: Working, tick: TradeTick, available: number): number {
    const o = w.order;
    const buy = o.side === 'BUY';
    const p = tick.price;
    if ((o.type === 'STOP_MARKET' || o.type === 'STOP_LIMIT') && !w.triggered) {
      const t = Number(o.triggerPrice!.toString());
      if (buy ? p < t : p > t) return 0;
      w.triggered = true;
    }
    let fillPrice: Price;
    let liquidity: Liquidity;
    if (o.type === 'MARKET' || o.type === 'STOP_MARKET') {
      fillPrice = this.#slipped(p, buy, w.inst);
      liquidity = 'TAKER';
    } else {
      const limit = Number(o.price!.toString());
      if (buy ? p > limit : p < limit) return 0;
      fillPrice = w.fresh ? toPrice(p) : o.price!;
      liquidity = w.fresh ? 'TAKER' : 'MAKER';
    }
    if (available <= 0) return 0;
    const cap = snapQuantity(toDecimal(available), w.inst.lotSize);
    const want = leaves(w);
    if (o.timeInForce === 'FOK' && cap.lt(want)) return 0;
    const qty = cap.lt(want) ? cap : want;
    if (qty.lte(0)) return 0;
    this.#fill(w, fillPrice, qty, liquidity, tick.ts);
    return Number(qty.toString());
  }

  #slipped(x: number, buy: boolean, inst: Instrument): Price {
    return this.#slippedDec(toDecimal(x), buy, inst);
  }

  #slippedDec(x: Decimal, buy: boolean, inst: Instrument): Price {
    if (this.#slip.eq(0)) return toPrice(x);
    return buy
      ? snapPrice(x.times(this.#slip.plus(1)), inst.tickSize, 'up')
      : snapPrice(x.times(this.#slip.neg().plus(1)), inst.tickSize, 'down');
  }

  #fill(w: Working, price: Price, qty: Decimal, liquidity: Liquidity, ts: number): void {
    if (this.#at < this.#groupAt) this.#groupAt = this.#at;
    const rate = liquidity === 'MAKER' ? w.inst.makerFee : w.inst.takerFee;
    const quantity = toQuantity(qty);
    const fill: Fill = {
      venue: this.#venue,
      tradeId: `${this.#venue}-T${++this.#tradeSeq}`,
      clientOrderId: w.order.clientOrderId,
      instrumentId: w.order.instrumentId,
      side: w.order.side,
      price,
      quantity,
      fee: money(price.times(quantity).times(rate), w.inst.quote),
      liquidity,
      ts,
    };
    this.#trades.push(fill);
    w.filled = w.filled.plus(quantity);
    const done = w.filled.gte(w.order.quantity);
    this.#report(w, done ? 'FILLED' : 'OPEN', null);
    this.#out({ kind: 'OrderFilled', ...ids(w.order), ts, fill });
    if (done) this.#remove(w);
  }

  #close(w: Working, kind: 'OrderCanceled' | 'OrderRejected', reason: string, ts: number): void {
    this.#remove(w);
    this.#report(w, kind === 'OrderCanceled' ? 'CANCELED' : 'REJECTED', reason);
    if (kind === 'OrderRejected') this.#out({ kind, ...ids(w.order), ts, reason, message: reason });
    else this.#out({ kind, ...ids(w.order), ts, reason });
  }

  /** The venue's whole state as plain JSON (the paper venue persists it). */
  snapshot(): SimulatedExchangeState {
    return JSON.parse(
      JSON.stringify({
        orderSeq: this.#orderSeq,
        duplicatesRefused: this.#duplicatesRefused,
        tradeSeq: this.#tradeSeq,
        lastBarOpen: Number.isFinite(this.#lastBarOpen) ? this.#lastBarOpen : null,
        working: [...this.#working.values()].map((w) => ({
          ...w,
          inst: w.inst.id,
          order: orderToJson(w.order),
        })),
        reports: [...this.#reports.values()],
        trades: this.#trades,
      }),
    ) as SimulatedExchangeState;
  }

  /** Takes over a state from `snapshot()` (on a fresh instance). */
  restore(state: SimulatedExchangeState): void {
    this.#orderSeq = state.orderSeq;
    this.#duplicatesRefused = state.duplicatesRefused ?? 0;
    this.#tradeSeq = state.tradeSeq;
    this.#lastBarOpen = state.lastBarOpen ?? -Infinity;
    this.#working = new Map(
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
    return this.#reports.get(clientOrderId) ?? null;
  }

  async openOrders(): Promise<readonly VenueOrderReport[]> {
    return [...this.#reports.values()].filter((r) => r.status === 'OPEN');
  }

  async tradesSince(ts: number): Promise<readonly Fill[]> {
    return this.#trades.filter((t) => t.ts >= ts);
  }

  #report(w: Working, status: VenueOrderReport['status'], reason: string | null): void {
    this.#reports.set(w.order.clientOrderId, {
      clientOrderId: w.order.clientOrderId,
      venueOrderId: w.venueOrderId,
      status,
      filledQuantity: w.filled,
      reason,
    });
  }

  #remove(w: Working): void {
    this.#working.delete(w.order.clientOrderId);
  }
}

function ids(o: Order): Ids {
  return { clientOrderId: o.clientOrderId, strategyId: o.strategyId, instrumentId: o.instrumentId };
}

function leaves(w: Working): Decimal {
  return w.order.quantity.minus(w.filled);
}
