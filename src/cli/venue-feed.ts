import { connectRedis } from '../scalability/connections.js';
import { AsyncQueue } from '../system/async-queue.js';
import type { Config } from '../system/config.js';
import { venueBudget } from '../system/venue-budget.js';
import {
  openPrivateConnection,
  venueExchangeConfig,
  type PrivateConnection,
  type VenueKeys,
} from '../system/venue-connection.js';
import { venueSettings, type VenueSetting } from '../system/venue-settings.js';
import type { MarketEvent } from '../trading/data/market-data.js';
import type { Alert } from '../trading/model/alert.js';
import type { Instrument } from '../trading/model/instrument.js';
import { CcxtMarketData } from '../trading/venues/ccxt/ccxt-market-data.js';
import { ClockSkew } from '../trading/venues/ccxt/clock-skew.js';
import { createExchange, type BuiltExchange } from '../trading/venues/ccxt/exchange-factory.js';
import { Markets } from '../trading/venues/ccxt/markets.js';
import { timeframeMs } from '../trading/venues/ccxt/ohlcv-pages.js';
import { latestClosedBar, type LatestClosedBar } from '../trading/live/latest-closed-bar.js';
import { numberFlag } from './parse-flags.js';

/** The flags that choose a ccxt venue's market (`kairos live`, `kairos paper --exchange`). */
export interface VenueFeedFlags {
  exchange: string;
  symbol: string;
  timeframe: string;
  exchangeUrl?: string;
  warmup: string;
}

/** A venue's market, open: its REST exchange, the instrument and the live closed bars. */
export interface VenueFeed {
  /** The venue as the flags and `EXCHANGE_*` set it (as `kairos serve` reads its venues). */
  readonly setting: VenueSetting;
  readonly exchange: BuiltExchange['exchange'];
  /**
   * The key's private connection for orders and fills, as `kairos serve` opens a live account's
   * (`openPrivateConnection`): this feed's REST client and a stream, both in the venue's time.
   */
  connectPrivate(): Promise<PrivateConnection>;
  readonly instrument: Instrument;
  /** `listener` with the instrument's rules after each hourly markets refresh (a tick may change). */
  onInstrument(listener: (inst: Instrument) => void): void;
  /** The end of a venue ban (429/418) this process knows of. */
  readonly bannedUntil: () => number | undefined;
  /** Venue time at start: bars before it only warm the indicators. */
  readonly startedAt: number;
  /**
   * The venue's latest closed bar at start (its close time) and when the bar before it closed
   * (none: `Number.MIN_SAFE_INTEGER`); undefined when the venue shows no closed bar. A node that
   * died in that bar plays it again (`TradingNodeConfig.latestClosedBar`).
   */
  readonly latestClosedBar: LatestClosedBar | undefined;
  /**
   * The closed bars, from `warmup` bars before `startedAt`, in order, each once; with the
   * public trades too when asked (a strategy with `onTrade`), as they arrive.
   */
  readonly bars: AsyncQueue<readonly MarketEvent[]>;
  /**
   * Starts the bar feed (history over REST first, then live). With `tradesSince` (a restarted
   * node that plays again the bar it died in: `replayedTradesSince`), the public trades from
   * then on come too, each before its bar.
   */
  start(tradesSince?: number): Promise<void>;
  /** Ends the feed: `bars` drains and ends. */
  stop(): Promise<void>;
  /** Releases the exchange, the timers and Redis (after the node finished). */
  close(): Promise<void>;
}

/**
 * The venue `kairos live` and `kairos paper --exchange` trade on (`--exchange`, `--exchange-url`
 * over `EXCHANGE_URL`, `EXCHANGE_*`), read as `kairos serve` reads its venues.
 *
 * @example
 * feedVenueSetting(config, { exchange: 'binance' }); // { id: 'binance', … }
 */
export function feedVenueSetting(
  config: Pick<Config, 'exchange'>,
  flags: Pick<VenueFeedFlags, 'exchange' | 'exchangeUrl'>,
): VenueSetting {
  return venueSettings([flags.exchange], config.exchange, flags.exchangeUrl)[0]!;
}

