import type { Exchange, Trade } from 'ccxt';

const DAY = 86_400_000;

/**
 * Our own trades in one market from `from` to `now`, oldest first, each once: one `fetchMyTrades`
 * per day-long window (Binance answers at most 24 hours per request), paging inside a window
 * while pages come back full.
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
  let since = from;
  // A minute past our clock, for trades stamped by a venue clock slightly ahead.
  while (since <= now + 60_000) {
    const until = since + DAY - 1;
    const page = await read(() => exchange.fetchMyTrades(symbol, since, pageSize, { until }));
    for (const t of page) {
      const id = String(t.id);
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(t);
    }
    const last = page.at(-1)?.timestamp;
    since = page.length >= pageSize && typeof last === 'number' && last > since ? last : until + 1;
  }
  return out.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
}
