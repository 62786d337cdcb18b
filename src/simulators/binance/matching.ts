import { toDecimal, ZERO, type Decimal } from '../../trading/core/decimal.js';
import type { Price } from '../../trading/core/money.js';
import {
  MatchingEngine,
  type BuyFeeIn,
  type Match,
  type MatchableOrder,
} from '../../trading/execution/matching/matching-engine.js';
import { snapToGrid } from '../../trading/model/snap.js';
import type { Account } from './account.js';
import { BinanceErrors } from './binance-error.js';
import { BinanceJson, type ExecutionType } from './binance-json.js';
import type { SimOrder, SimOrderType, SimTrade } from './sim-order.js';
import { checkFilters, type SymbolSpec } from './symbol-spec.js';

/** A new order, parsed and checked for form (the matcher checks the rest). */
export interface PlaceRequest {
  readonly side: 'BUY' | 'SELL';
  readonly type: SimOrderType;
  readonly timeInForce: 'GTC' | 'IOC' | 'FOK';
  readonly quantity: Decimal | null;
  readonly quoteOrderQty: Decimal | null;
  readonly price: Decimal | null;
  readonly clientOrderId: string;
}

/** How an order is named in a query or cancel (Binance: orderId wins, the client id must agree). */
export interface OrderRef {
  readonly orderId?: number;
  readonly origClientOrderId?: string;
}

/** What the matcher needs from the venue around it. */
export interface MatcherOptions {
  readonly spec: SymbolSpec;
  readonly account: Account;
  readonly makerFee: Decimal;
  readonly takerFee: Decimal;
  /** The largest fraction of each replayed trade's size resting orders may take (default 1). */
  readonly maxVolumeFraction?: number;
  /** Receives every user-data event (executionReport, outboundAccountPosition) as Binance JSON. */
  readonly emit: (event: Record<string, unknown>) => void;
  /** Venue (market) time. */
  readonly marketNow: () => number;
  /** Server (wall) clock. */
  readonly serverNow: () => number;
  /** The last replayed trade price, null before the first. */
  readonly lastPrice: () => number | null;
  /**
   * The asset a buy's commission is charged in: the base received (default, as Binance does
   * unless BNB pays) or the quote paid.
   */
  readonly buyFeeIn?: BuyFeeIn;
  /**
   * Each fill is made of up to this many trades (default 1): equal parts on the lot grid, the last
   * taking the rest, stamped `tradesApartMs` apart, as a maker order hit by that many takers in
   * turn (on a real venue, an order with many fills). A switch for tests of long fills histories.
   */
  readonly tradesPerFill?: number;
  /**
   * Ms between the trades of one fill (default 1); 0 stamps them all in one millisecond, as one
   * order matched against many resting orders in a single match.
   */
  readonly tradesApartMs?: number;
  /** Ms added to every trade's time (a venue clock running ahead; default 0). */
  readonly tradeTimeAheadMs?: () => number;
  /**
   * Where order and trade ids come from: Binance numbers orders (and trades) per symbol, across
   * every account, so several accounts' matchers share one sequence (default: their own, from 1).
   */
  readonly ids?: IdSequence;
}

/** Order and trade ids of one symbol, shared by every account's matcher. */
export class IdSequence {
  constructor(
    public lastOrderId = 0,
    public lastTradeId = 0,
  ) {}

  nextOrderId(): number {
    return ++this.lastOrderId;
  }

  nextTradeId(): number {
    return ++this.lastTradeId;
  }
}

/**
 * The simulated venue's order book-keeping and accounting for one symbol; what fills, at what
 * price and fee, is decided by the domain's `MatchingEngine`, as in a backtest. A market order
 * fills whole at the last trade price; a limit order that crosses the last price fills whole at
 * it (taker); otherwise it rests and fills at its limit price (maker) when a replayed trade
 * reaches it, taking at most `maxVolumeFraction` of that trade's size, so large orders fill in
 * parts. Balances are locked when an order is accepted; commission is charged in the asset
 * received, rounded to 8 decimals (a buy's in the quote instead with `buyFeeIn: 'quote'`).
 *
 * @example
 * const m = new SpotMatcher({ spec, account, makerFee: Dec('0.001'), takerFee: Dec('0.001'), ... });
 * m.place({ side: 'BUY', type: 'MARKET', timeInForce: 'GTC', quantity: Dec('1'), ... });
 */
export class SpotMatcher {
  readonly #o: MatcherOptions;
  readonly #orders: SimOrder[] = [];
  readonly #byId = new Map<number, SimOrder>();
  readonly #open: SimOrder[] = [];
  readonly #ids: IdSequence;
  readonly #trades: SimTrade[] = [];
  readonly #fraction: number;
  readonly #engine: MatchingEngine;
  /** The symbol's grid now (its filters may change while the venue runs). */
  get #grid(): { readonly tickSize: Decimal; readonly lotSize: Decimal } {
    return { tickSize: this.#o.spec.tickSize, lotSize: this.#o.spec.stepSize };
  }

