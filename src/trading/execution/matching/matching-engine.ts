import { Dec, toDecimal, type Decimal } from '../../core/decimal.js';
import { money, price as toPrice, type Money, type Price } from '../../core/money.js';
import type { Liquidity, OrderType, TimeInForce } from '../../model/order-types.js';
import { snapPrice, snapQuantity } from '../../model/snap.js';
import {
  compareDecimals,
  decimalOf,
  decimalToNumber,
  multiplyDecimals,
  signOf,
  smallerDecimal,
} from '../../core/scaled-decimal.js';
import { firstTouch } from './intrabar-path.js';

/** The asset a buy's commission is charged in: the quote paid, or the base received (Binance). */
export type BuyFeeIn = 'quote' | 'base';

/** Settings of a matching engine. */
export interface MatchingEngineOptions {
  /** Slippage of taker fills of market and stop-market orders, in basis points (default 0). */
  readonly slippageBps?: number;
  /** The asset a buy's commission is charged in (default `quote`; a sell's is always the quote). */
  readonly buyFeeIn?: BuyFeeIn;
  /** Decimal places a commission is rounded to, half up (Binance: 8); exact when absent. */
  readonly feeDecimals?: number;
}

/** What the engine needs to know of an order. */
export interface MatchableOrder {
  readonly side: 'BUY' | 'SELL';
  readonly type: OrderType;
  /** The limit price (null for market and stop-market orders). */
  readonly price: Price | null;
  readonly triggerPrice: Price | null;
  readonly timeInForce: TimeInForce;
}

/** Where an order stands when it meets a price. */
export interface MatchState {
  /** The quantity still to fill. */
  readonly leaves: Decimal;
  /**
   * True on the order's first chance to trade: a limit order that crosses the market then takes
   * (at the market price); later it rests and fills at its limit price as a maker.
   */
  readonly fresh: boolean;
  /** A stop order's trigger has been reached. */
  readonly triggered: boolean;
}

/** The instrument's grids. */
export interface MatchGrid {
  readonly tickSize: Decimal;
  readonly lotSize: Decimal;
}

/** One fill the engine decided. */
export interface Match {
  readonly price: Price;
  readonly quantity: Decimal;
  readonly liquidity: Liquidity;
  /** Index of the intrabar path point the fill happened at (0 for a trade). */
  readonly at: number;
}

/** The engine's answer: a fill or none, and whether a stop order is now triggered. */
export interface MatchResult {
  readonly match: Match | null;
  readonly triggered: boolean;
}

const UNTRIGGERED: MatchResult = Object.freeze({ match: null, triggered: false });
const TRIGGERED: MatchResult = Object.freeze({ match: null, triggered: true });

/** A fee `MatchingEngine.fee` made, with what it was made of (but the price, its key). */
interface FeeMade {
  readonly quantity: Decimal;
  readonly rate: Decimal;
  readonly side: 'BUY' | 'SELL';
  readonly base: string;
  readonly quote: string;
  readonly fee: Money;
}

/**
 * The one matching engine of Kairos: it decides whether an order fills, how much, at what price,
 * as maker or taker, and the fee in which asset. No clock, and no state that changes an answer
 * (it keeps the price and fee decimals it made, immutable, to give them again). The backtest's and
 * paper venue's `SimulatedExchange` and the Binance simulator (`src/simulators/binance`) both use
 * it; each keeps its own book-keeping (latency, order records, balances). Rules:
 * docs/simulated-exchange.md.
 *
 * - Market and stop-market orders take at the market price (less slippage), whole against a bar,
 *   at most the trade's available size against a trade.
 * - A limit order that crosses the market on its first chance takes at the market price; later it
 *   fills at its limit price as a maker when the market reaches it. It never fills through its
 *   limit.
 * - A fill-or-kill order that cannot fill whole against a trade does not fill there.
 * - Fee: price × quantity × rate in the quote; a buy's, with `buyFeeIn: 'base'`, quantity × rate
 *   in the base.
 *
 * @example
 * const engine = new MatchingEngine({ buyFeeIn: 'base', feeDecimals: 8 });
 * const { match } = engine.matchTrade(order, { leaves, fresh: true, triggered: false }, 100, null, grid);
 * if (match) engine.fee('BUY', match.price, match.quantity, Dec('0.001'), 'BTC', 'USDT');
 */
