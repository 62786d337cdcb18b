import type { Exchange, Trade } from 'ccxt';
import { tradeCursor } from './trade-cursors.js';

const DAY = 86_400_000;

const byId = (a: Trade, b: Trade) => {
  const x = Number(a.id);
  const y = Number(b.id);
  return Number.isFinite(x) && Number.isFinite(y)
    ? x - y
    : String(a.id).localeCompare(String(b.id));
};

/** What {@link myTradesSince} reads: one market's own trades from `from`, or one order's. */
export interface MyTradesQuery {
  readonly exchange: Exchange;
  readonly symbol: string;
  readonly from: number;
  /** Our clock: the time windows reach a minute past it. */
  readonly now: number;
  /** Every request goes through this (the venue policy's read). */
  readonly read: <T>(call: () => Promise<T>) => Promise<T>;
  /** Trades asked per request, at most the venue's own bound (default 1,000). */
  readonly pageSize?: number;
  /** Trades stamped up to this far past our clock are found by the time windows alone (6 h). */
  readonly aheadMs?: number;
  /** Told of a stamp with a full page of trades, paging by time: more there cannot be asked for. */
  readonly onHidden?: (ts: number) => void;
  /** Only this order's trades (its venue order id). */
  readonly order?: string;
}

/**
 * Our own trades in one market since `from`, oldest first, each once, with no upper bound set by
 * our clock: a venue whose trade stamps run ahead of its own clock (or of ours) hides nothing.
 *
 * It asks day-long windows (Binance answers at most 24 hours per request) from `from` up to our
 * clock (+1 min) until one has a trade; from that trade on it pages by trade id (`fromId`, on
 * Binance; by time elsewhere, from each page's newest stamp, and down the range of every full
 * page, as OKX and Bybit answer the newest of a range first: by the venue's cursor where it has
 * one, `trade-cursors.ts`, so a millisecond with more trades than a page hides none) until a page
 * comes back short of the venue's own bound (ccxt's `features`; with none stated, until a page
 * brings nothing new). With no trade in the windows it asks
 * for the newest trades (a venue clock ahead of ours); when that page is full, the windows go on
 * up to its oldest trade, so none between is missed. The follow-up is skipped when the last
 * window already reaches `aheadMs` (6 h) past our clock and came back short: then one request
 * when nothing is new, as a reconciliation asks every minute.
 *
 * With `order` (a venue order id), only that order's trades, paged the same way: each request
 * asks for that order's (ccxt's `fetchOrderTrades`: OKX `ordId`, Binance `orderId`); on Binance,
 * which takes an order's trades by trade id only (no time range), from its first trade on. A
 * venue without `fetchOrderTrades` has all trades since `from` read and the order's kept.
 *
 * @example
 * const trades = await myTradesSince({ exchange, symbol: 'BTC/USDT', from: since, now: Date.now(), read: policy.read });
 */