  constructor(options: MatcherOptions) {
    this.#o = options;
    this.#fraction = options.maxVolumeFraction ?? 1;
    this.#ids = options.ids ?? new IdSequence();
    this.#engine = new MatchingEngine({ buyFeeIn: options.buyFeeIn ?? 'base', feeDecimals: 8 });
  }

  /** Accepts (or rejects with a Binance error) a new order and fills what is marketable now. */
  place(req: PlaceRequest): { order: SimOrder; fills: SimTrade[] } {
    const { spec, account } = this.#o;
    if (this.#open.some((o) => o.clientOrderId === req.clientOrderId))
      throw BinanceErrors.duplicate();
    const lastNum = this.#o.lastPrice();
    const last = lastNum === null ? null : toDecimal(lastNum);
    const market = req.type === 'MARKET';
    if (market && last === null) throw BinanceErrors.marketClosed();
    const qty = req.quantity ?? snapToGrid(req.quoteOrderQty!.div(last!), spec.stepSize, 'down');
    const price = market ? null : req.price!;
    checkFilters(spec, { price, quantity: qty, notionalPrice: price ?? last!, market });
    const asOrder = matchable(req.side, price, req.timeInForce);
    // Arriving, an order meets the last price as a trade of unlimited size.
    const { match } =
      last === null
        ? { match: null }
        : this.#engine.matchTrade(
            asOrder,
            { leaves: qty, fresh: true, triggered: false },
            last,
            null,
            this.#grid,
          );
    if (req.type === 'LIMIT_MAKER' && match) throw BinanceErrors.wouldTake();
    const lockAmount = req.side === 'BUY' ? (price ?? last!).times(qty) : qty;
    account.lock(req.side === 'BUY' ? spec.quote : spec.base, lockAmount);
    const now = this.#o.marketNow();
    const order: SimOrder = {
      orderId: this.#ids.nextOrderId(),
      clientOrderId: req.clientOrderId,
      side: req.side,
      type: req.type,
      timeInForce: req.timeInForce,
      price: price ?? ZERO,
      origQty: qty,
      origQuoteOrderQty: req.quoteOrderQty ?? ZERO,
      executedQty: ZERO,
      cummulativeQuoteQty: ZERO,
      status: 'NEW',
      time: now,
      updateTime: now,
      committedAt: this.#o.serverNow(),
      locked: lockAmount,
      cancelClientOrderId: null,
    };
    this.#orders.push(order);
    this.#byId.set(order.orderId, order);
    this.#report(order, 'NEW', null, now);
    const fills: SimTrade[] = [];
    if (match) fills.push(...this.#fillInParts(order, match, now));
    else if (req.timeInForce === 'GTC') this.#open.push(order);
    else this.#close(order, 'EXPIRED', now);
    return { order, fills };
  }

  /** Cancels an open order; Binance -2011 when there is none by that reference. */
  cancel(ref: OrderRef, cancelClientOrderId: string | null): SimOrder {
    const o = this.find(ref);
    if (!o || !this.#open.includes(o)) throw BinanceErrors.unknownOrderCancel();
    o.cancelClientOrderId = cancelClientOrderId ?? `sim-cancel-${o.orderId}`;
    this.#close(o, 'CANCELED', this.#o.marketNow());
    return o;
  }

  /** The order named by `ref` (the latest one with that client order id), if any. */
  find(ref: OrderRef): SimOrder | undefined {
    let o: SimOrder | undefined;
    if (ref.orderId !== undefined) {
      o = this.#byId.get(ref.orderId);
      if (o && ref.origClientOrderId !== undefined && o.clientOrderId !== ref.origClientOrderId)
        return undefined;
      return o;
    }
    for (let i = this.#orders.length - 1; i >= 0 && !o; i--)
      if (this.#orders[i]!.clientOrderId === ref.origClientOrderId) o = this.#orders[i];
    return o;
  }

  /**
   * Takes back the orders and fills of a saved state (a restarted venue): the orders still
   * `NEW` or `PARTIALLY_FILLED` rest on the book again, oldest first. Only on a fresh matcher.
   */
  restore(orders: readonly SimOrder[], trades: readonly SimTrade[]): void {
    if (this.#orders.length > 0) throw new Error('SpotMatcher.restore: the matcher is not new');
    for (const o of [...orders].sort((a, b) => a.orderId - b.orderId)) {
      this.#orders.push(o);
      this.#byId.set(o.orderId, o);
      if (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED') this.#open.push(o);
    }
    this.#trades.push(...[...trades].sort((a, b) => a.id - b.id));
  }

  /** Every order ever accepted, oldest first. */
  orders(): readonly SimOrder[] {
    return this.#orders;
  }

  /** The orders resting on the book, oldest first. */
  openOrders(): readonly SimOrder[] {
    return this.#open;
  }

  /** Every fill of the user's orders, oldest first. */
  trades(): readonly SimTrade[] {
    return this.#trades;
  }

  /** Matches the resting orders against one replayed market trade. */
  onMarketTrade(price: number, size: number, ts: number): void {
    if (this.#open.length === 0) return;
    const p = toDecimal(price);
    // A trade with no reported size (bars without volume) does not limit the fill.
    let available = size > 0 ? toDecimal(size).times(this.#fraction) : null;
    for (const o of [...this.#open]) {
      const leaves = o.origQty.minus(o.executedQty);
      const { match } = this.#engine.matchTrade(
        matchable(o.side, o.price as Price, o.timeInForce),
        { leaves, fresh: false, triggered: false },
        p,
        available,
        this.#grid,
      );
      if (!match) continue;
      this.#fillInParts(o, match, ts);
      if (available !== null) available = available.minus(match.quantity);
    }
  }

  /** A fill as `tradesPerFill` trades (see there), or one. */
  #fillInParts(o: SimOrder, m: Match, ts: number): SimTrade[] {
    const lot = this.#o.spec.stepSize;
    const parts = Math.min(this.#o.tradesPerFill ?? 1, Number(m.quantity.div(lot).toFixed(0, 0)));
    if (parts <= 1) return [this.#fill(o, m, ts)];
    const each = snapToGrid(m.quantity.div(parts), lot, 'down');
    const out: SimTrade[] = [];
    for (let k = 0, left = m.quantity; k < parts; k++) {
      const quantity = k === parts - 1 ? left : each;
      out.push(this.#fill(o, { ...m, quantity }, ts + k * (this.#o.tradesApartMs ?? 1)));
      left = left.minus(quantity);
    }
    return out;
  }

  #fill(o: SimOrder, m: Match, ts: number): SimTrade {
    const { spec, account } = this.#o;
    const { price, quantity: qty } = m;
    const maker = m.liquidity === 'MAKER';
    const quoteQty = price.times(qty);
    const rate = maker ? this.#o.makerFee : this.#o.takerFee;
    const fee = this.#engine.fee(o.side, price, qty, rate, spec.base, spec.quote);
    const commission = fee.amount;
    const commissionAsset = fee.currency;
    if (o.side === 'BUY') {
      // Locked at the limit price (market: at the fill price); the difference goes back.
      const held = o.type === 'MARKET' ? quoteQty : o.price.times(qty);
      account.spendLocked(spec.quote, quoteQty);
      account.unlock(spec.quote, held.minus(quoteQty));
      o.locked = o.locked.minus(held);
      if (commissionAsset === spec.quote) {
        account.lock(spec.quote, commission);
        account.spendLocked(spec.quote, commission);
        account.credit(spec.base, qty);
      } else {
        account.credit(spec.base, qty.minus(commission));
      }
    } else {
      account.spendLocked(spec.base, qty);
      o.locked = o.locked.minus(qty);
      account.credit(spec.quote, quoteQty.minus(commission));
    }
    const trade: SimTrade = {
      id: this.#ids.nextTradeId(),
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      side: o.side,
      price,
      qty,
      quoteQty,
      commission,
      commissionAsset,
      time: ts + (this.#o.tradeTimeAheadMs?.() ?? 0),
      isMaker: maker,
    };
    this.#trades.push(trade);
    o.executedQty = o.executedQty.plus(qty);
    o.cummulativeQuoteQty = o.cummulativeQuoteQty.plus(quoteQty);
    o.updateTime = ts;
    const done = o.executedQty.gte(o.origQty);
    o.status = done ? 'FILLED' : 'PARTIALLY_FILLED';
    if (done) {
      this.#unlockRest(o);
      this.#remove(o);
    }
    this.#report(o, 'TRADE', trade, ts);
    return trade;
  }

  #close(o: SimOrder, status: 'CANCELED' | 'EXPIRED', ts: number): void {
    o.status = status;
    o.updateTime = ts;
    this.#unlockRest(o);
    this.#remove(o);
    this.#report(o, status, null, ts);
  }

  #unlockRest(o: SimOrder): void {
    const { spec, account } = this.#o;
    account.unlock(o.side === 'BUY' ? spec.quote : spec.base, o.locked);
    o.locked = ZERO;
  }

  #remove(o: SimOrder): void {
    const i = this.#open.indexOf(o);
    if (i >= 0) this.#open.splice(i, 1);
  }

  #report(o: SimOrder, x: ExecutionType, trade: SimTrade | null, ts: number): void {
    const symbol = this.#o.spec.symbol;
    this.#o.emit(BinanceJson.executionReport(symbol, o, x, trade, ts));
    const changed = this.#o.account.takeChanged();
    if (changed.length > 0) this.#o.emit(BinanceJson.accountPosition(ts, changed));
  }
}

/** A Binance limit or market order as the matching engine sees it (the simulator has no stops). */
function matchable(
  side: 'BUY' | 'SELL',
  price: Decimal | null,
  timeInForce: 'GTC' | 'IOC' | 'FOK',
): MatchableOrder {
  return {
    side,
    type: price === null ? 'MARKET' : 'LIMIT',
    price: price as Price | null,
    triggerPrice: null,
    timeInForce,
  };
}
