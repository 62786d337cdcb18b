/**
 * Market data as the engines see it. Market-data values are float64 (indicators need speed);
 * order prices and quantities become exact decimals when an order is made.
 */

/**
 * One OHLCV bar. `openTime` is inclusive, `closeTime` exclusive (`openTime + interval`), both
 * integer milliseconds since the epoch, UTC. A strategy receives a bar at its `closeTime`.
 *
 * @example
 * const bar: Bar = { instrumentId: 'BTC/USDT', openTime: 0, closeTime: 60_000,
 *   open: 100, high: 101, low: 99, close: 100.5, volume: 12 };
 */
export interface Bar {
  readonly instrumentId: string;
  readonly openTime: number;
  readonly closeTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** The side of the aggressor of a public trade, when the venue reports it. */
export type AggressorSide = 'BUY' | 'SELL' | 'NONE';

/**
 * One public trade tick. `ts` is integer milliseconds since the epoch, UTC.
 *
 * @example
 * const t: TradeTick = { instrumentId: 'XRP/ETH', ts: 1570752011620, tradeId: '13519807',
 *   price: 0.00141342, size: 23, aggressor: 'SELL' };
 */
export interface TradeTick {
  readonly instrumentId: string;
  readonly ts: number;
  readonly tradeId: string;
  readonly price: number;
  readonly size: number;
  readonly aggressor: AggressorSide;
}

/**
 * The top of an instrument's order book: best bid and ask with their sizes, `ts` in integer
 * milliseconds since the epoch, UTC (the venue's update time, else when it arrived). `update`:
 * the venue's update id when it gives one (names the update: the same update is the same top).
 *
 * @example
 * const top: BookTop = { instrumentId: 'BTC/USDT', ts: 1570752011620, bid: 100, bidSize: 1.5,
 *   ask: 100.1, askSize: 2, update: '400900217' };
 */
export interface BookTop {
  readonly instrumentId: string;
  readonly ts: number;
  readonly bid: number;
  readonly bidSize: number;
  readonly ask: number;
  readonly askSize: number;
  readonly update: string | null;
}

/** What a market feed carries: closed bars and public trades, in the order they happened. */
export type MarketEvent = Bar | TradeTick;

/**
 * True for a trade, false for a bar.
 *
 * @example
 * for (const e of batch) isTrade(e) ? kernel.onTrade(e) : kernel.onBar(e);
 */
export function isTrade(e: MarketEvent): e is TradeTick {
  return (e as TradeTick).tradeId !== undefined;
}