export async function myTradesSince(options: MyTradesQuery): Promise<Trade[]> {
  const { exchange, symbol, from, now, read, onHidden, order } = options;
  const pageSize = options.pageSize ?? 1000;
  const aheadMs = options.aheadMs ?? 6 * 3_600_000;
  // The venue's own page bound (ccxt's `features`: 100 on OKX and Bybit, 1,000 on Binance): a
  // page that long may be cut. With no bound known, any page may be cut, so paging goes on
  // until a page brings nothing new (one request more).
  const cap = venuePageLimit(exchange);
  const size = cap === undefined ? pageSize : Math.min(pageSize, cap);
  const full = (page: readonly Trade[]) =>
    cap === undefined ? page.length > 0 : page.length >= size;
  const out: Trade[] = [];
  const seen = new Set<string>();
  const add = (page: readonly Trade[]): number => {
    let fresh = 0;
    for (const t of page) {
      const id = String(t.id);
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(t);
      fresh++;
    }
    return fresh;
  };
  const byTradeId = exchange.id.startsWith('binance');
  const pageAfter = tradeCursor(exchange);
  const ofOrder = order !== undefined && exchange.has.fetchOrderTrades === true;
  const fetchPage = (since: number | undefined, params: Record<string, unknown> = {}) =>
    ofOrder
      ? exchange.fetchOrderTrades(order, symbol, since, size, params)
      : exchange.fetchMyTrades(symbol, since, size, params);
  const newestOf = (page: readonly Trade[]) =>
    page.reduce<Trade | undefined>(
      (a, t) => (a === undefined || (t.timestamp ?? 0) > (a.timestamp ?? 0) ? t : a),
      undefined,
    );
  // Where paging goes on from: by trade id on Binance, else the newest stamp.
  const cursorOf = (page: readonly Trade[]) =>
    byTradeId ? [...page].sort(byId).at(-1) : newestOf(page);
  const stamp = (t: Trade) => t.timestamp ?? 0;
  const hidden = new Set<number>();
  const hide = (ts: number) => {
    if (!hidden.has(ts)) onHidden?.(ts);
    hidden.add(ts);
  };
  // A full page may hold only the newest of its range (OKX and Bybit answer newest first): the
  // rest of the range is asked for. By the venue's cursor where it has one (OKX's `after` bill id,
  // Bybit's `cursor`), with the request's own bounds, until a page is short: any number of trades
  // of one millisecond is read, and true is answered (the range read to its end).
  // Else (or from a page naming no cursor, or a cursor the venue did not move) by time: [lo, the
  // oldest stamp], page by page, until one is short. The range ends at the oldest stamp itself,
  // so trades sharing its millisecond are not missed; a page all at that stamp and seen already
  // steps below it (when full, more of that stamp may be hidden: `onHidden`). A venue answering
  // oldest first gives a page seen already that reaches back to `lo` (one request more).
  const back = async (lo: number, first: readonly Trade[], bound = {}): Promise<boolean> => {
    let page = first;
    for (let asked = ''; full(page);) {
      const next = pageAfter?.(page);
      if (next === null) return true; // the venue names no more pages
      if (next === undefined) break;
      const params = { ...bound, ...next };
      if (JSON.stringify(params) === asked) break; // a cursor the venue did not move
      asked = JSON.stringify(params);
      page = await read(() => fetchPage(lo, params));
      add(page);
    }
    if (!full(page)) return page !== first;
    for (let top = Math.min(...page.map(stamp)); top >= lo;) {
      const until = top;
      const p = await read(() => fetchPage(lo, { until }));
      const fresh = add(p);
      if (!full(p)) return false;
      if (fresh > 0) top = Math.min(...p.map(stamp));
      else if (p.every((t) => stamp(t) === top)) {
        if (p.length >= size) hide(top);
        top -= 1;
      } else return false;
    }
    return false;
  };
  // After `last`, with no time bound: by trade id on Binance, by time elsewhere; page by page.
  const after = async (last: Trade) => {
    let complete = false;
    for (let cursor = last; ;) {
      const id = Number(cursor.id);
      const byIdNow = byTradeId && Number.isSafeInteger(id);
      const at = cursor.timestamp ?? 0;
      const page = await read(() =>
        byIdNow ? fetchPage(undefined, { fromId: id + 1 }) : fetchPage(at),
      );
      const fresh = add(page);
      if (!full(page)) return;
      // After a range read to its end by the venue's cursor, a page with nothing new ends it.
      if (!byIdNow && complete && fresh === 0) return;
      if (!byIdNow) complete = await back(at, page);
      if (byIdNow) {
        if (fresh === 0) return;
        cursor = cursorOf(page)!;
        continue;
      }
      // By time the next page starts at this page's newest stamp (trade ids need not follow
      // time). A page all at the cursor's stamp and seen already is all a `since` shows of that
      // stamp: the paging steps past it, so no later trade is missed; when that page was as long
      // as asked, more trades of that stamp may be hidden, and `onHidden` is told.
      const newest = newestOf(page)!;
      const top = newest.timestamp ?? 0;
      if (top < at) return; // a venue that does not page by time: nothing more to ask
      if (top > at) cursor = newest;
      else if (fresh === 0 || complete) {
        if (page.length >= size && !complete) hide(at);
        cursor = { ...cursor, timestamp: at + 1 };
      }
    }
  };
  const end = Math.max(now, from) + 60_000;
  let since = from;
  let first: Trade | undefined;
  // Day windows from `since` while none has a trade, up to the window holding `until`.
  const windows = async (until: number) => {
    for (; since <= until && !first; since += DAY) {
      const page = await read(() => fetchPage(since, { until: since + DAY - 1 }));
      add(page);
      if (!byTradeId) await back(since, page, { until: since + DAY - 1 });
      first = cursorOf(page);
    }
  };
  if (ofOrder && byTradeId) {
    // An order's trades by trade id from its first (Binance: `orderId` with `fromId`, no times).
    await after({ id: '-1', timestamp: from } as Trade);
    return sorted(out);
  }
  await windows(end);
  if (first) {
    // Everything after the first window with trades, whatever its stamp; not needed when that
    // window was the last, came back short and reaches `aheadMs` past our clock.
    const complete =
      since > end && out.length < size && cap !== undefined && since - 1 >= now + aheadMs;
    if (!complete) await after(first);
  } else if (since - 1 < now + aheadMs) {
    // None up to our clock: the newest trades, in case the venue's clock runs ahead. A full page
    // of them may start after trades our windows have not reached: the windows go on up to it.
    const newest = await read(() => fetchPage(undefined));
    if (full(newest)) {
      await windows(Math.min(...newest.map((t) => t.timestamp ?? 0)));
      if (first) await after(first);
    }
    if (!first) {
      const newer = newest.filter((t) => (t.timestamp ?? 0) >= from);
      add(newer);
      const last = cursorOf(newer);
      if (last && full(newest)) await after(last);
    }
  }
  return sorted(
    order === undefined || ofOrder ? out : out.filter((t) => String(t.order) === order),
  );
}

/** The most trades the venue answers in one `fetchMyTrades` (ccxt's `features`), if it says. */
function venuePageLimit(exchange: Exchange): number | undefined {
  const features = (exchange as { features?: { spot?: { fetchMyTrades?: { limit?: unknown } } } })
    .features;
  const limit = features?.spot?.fetchMyTrades?.limit;
  return typeof limit === 'number' && Number.isSafeInteger(limit) && limit > 0 ? limit : undefined;
}

function sorted(trades: Trade[]): Trade[] {
  return trades.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0) || byId(a, b));
}
