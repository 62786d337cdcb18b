import { BinanceErrors } from './binance-error.js';
import { num8 } from './format.js';
import { TICKS_PER_BAR, type BarView, type MarketTick, type ReplayMarket } from './market.js';

const DAY = 86_400_000;

/** Binance's kline intervals (no `1M`: months are not a fixed length). */
export const KLINE_INTERVALS: Readonly<Record<string, number>> = {
  '1s': 1000,
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '8h': 28_800_000,
  '12h': 43_200_000,
  '1d': DAY,
  '3d': 3 * DAY,
  '1w': 7 * DAY,
};

/** The length of a kline interval the market can serve (a multiple of its bar); -1120 otherwise. */
export function klineIntervalMs(name: string, baseMs: number): number {
  const ms = KLINE_INTERVALS[name];
  if (ms === undefined || ms < baseMs || ms % baseMs !== 0) throw BinanceErrors.badInterval();
  return ms;
}

/** Start of the interval holding `t` (weeks start on Monday, like Binance's). */
export function periodStart(t: number, ms: number): number {
  const offset = ms === 7 * DAY ? 4 * DAY : 0;
  return Math.floor((t - offset) / ms) * ms + offset;
}

function merge(views: readonly BarView[]): BarView {
  const first = views[0]!;
  let { high, low, volume, quoteVolume, trades, takerBuyBase, takerBuyQuote } = first;
  for (let i = 1; i < views.length; i++) {
    const v = views[i]!;
    high = Math.max(high, v.high);
    low = Math.min(low, v.low);
    volume += v.volume;
    quoteVolume += v.quoteVolume;
    trades += v.trades;
    takerBuyBase += v.takerBuyBase;
    takerBuyQuote += v.takerBuyQuote;
  }
  const last = views[views.length - 1]!;
  return {
    ...first,
    high,
    low,
    close: last.close,
    volume,
    quoteVolume,
    trades,
    takerBuyBase,
    takerBuyQuote,
    lastId: last.lastId,
  };
}