/**
 * Opens one symbol of a ccxt venue as a market-data feed, the way `kairos live` and
 * `kairos paper --exchange` both trade on it: the venue's setting read and its clients built as
 * `kairos serve` does (`venue-settings.ts`, `venue-connection.ts`), one request budget per venue
 * (in Redis with `REDIS_URL`), the venue's markets (refreshed hourly) for the instrument, the
 * clock offset measured every minute, and `CcxtMarketData` pushing closed bars into a queue.
 */
export async function openVenueFeed(
  config: Config,
  flags: VenueFeedFlags,
  credentials: VenueKeys,
  on: { alert: (a: Alert) => void; log: (line: string) => void },
  options: { readonly trades?: boolean } = {},
): Promise<VenueFeed> {
  const warmup = numberFlag('--warmup', flags.warmup, { integer: true, max: 1000 });
  // One request budget per venue and key; shared through Redis by every process when configured.
  const redis = config.redisUrl ? await connectRedis(config.redisUrl) : null;
  const setting = feedVenueSetting(config, flags);
  const budget = venueBudget(redis, on, undefined, config.redisPrefix);
  const exchangeConfig = venueExchangeConfig(setting, credentials, budget);
  const built = await createExchange(exchangeConfig);
  const { exchange, gate } = built;
  const { exchange: feedExchange } = await createExchange({ ...exchangeConfig, pro: true });
  const markets = new Markets(exchange);
  let skew: ClockSkew | null = null;
  const close = async () => {
    markets.stop();
    skew?.stop();
    redis?.disconnect();
    await feedExchange.close();
    await exchange.close();
  };
  try {
    await markets.load();
    const instrument = markets.instrument(flags.symbol);
    // Venue rules change (ticks, lots, minimums): refreshed hourly; the clock offset every minute.
    markets.startRefresh(3_600_000, (e) =>
      on.log(`markets refresh failed: ${(e as Error).message}`),
    );
    const venueClock = (skew = new ClockSkew(exchange, { onWarn: on.log }));
    await skew.measure();
    skew.start(60_000, (e) => on.log(`clock skew check failed: ${(e as Error).message}`));
    // "Now" is the venue's: its server time, or its newest bar when its market runs ahead of
    // its server clock (a simulator replaying faster than real time). Bars closed by then are
    // history: they only warm the strategy, however long ago the venue was started.
    const serverTime = (await exchange.fetchTime()) ?? Date.now();
    // The newest candles: the last one still forming (when the venue has a candle for it yet),
    // the ones before it closed.
    const newest = await exchange.fetchOHLCV(flags.symbol, flags.timeframe, undefined, 3);
    const startedAt = Math.max(serverTime, Number(newest.at(-1)?.[0] ?? 0));
    const barMs = timeframeMs(exchange, flags.timeframe);
    const latest = latestClosedBar(
      newest.map((c) => Number(c[0])),
      barMs,
      startedAt,
    );
    const bars = new AsyncQueue<readonly MarketEvent[]>();
    const feed = new CcxtMarketData({
      exchange: feedExchange,
      symbol: flags.symbol,
      timeframe: flags.timeframe,
      since: startedAt - warmup * barMs,
      onBars: (b) => bars.push(b),
      ...(options.trades ? { onTrades: (t: readonly MarketEvent[]) => bars.push(t) } : {}),
      onLog: on.log,
    });
    return {
      setting,
      exchange,
      connectPrivate: () => openPrivateConnection(setting, credentials, budget, venueClock, built),
      bannedUntil: () => gate?.bannedUntil()?.untilMs,
      instrument,
      onInstrument: (listener) =>
        void markets.onRefresh((m) => {
          const now = m.find(flags.symbol);
          if (now) listener(now);
        }),
      startedAt,
      latestClosedBar: latest,
      bars,
      start: (tradesSince) => feed.start(tradesSince === undefined ? {} : { tradesSince }),
      stop: async () => {
        await feed.stop();
        bars.end();
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
