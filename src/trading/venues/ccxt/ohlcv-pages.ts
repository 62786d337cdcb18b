import type { Exchange, OHLCV } from 'ccxt';
import { KairosError } from '../../core/errors.js';
import type { Bar } from '../../data/market-data.js';

/** Where and how to page through a venue's candles. */
export interface OhlcvPageOptions {
  readonly symbol: string;
  readonly timeframe: string;
  /** First open time wanted, ms (inclusive). */
  readonly since: number;
  /** End, ms (exclusive; default: now). */
  readonly until?: number;
  /** Candles per request (default 1000; venues cap it, Binance at 1000). */
  readonly limit?: number;
  /** Venue time now, ms: a candle is closed once `openTime + interval <= now`. */
  readonly now: () => number;
  /** Runs each request; pass a venue policy's `read` to retry transient failures. */
  readonly read?: <T>(call: () => Promise<T>) => Promise<T>;
}

/**
 * The interval of a ccxt timeframe in ms (`1m` → 60 000); `USAGE` when ccxt cannot read it.
 *
 * @example
 * timeframeMs(exchange, '1h'); // 3_600_000
 */
export function timeframeMs(exchange: Exchange, timeframe: string): number {
  let seconds: number;
  try {
    seconds = exchange.parseTimeframe(timeframe);
  } catch {
    seconds = NaN;
  }
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new KairosError(
      'USAGE',
      `--timeframe: must be a timeframe like 1m, 5m, 1h or 1d, was ${JSON.stringify(timeframe)}`,
    );
  const known = exchange.timeframes as Record<string, unknown> | undefined;
  if (known && Object.keys(known).length > 0 && !(timeframe in known))
    throw new KairosError(
      'USAGE',
      `--timeframe: ${exchange.id} offers ${Object.keys(known).join(', ')}; was ${JSON.stringify(timeframe)}`,
    );
  return seconds * 1000;
}

/**
 * A ccxt candle as a Bar; null for a row with a missing or non-finite value.
 *
 * @example
 * barFromOhlcv([1704067200000, 42000, 42100, 41900, 42050, 12.5], 'BTC/USDT', 60_000);
 */
export function barFromOhlcv(row: OHLCV, instrumentId: string, intervalMs: number): Bar | null {
  const [t, o, h, l, c, v] = row;
  const nums = [t, o, h, l, c, v];
  if (!nums.every((x) => typeof x === 'number' && Number.isFinite(x))) return null;
  return {
    instrumentId,
    openTime: t!,
    closeTime: t! + intervalMs,
    open: o!,
    high: h!,
    low: l!,
    close: c!,
    volume: v!,
  };
}

/**
 * Pages forward through a venue's candles with `fetchOHLCV`, yielding each page's **closed**
 * bars in order, each once. A bar is closed when a later one exists or its close time has
 * passed `now()`; the forming bar is never yielded. It ends at `until`, at the forming bar, or
 * when the venue has nothing after the last bar.
 *
 * @example
 * for await (const bars of ohlcvPages(exchange, { symbol: 'BTC/USDT', timeframe: '1m', since, now: Date.now })) save(bars);
 */
export async function* ohlcvPages(
  exchange: Exchange,
  options: OhlcvPageOptions,
): AsyncGenerator<Bar[]> {
  const interval = timeframeMs(exchange, options.timeframe);
  const read = options.read ?? ((call) => call());
  const limit = Math.max(2, options.limit ?? 1000);
  const until = options.until ?? Infinity;
  let since = options.since;
  while (since + interval <= until) {
    const rows = await read(() =>
      exchange.fetchOHLCV(options.symbol, options.timeframe, since, limit),
    );
    const page: Bar[] = [];
    for (const row of rows) {
      const bar = barFromOhlcv(row, options.symbol, interval);
      if (bar && bar.openTime >= since && bar.openTime > (page.at(-1)?.openTime ?? -Infinity))
        page.push(bar);
    }
    const now = options.now();
    const full = rows.length >= limit;
    const closed: Bar[] = [];
    let stop = page.length === 0;
    for (const [i, bar] of page.entries()) {
      if (bar.closeTime > until) {
        stop = true;
        break;
      }
      // The last bar of a page may be the forming one; of a full page, it is asked for again.
      if (i === page.length - 1 && bar.closeTime > now) {
        stop = !full;
        break;
      }
      closed.push(bar);
    }
    if (closed.length > 0) yield closed;
    if (stop || closed.length === 0) return;
    since = closed.at(-1)!.openTime + interval;
  }
}