export class MatchingEngine {
  /** How many market prices `#priceOf` keeps at a time. */
  static readonly PRICES_KEPT = 1024;
  readonly #slip: Decimal;
  /**
   * Market prices made into decimals, by number: fills at a price seen before share its decimal
   * (immutable), where each made its own, which a run keeps with the fill to its end.
   */
  readonly #prices = new Map<number, Decimal>();
  /** The last fee made at each price (by its decimal), of `PRICES_KEPT` prices at most. */
  readonly #fees = new Map<Decimal, FeeMade>();
  readonly #buyFeeInBase: boolean;
  readonly #feeDecimals: number | undefined;

  constructor(options: MatchingEngineOptions = {}) {
    this.#slip = toDecimal(options.slippageBps ?? 0).div(10_000);
    this.#buyFeeInBase = options.buyFeeIn === 'base';
    this.#feeDecimals = options.feeDecimals;
  }

  /** True when a post-only order with this limit would take liquidity at `market`. */
  wouldTake(side: 'BUY' | 'SELL', limit: Decimal, market: number | Decimal): boolean {
    const m = typeof market === 'number' ? market : decimalToNumber(market);
    const l = decimalToNumber(limit);
    return side === 'BUY' ? m <= l : m >= l;
  }

  /**
   * Matches an order against one trade at `price`, of which at most `available` may be taken
   * (null: no limit, e.g. an order arriving at the last price).
   */
  matchTrade(
    o: MatchableOrder,
    s: MatchState,
    price: number | Decimal,
    available: number | Decimal | null,
    grid: MatchGrid,
  ): MatchResult {
    const buy = o.side === 'BUY';
    const p = typeof price === 'number' ? price : decimalToNumber(price);
    let triggered = s.triggered;
    if ((o.type === 'STOP_MARKET' || o.type === 'STOP_LIMIT') && !triggered) {
      const t = decimalToNumber(o.triggerPrice!);
      if (buy ? p < t : p > t) return UNTRIGGERED;
      triggered = true;
    }
    const none = triggered ? TRIGGERED : UNTRIGGERED;
    let fillPrice: Price;
    let liquidity: Liquidity;
    if (o.type === 'MARKET' || o.type === 'STOP_MARKET') {
      fillPrice = this.#slipped(
        typeof price === 'number' ? this.#priceOf(price) : price,
        buy,
        grid,
      );
      liquidity = 'TAKER';
    } else {
      const limit = decimalToNumber(o.price!);
      if (buy ? p > limit : p < limit) return none;
      fillPrice = s.fresh ? toPrice(price) : o.price!;
      liquidity = s.fresh ? 'TAKER' : 'MAKER';
    }
    let qty = s.leaves;
    if (available !== null) {
      // Stryker disable next-line EqualityOperator: equivalent at 0, a zero cap leaves nothing to fill (a negative size would throw)
      if (typeof available === 'number' ? available <= 0 : available.lte(0)) return none;
      const cap = snapQuantity(decimalOf(available), grid.lotSize);
      if (o.timeInForce === 'FOK' && compareDecimals(cap, qty) < 0) return none;
      qty = smallerDecimal(cap, qty);
    }
    if (signOf(qty) <= 0) return none;
    return { match: { price: fillPrice, quantity: qty, liquidity, at: 0 }, triggered };
  }

  /**
   * Matches an order against a bar, given as its intrabar path (open, the two extremes, close).
   * The whole remaining quantity fills, or nothing.
   */
  matchPath(
    o: MatchableOrder,
    s: MatchState,
    path: readonly number[],
    grid: MatchGrid,
  ): MatchResult {
    const buy = o.side === 'BUY';
    // A stop-market triggered earlier (by a trade too small to fill it) is a market order now.
    if (o.type === 'MARKET' || (o.type === 'STOP_MARKET' && s.triggered))
      return this.#take(this.#priceOf(path[0]!), buy, s, 0, grid, s.triggered);
    if (o.type === 'LIMIT' || s.triggered) return this.#limitOnPath(o, s, path, 0, true);
    const trigger = decimalToNumber(o.triggerPrice!);
    const touch = firstTouch(path, trigger, buy ? 'up' : 'down');
    if (!touch) return UNTRIGGERED;
    if (o.type === 'STOP_MARKET') {
      const at = touch.gap ? decimalOf(touch.price) : o.triggerPrice!;
      return this.#take(at, buy, s, touch.index, grid, true);
    }
    const limit = decimalToNumber(o.price!);
    const start = touch.gap ? touch.price : trigger;
    if (buy ? start <= limit : start >= limit) {
      const price = touch.gap ? toPrice(start) : o.triggerPrice!;
      const match: Match = { price, quantity: s.leaves, liquidity: 'TAKER', at: touch.index };
      return { match, triggered: true };
    }
    return this.#limitOnPath(o, { ...s, triggered: true }, path, touch.index, false);
  }

  /** The fee of a fill at `rate` (the maker or taker rate). */
  fee(
    side: 'BUY' | 'SELL',
    price: Decimal,
    quantity: Decimal,
    rate: Decimal,
    base: string,
    quote: string,
  ): Money {
    // Fills alike (the same price, quantity and rate decimals: a shared market price, a
    // strategy's fixed size) share one fee (immutable), where each kept its own to the run's end.
    const last = this.#fees.get(price);
    if (
      last !== undefined &&
      last.quantity === quantity &&
      last.rate === rate &&
      last.side === side &&
      last.base === base &&
      last.quote === quote
    )
      return last.fee;
    const inBase = side === 'BUY' && this.#buyFeeInBase;
    let amount = multiplyDecimals(inBase ? quantity : multiplyDecimals(price, quantity), rate);
    if (this.#feeDecimals !== undefined) amount = amount.round(this.#feeDecimals, Dec.roundHalfUp);
    const fee = money(amount, inBase ? base : quote);
    if (this.#fees.size >= MatchingEngine.PRICES_KEPT) this.#fees.clear();
    this.#fees.set(price, { quantity, rate, side, base, quote, fee });
    return fee;
  }

  #take(
    x: Decimal,
    buy: boolean,
    s: MatchState,
    at: number,
    grid: MatchGrid,
    triggered: boolean,
  ): MatchResult {
    const price = this.#slipped(x, buy, grid);
    return { match: { price, quantity: s.leaves, liquidity: 'TAKER', at }, triggered };
  }

  /** A working limit order along the path from point `from` on. */
  #limitOnPath(
    o: MatchableOrder,
    s: MatchState,
    path: readonly number[],
    from: number,
    mayGap: boolean,
  ): MatchResult {
    const buy = o.side === 'BUY';
    const limit = decimalToNumber(o.price!);
    // Only from the open (`mayGap`): a gap through the limit fills at the open price.
    if (mayGap && (buy ? path[0]! <= limit : path[0]! >= limit)) {
      const liquidity = s.fresh ? 'TAKER' : 'MAKER';
      const match: Match = { price: toPrice(path[0]!), quantity: s.leaves, liquidity, at: 0 };
      return { match, triggered: s.triggered };
    }
    // Stryker disable next-line EqualityOperator: equivalent, one step past the end reads undefined, which never reaches a limit
    for (let i = from; i < path.length; i++) {
      if (buy ? path[i]! <= limit : path[i]! >= limit) {
        const match: Match = { price: o.price!, quantity: s.leaves, liquidity: 'MAKER', at: i };
        return { match, triggered: s.triggered };
      }
    }
    return s.triggered ? TRIGGERED : UNTRIGGERED;
  }

  /** `decimalOf(x)`: the same decimal for the same number, of the last `PRICES_KEPT` or fewer. */
  #priceOf(x: number): Decimal {
    // A zero is made each time: a map holds -0 and +0 as one key.
    if (x === 0) return decimalOf(x);
    let d = this.#prices.get(x);
    if (d === undefined) {
      if (this.#prices.size >= MatchingEngine.PRICES_KEPT) this.#prices.clear();
      d = decimalOf(x);
      this.#prices.set(x, d);
    }
    return d;
  }

  #slipped(x: Decimal, buy: boolean, grid: MatchGrid): Price {
    if (signOf(this.#slip) === 0) return toPrice(x);
    return buy
      ? snapPrice(x.times(this.#slip.plus(1)), grid.tickSize, 'up')
      : snapPrice(x.times(this.#slip.neg().plus(1)), grid.tickSize, 'down');
  }
}
