import type { Exchange, Trade } from 'ccxt';

const DAY = 86_400_000;

const byId = (a: Trade, b: Trade) => {
  const x = Number(a.id);
  const y = Number(b.id);
  return Number.isFinite(x) && Number.isFinite(y)
    ? x - y
    : String(a.id).localeCompare(String(b.id));
};

/**
 * Our own trades in one market since `from`, oldest first, each once, with **no upper time
 * bound**: a venue whose trade stamps run ahead of its own clock (or of ours) hides nothing.
 *
 * It walks day-long windows (Binance answers at most 24 hours per request) from `from` up to our
 * clock + 1 min until it meets a trade; without one there, it asks for the newest trades. From
 * that trade on it pages by trade id (`fromId`, on Binance) or by time without an end (elsewhere)
 * until a page comes back short.
 *
 * @example
 * const trades = await myTradesSince(exchange, 'BTC/USDT', since, Date.now(), policy.read);
 */
export async function myTradesSince(
  exchange: Exchange,
  symbol: string,
  from: number,
  now: number,
  read: <T>(call: () => Promise<T>) => Promise<T>,
  pageSize = 1000,
): Promise<Trade[]> {
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
  let last: Trade | undefined;
  for (let since = from; since <= now + 60_000 && !last; since += DAY) {
    const page = await read(() =>
      exchange.fetchMyTrades(symbol, since, pageSize, { until: since + DAY - 1 }),
    );
    add(page);
    last = [...page].sort(byId).at(-1);
  }
  if (!last) {
    // Nothing stamped up to our clock: the newest trades, in case the venue's clock runs ahead.
    const newer = (await read(() => exchange.fetchMyTrades(symbol, undefined, pageSize))).filter(
      (t) => (t.timestamp ?? 0) >= from,
    );
    add(newer);
    last = newer.sort(byId).at(-1);
  }
  const byTradeId = exchange.id.startsWith('binance');
  while (last) {
    const after: Trade = last;
    const id = Number(after.id);
    const page = await read(() =>
      byTradeId && Number.isSafeInteger(id)
        ? exchange.fetchMyTrades(symbol, undefined, pageSize, { fromId: id + 1 })
        : exchange.fetchMyTrades(symbol, after.timestamp ?? from, pageSize),
    );
    const fresh = add(page);
    last = page.length >= pageSize && fresh > 0 ? [...page].sort(byId).at(-1) : undefined;
  }
  return out.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0) || byId(a, b));
}