/** First index in [0, n) where `pred` holds (pred monotone false → true); n when none. */
function firstWhere(n: number, pred: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const dayCache = new WeakMap<ReplayMarket, { start: number; end: number; view: BarView | null }>();

/**
 * The revealed bars that opened in the last 24 hours of venue time (at least the latest bar),
 * merged, with the index of the first. The whole bars' part is cached until the window moves.
 */
function lastDay(m: ReplayMarket): (BarView & { index: number }) | null {
  const n = m.revealedBars;
  if (n === 0) return null;
  const from = m.now() - DAY;
  const start = Math.min(
    n - 1,
    firstWhere(n, (i) => m.bar(i).openTime >= from),
  );
  const whole = Math.floor(m.revealedTrades / TICKS_PER_BAR);
  let cached = dayCache.get(m);
  if (!cached || cached.start !== start || cached.end !== whole) {
    const views: BarView[] = [];
    for (let i = start; i < whole; i++) views.push(m.view(i)!);
    cached = { start, end: whole, view: views.length > 0 ? merge(views) : null };
    dayCache.set(m, cached);
  }
  const parts = [cached.view, whole < n ? m.view(n - 1) : null].filter(
    (x): x is BarView => x !== null,
  );
  return { ...merge(parts), index: start };
}

/** Query of a time-paged list, Binance style. */
export interface PageQuery {
  readonly startTime?: number;
  readonly endTime?: number;
  readonly limit: number;
}

/**
 * Binance market-data answers computed from the replay: klines (any interval that is a multiple
 * of the file's), trades, aggregate trades and the 24-hour tickers.
 *
 * @example
 * MarketViews.klines(market, 60_000, { limit: 500 }); // the 500 most recent 1m klines
 */
export const MarketViews = {
  /** `GET /api/v3/klines` rows; with startTime the first `limit` from it, else the latest. */
  klines(m: ReplayMarket, ms: number, q: PageQuery): unknown[][] {
    const n = m.revealedBars;
    const ps = (i: number) => periodStart(m.bar(i).openTime, ms);
    const lo = q.startTime === undefined ? 0 : firstWhere(n, (i) => ps(i) >= q.startTime!);
    const hi = q.endTime === undefined ? n : firstWhere(n, (i) => ps(i) > q.endTime!);
    const groups: BarView[][] = [];
    if (q.startTime !== undefined) {
      for (let i = lo; i < hi; i++) {
        const last = groups[groups.length - 1];
        if (last && periodStart(last[0]!.openTime, ms) === ps(i)) last.push(m.view(i)!);
        else if (groups.length === q.limit) break;
        else groups.push([m.view(i)!]);
      }
    } else {
      for (let i = hi - 1; i >= lo; i--) {
        const last = groups[groups.length - 1];
        if (last && periodStart(last[0]!.openTime, ms) === ps(i)) last.push(m.view(i)!);
        else if (groups.length === q.limit) break;
        else groups.push([m.view(i)!]);
      }
      groups.reverse();
      for (const g of groups) g.reverse();
    }
    return groups.map((g) => {
      const v = merge(g);
      const t = periodStart(v.openTime, ms);
      return [
        t,
        num8(v.open),
        num8(v.high),
        num8(v.low),
        num8(v.close),
        num8(v.volume),
        t + ms - 1,
        num8(v.quoteVolume),
        v.trades,
        num8(v.takerBuyBase),
        num8(v.takerBuyQuote),
        '0',
      ];
    });
  },

  /** The WebSocket `kline` event for the interval holding bar `index`. */
  klineEvent(
    m: ReplayMarket,
    symbol: string,
    name: string,
    ms: number,
    index: number,
    closed: boolean,
    eventTime: number,
  ): Record<string, unknown> {
    const start = periodStart(m.bar(index).openTime, ms);
    const views: BarView[] = [];
    for (let i = index; i >= 0 && periodStart(m.bar(i).openTime, ms) === start; i--)
      views.push(m.view(i)!);
    views.reverse();
    const v = merge(views);
    return {
      e: 'kline',
      E: eventTime,
      s: symbol,
      k: {
        t: start,
        T: start + ms - 1,
        s: symbol,
        i: name,
        f: v.firstId,
        L: v.lastId,
        o: num8(v.open),
        c: num8(v.close),
        h: num8(v.high),
        l: num8(v.low),
        v: num8(v.volume),
        n: v.trades,
        x: closed,
        q: num8(v.quoteVolume),
        V: num8(v.takerBuyBase),
        Q: num8(v.takerBuyQuote),
        B: '0',
      },
    };
  },

  /** True when bar `index` ends its interval of length `ms` (the next bar starts another). */
  endsPeriod(m: ReplayMarket, index: number, ms: number): boolean {
    const start = periodStart(m.bar(index).openTime, ms);
    if (m.bar(index).closeTime >= start + ms || index + 1 >= m.totalBars) return true;
    return periodStart(m.bar(index + 1).openTime, ms) !== start;
  },

  /** Trade ids for a time-paged query (fromId wins); the latest `limit` when unbounded. */
  tradeIds(m: ReplayMarket, q: PageQuery & { fromId?: number }): readonly [number, number] {
    const n = m.revealedTrades;
    if (q.fromId !== undefined) {
      const from = Math.max(1, q.fromId);
      return [from, Math.min(n, from + q.limit - 1)];
    }
    const ts = (i: number) => m.tick(i + 1).ts;
    const first = q.startTime === undefined ? 1 : firstWhere(n, (i) => ts(i) >= q.startTime!) + 1;
    const last = q.endTime === undefined ? n : firstWhere(n, (i) => ts(i) > q.endTime!);
    if (q.startTime !== undefined) return [first, Math.min(last, first + q.limit - 1)];
    return [Math.max(first, last - q.limit + 1), last];
  },

  /** A trade as `GET /api/v3/trades` lists it. */
  trade(t: MarketTick): Record<string, unknown> {
    return {
      id: t.id,
      price: num8(t.price),
      qty: num8(t.qty),
      quoteQty: num8(t.price * t.qty),
      time: t.ts,
      isBuyerMaker: t.isBuyerMaker,
      isBestMatch: true,
    };
  },

  /** A trade as `GET /api/v3/aggTrades` lists it (one trade per aggregate). */
  aggTrade(t: MarketTick): Record<string, unknown> {
    return {
      a: t.id,
      p: num8(t.price),
      q: num8(t.qty),
      f: t.id,
      l: t.id,
      T: t.ts,
      m: t.isBuyerMaker,
      M: true,
    };
  },

  /** The WebSocket `trade` event. */
  tradeEvent(symbol: string, t: MarketTick, eventTime: number): Record<string, unknown> {
    return {
      e: 'trade',
      E: eventTime,
      s: symbol,
      t: t.id,
      p: num8(t.price),
      q: num8(t.qty),
      T: t.ts,
      m: t.isBuyerMaker,
      M: true,
    };
  },

  /**
   * The WebSocket `<symbol>@bookTicker` update (Binance's payload has no event type or time):
   * `u` the update id (the trade's id: one update per replayed trade), best bid and ask at the
   * trade's price with its size, as `GET ticker/bookTicker` answers (no order book here).
   */
  bookTickerEvent(symbol: string, t: MarketTick): Record<string, unknown> {
    const price = num8(t.price);
    const qty = num8(t.qty);
    return { u: t.id, s: symbol, b: price, B: qty, a: price, A: qty };
  },

  /** The WebSocket `aggTrade` event. */
  aggTradeEvent(symbol: string, t: MarketTick, eventTime: number): Record<string, unknown> {
    return { e: 'aggTrade', E: eventTime, s: symbol, ...MarketViews.aggTrade(t) };
  },

  /** `GET /api/v3/ticker/24hr` for the symbol, over the bars of the last 24 hours. */
  ticker24h(m: ReplayMarket, symbol: string): Record<string, unknown> {
    const now = m.now();
    const v = lastDay(m);
    if (!v) {
      const zero = num8(0);
      return {
        symbol,
        priceChange: zero,
        priceChangePercent: '0.000',
        weightedAvgPrice: zero,
        prevClosePrice: zero,
        lastPrice: zero,
        lastQty: zero,
        bidPrice: zero,
        bidQty: zero,
        askPrice: zero,
        askQty: zero,
        openPrice: zero,
        highPrice: zero,
        lowPrice: zero,
        volume: zero,
        quoteVolume: zero,
        openTime: now - DAY,
        closeTime: now,
        firstId: -1,
        lastId: -1,
        count: 0,
      };
    }
    const last = m.tick(m.revealedTrades);
    const prevClose = v.index > 0 ? m.bar(v.index - 1).close : v.open;
    const change = v.close - v.open;
    return {
      symbol,
      priceChange: num8(change),
      priceChangePercent: v.open === 0 ? '0.000' : ((change / v.open) * 100).toFixed(3),
      weightedAvgPrice: num8(v.volume > 0 ? v.quoteVolume / v.volume : v.close),
      prevClosePrice: num8(prevClose),
      lastPrice: num8(v.close),
      lastQty: num8(last.qty),
      bidPrice: num8(v.close),
      bidQty: num8(last.qty),
      askPrice: num8(v.close),
      askQty: num8(last.qty),
      openPrice: num8(v.open),
      highPrice: num8(v.high),
      lowPrice: num8(v.low),
      volume: num8(v.volume),
      quoteVolume: num8(v.quoteVolume),
      openTime: v.openTime,
      closeTime: now,
      firstId: v.firstId,
      lastId: v.lastId,
      count: v.trades,
    };
  },

  /** The WebSocket `24hrMiniTicker` event. */
  miniTickerEvent(m: ReplayMarket, symbol: string, eventTime: number): Record<string, unknown> {
    const t = MarketViews.ticker24h(m, symbol);
    return {
      e: '24hrMiniTicker',
      E: eventTime,
      s: symbol,
      c: t.lastPrice,
      o: t.openPrice,
      h: t.highPrice,
      l: t.lowPrice,
      v: t.volume,
      q: t.quoteVolume,
    };
  },

  /** The WebSocket `24hrTicker` event. */
  tickerEvent(m: ReplayMarket, symbol: string, eventTime: number): Record<string, unknown> {
    const t = MarketViews.ticker24h(m, symbol);
    return {
      e: '24hrTicker',
      E: eventTime,
      s: symbol,
      p: t.priceChange,
      P: t.priceChangePercent,
      w: t.weightedAvgPrice,
      x: t.prevClosePrice,
      c: t.lastPrice,
      Q: t.lastQty,
      b: t.bidPrice,
      B: t.bidQty,
      a: t.askPrice,
      A: t.askQty,
      o: t.openPrice,
      h: t.highPrice,
      l: t.lowPrice,
      v: t.volume,
      q: t.quoteVolume,
      O: t.openTime,
      C: t.closeTime,
      F: t.firstId,
      L: t.lastId,
      n: t.count,
    };
  },
};
