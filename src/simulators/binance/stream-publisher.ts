import { KLINE_INTERVALS, MarketViews } from './market-views.js';
import type { MarketEvent, ReplayMarket } from './market.js';
import type { StreamHub } from './ws-streams.js';

const PLAIN = ['trade', 'aggTrade', 'miniTicker', 'ticker', 'bookTicker'] as const;

/**
 * True for the stream names the venue serves: `<symbol>@trade`, `@aggTrade`, `@miniTicker`,
 * `@ticker`, `@bookTicker` and `@kline_<interval>` for intervals that are multiples of the replayed bar.
 *
 * @example
 * streamExists('btcusdt@kline_5m', 'BTCUSDT', 60_000); // true
 */
export function streamExists(stream: string, symbol: string, baseMs: number): boolean {
  const prefix = `${symbol.toLowerCase()}@`;
  if (!stream.startsWith(prefix)) return false;
  const name = stream.slice(prefix.length);
  if ((PLAIN as readonly string[]).includes(name)) return true;
  const ms = name.startsWith('kline_') ? KLINE_INTERVALS[name.slice(6)] : undefined;
  return ms !== undefined && ms >= baseMs && ms % baseMs === 0;
}

/**
 * Publishes a replay event on the public streams that someone listens to: a trade goes to
 * `@trade`, `@aggTrade`, `@bookTicker`, the open `@kline_*` and the tickers; a bar close sends each `@kline_*`
 * whose interval it ends with `x: true`.
 */
export function publishMarketEvent(
  hub: StreamHub,
  market: ReplayMarket,
  symbol: string,
  e: MarketEvent,
): void {
  const s = symbol.toLowerCase();
  const now = market.now();
  const index = e.kind === 'trade' ? e.tick.barIndex : e.barIndex;
  if (e.kind === 'trade') {
    hub.publish(`${s}@trade`, MarketViews.tradeEvent(symbol, e.tick, now));
    if (hub.wanted(`${s}@aggTrade`))
      hub.publish(`${s}@aggTrade`, MarketViews.aggTradeEvent(symbol, e.tick, now));
    if (hub.wanted(`${s}@miniTicker`))
      hub.publish(`${s}@miniTicker`, MarketViews.miniTickerEvent(market, symbol, now));
    if (hub.wanted(`${s}@ticker`))
      hub.publish(`${s}@ticker`, MarketViews.tickerEvent(market, symbol, now));
    if (hub.wanted(`${s}@bookTicker`))
      hub.publish(`${s}@bookTicker`, MarketViews.bookTickerEvent(symbol, e.tick));
  }
  for (const stream of hub.streams()) {
    if (!stream.startsWith(`${s}@kline_`)) continue;
    const name = stream.slice(s.length + 7);
    const ms = KLINE_INTERVALS[name]!;
    const closed = e.kind === 'close' && MarketViews.endsPeriod(market, index, ms);
    if (e.kind === 'close' && !closed) continue;
    hub.publish(stream, MarketViews.klineEvent(market, symbol, name, ms, index, closed, now));
  }
}
