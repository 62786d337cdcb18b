import type { VenueMarketPort } from '../api/deps.js';
import { toDecimal } from '../trading/core/decimal.js';
import { KairosError } from '../trading/core/errors.js';
import type { Bar, BookTop, TradeTick } from '../trading/data/market-data.js';
import type { Alert } from '../trading/model/alert.js';
import type { Instrument } from '../trading/model/instrument.js';
import { CcxtBookTop } from '../trading/venues/ccxt/ccxt-book-top.js';
import { CcxtMarketData } from '../trading/venues/ccxt/ccxt-market-data.js';
import { ClockSkew, type SkewSample } from '../trading/venues/ccxt/clock-skew.js';
import {
  createExchange,
  type BuiltExchange,
  type ExchangeConfig,
} from '../trading/venues/ccxt/exchange-factory.js';
import { Markets } from '../trading/venues/ccxt/markets.js';
import { VenueRateLimitedError } from '../trading/venues/ccxt/request-gate.js';
import { barFromOhlcv, timeframeMs } from '../trading/venues/ccxt/ohlcv-pages.js';
import { BINANCE_ORDER_LIMIT, type OrderLimit } from './order-rate.js';
import { venueBudget, type BudgetStore } from './venue-budget.js';
import {
  openPrivateConnection,
  venueExchangeConfig,
  type PrivateConnection,
  type VenueSetting,
} from './venue-connection.js';

export type { PrivateConnection, VenueSetting } from './venue-connection.js';

/** How often the markets are loaded again (as `kairos live`), and the clock offset measured. */
const MARKETS_REFRESH_MS = 3_600_000;
const SKEW_EVERY_MS = 60_000;
/**
 * A venue whose markets could not be loaded (no answer, no ban end known): tried again after
 * the first wait, doubled each time, at most the last.
 */
const NOT_READY_RETRY_MS = [1_000, 30_000] as const;
/** Past a ban's end before the markets are asked again (clocks of processes differ a little). */
const BAN_END_MARGIN_MS = 100;

/** The market data of a symbol a venue streams: closed bars, public trades, the book's top. */
export type MarketKind = 'bars' | 'trades' | 'book';
/** What each kind of market data carries. */
export interface MarketItem {
  readonly bars: Bar;
  readonly trades: TradeTick;
  readonly book: BookTop;
}

/** One subscribed stream: its listeners, the last item it told, its stop. */
interface Feed {
  readonly listeners: Set<(item: never) => void>;
  last: unknown;
  stop: () => Promise<void>;
  /** Resolves once the stream has started (a failed start: its error). */
  started: Promise<void>;
}

interface OpenVenue {
  readonly setting: VenueSetting;
  /**
   * The venue's one request budget (its IP-wide scope, as `kairos live`'s): every connection to
   * it, public and each account's, takes weight from it; in Redis with `REDIS_URL`.
   */
  readonly budget: NonNullable<ExchangeConfig['budget']>;
  readonly markets: Markets;
  /** The venue's clock against ours; every connection to it is stamped in venue time. */
  readonly skew: ClockSkew;
  readonly public: BuiltExchange;
  /** Subscribed streams by `<kind>\n<symbol>`. */
  readonly feeds: Map<string, Feed>;
  /**
   * Not ready: its markets could not be loaded yet (a ban, no answer), why, until when a ban
   * known runs (ms; null: not known), and the next try; null once they are loaded.
   */
  down: {
    reason: string;
    until: number | null;
    waitMs: number;
    timer: NodeJS.Timeout | null;
  } | null;
  /**
   * The start-up under way (markets loaded again, then `#up`): one at a time, a second asker
   * (the timer's retry, `refreshMarkets`) waits for its outcome; null when none runs.
   */
  starting: Promise<void> | null;
}

/**
 * The ccxt venues of `kairos serve` (`docs/decisions/accounts.md`, "Live accounts"): per venue one
 * public connection shared by every account (markets, refreshed hourly as `kairos live` does and
 * told to `onMarkets`; the clock offset measured every minute; bars of each symbol an account,
 * strategy or client needs, subscribed at the first listener), and per live account a private
 * connection with its own key and the venue's clock offset (`connect`). Per venue one request
 * budget, the venue's per-IP weight, shared by all of them and, with `store.redis`, by every
 * process on the same Redis (`kairos live` too): `docs/venues.md`, "Request budgets in kairos
 * serve". The order-count limit is per account (`LiveAccounts.admitOrder`).
 *
 * @example
 * const venues = await ServerVenues.open([{ id: 'binance', url: sim.url }], on);
 * const conn = await venues.connect('binance', { apiKey, secret });
 */
export class ServerVenues {
  readonly #venues = new Map<string, OpenVenue>();
  /** Each venue's order-rate limit per account, as it advertises it (default: Binance's). */
  readonly #orderLimits = new Map<string, OrderLimit>();
  /** Feeds released by their last listener, still stopping. */
  readonly #stopping = new Set<Promise<void>>();
  readonly #refreshed = new Set<(venue: string) => void>();

  private constructor(
    private readonly on: { alert: (a: Alert) => void; log: (line: string) => void },
    private readonly store: BudgetStore,
  ) {}

  /**
   * Connects to every venue and loads its markets. A venue that does not answer, or bans us (its
   * own 429/418, or a ban another process recorded in the shared budget), does not stop the
   * server: it is not ready (`ensureReady`), and its markets are loaded again at the ban's end
   * (else after a backoff, 1 s doubled up to 30 s) until they are, then `onMarkets` is told.
   * `store`: where the venues' request budgets live (Redis when given, else this process).
   */
  static async open(
    settings: readonly VenueSetting[],
    on: { alert: (a: Alert) => void; log: (line: string) => void },
    store: BudgetStore = { redis: null },
  ): Promise<ServerVenues> {
    const venues = new ServerVenues(on, store);
    try {
      for (const s of settings) {
        if (venues.#venues.has(s.id))
          throw new KairosError('CONFIG_INVALID', `--venue: ${s.id} is given twice`);
        const budget = venues.#budget(s);
        const pub = await createExchange(venueExchangeConfig(s, {}, budget));
        const markets = new Markets(pub.exchange);
        const skew = new ClockSkew(pub.exchange, { onWarn: (m) => on.log(m) });
        const v: OpenVenue = {
          setting: s,
          budget,
          markets,
          skew,
          public: pub,
          feeds: new Map(),
          down: null,
          starting: null,
        };
        venues.#venues.set(s.id, v);
        try {
          await markets.load();
        } catch (e) {
          // A venue that does not answer (or bans us) at start does not stop the server: it is
          // not ready, and is brought up by itself once it answers (`#retry`).
          venues.#notReady(v, e);
          continue;
        }
        await venues.#up(v);
      }
    } catch (e) {
      await venues.close();
      throw e;
    }
    return venues;
  }

  /**
   * A venue whose markets are loaded: its `--venue-symbol` checked (`VENUE_SYMBOL_UNKNOWN`), the
   * hourly refresh and the clock offset started.
   */
  async #up(v: OpenVenue, late = false): Promise<void> {
    const { setting: s, markets, skew } = v;
    const { on } = this;
    // A restriction names markets the venue lists (VENUE_SYMBOL_UNKNOWN otherwise; loaded
    // after start, logged: its accounts trade the others).
    for (const sym of s.symbols ?? [])
      try {
        markets.instrument(sym);
      } catch (e) {
        if (!late) throw e;
        on.log(`${s.id}: --venue-symbol: ${(e as Error).message}`);
      }
    markets.onRefresh(() => this.#refreshed.forEach((l) => l(s.id)));
    markets.startRefresh(MARKETS_REFRESH_MS, (e) =>
      on.log(`${s.id}: markets refresh failed: ${(e as Error).message}`),
    );
    // As `kairos live`: measured at start, then every minute; a failure is logged, the
    // venue's answers still say when a timestamp is refused (VENUE_CLOCK_SKEW).
    await skew
      .measure()
      .catch((e: unknown) => on.log(`${s.id}: clock skew check failed: ${(e as Error).message}`));
    skew.start(SKEW_EVERY_MS, (e) =>
      on.log(`${s.id}: clock skew check failed: ${(e as Error).message}`),
    );
  }

  /**
   * Marks a venue whose markets could not be loaded not ready (`error`: why) and tries again:
   * at the end of the ban in force (the venue's 429/418, or one another process recorded in the
   * shared budget), else after a backoff.
   */
  #notReady(v: OpenVenue, error: unknown): void {
    const now = Date.now();
    const ban = v.public.gate?.bannedUntil();
    const until =
      ban && ban.untilMs > now
        ? ban.untilMs
        : error instanceof VenueRateLimitedError
          ? now + error.retryAfterMs
          : null;
    const waitMs = v.down
      ? Math.min(v.down.waitMs * 2, NOT_READY_RETRY_MS[1])
      : NOT_READY_RETRY_MS[0];
    const reason = (error as Error)?.message ?? String(error);
    const delay = until === null ? waitMs : until - now + BAN_END_MARGIN_MS;
    const timer = setTimeout(() => void this.#retry(v), delay);
    timer.unref?.();
    v.down = { reason, until, waitMs, timer };
    this.on.log(
      `${v.setting.id}: not ready, its markets could not be loaded (${reason}); ` +
        `tried again ${until === null ? `in ${Math.ceil(delay / 1000)} s` : `when the ban ends, ${new Date(until).toISOString()}`}`,
    );
  }

  /**
   * Loads a not-ready venue's markets again; loaded, it is up and `onMarkets` is told. One at a
   * time: asked while one runs, answers that one's outcome (the steps run, and the refresh
   * listener is registered, once).
   */
  #retry(v: OpenVenue): Promise<void> {
    if (v.starting) return v.starting;
    const run = this.#startUp(v).finally(() => {
      v.starting = null;
    });
    v.starting = run;
    return run;
  }

  async #startUp(v: OpenVenue): Promise<void> {
    if (!v.down || this.#venues.get(v.setting.id) !== v) return;
    if (v.down.timer) clearTimeout(v.down.timer);
    v.down.timer = null;
    try {
      // Loaded again, not `load`: ccxt keeps a failed load's promise and answers it again.
      await v.markets.refresh();
    } catch (e) {
      if (this.#venues.get(v.setting.id) === v) this.#notReady(v, e);
      return;
    }
    v.down = null;
    await this.#up(v, true);
    this.on.log(`${v.setting.id}: ready, its markets are loaded`);
    this.#refreshed.forEach((l) => l(v.setting.id));
  }

  /**
   * Throws why a venue takes no request yet (its markets could not be loaded at start): 503
   * `VENUE_RATE_LIMITED` with the time left of the ban in force (`retryAfterMs`, and
   * `retryAfterS` for the API's `Retry-After`), else `VENUE_UNAVAILABLE`. Nothing when it is ready.
   */
  ensureReady(venue: string): void {
    const down = this.#venue(venue).down;
    if (!down) return;
    const now = Date.now();
    const what = `${venue}: not ready yet, its markets could not be loaded at start (${down.reason})`;
    if (down.until !== null && down.until > now) {
      const err = new VenueRateLimitedError(
        `${what}; it is banned until ${new Date(down.until).toISOString()} and comes up by itself then`,
        down.until - now,
      );
      throw Object.assign(err, { retryAfterS: Math.ceil((down.until - now) / 1000) });
    }
    throw new KairosError('VENUE_UNAVAILABLE', `${what}; it is tried again until it answers`);
  }

  /** Whether a venue's markets are loaded (false: `ensureReady` says why). */
  ready(venue: string): boolean {
    return this.#venue(venue).down === null;
  }

  /** The venues' ids, as configured. */
  names(): string[] {
    return [...this.#venues.keys()];
  }

  has(venue: string): boolean {
    return this.#venues.has(venue);
  }

  /**
   * The instruments traded on a venue, with the rules of its last markets load: the
   * `--venue-symbol` ones, else every market it lists (`VENUE_NOT_CONFIGURED` when the server has
   * none such).
   */
  instruments(venue: string): readonly Instrument[] {
    const v = this.#venue(venue);
    const only = v.setting.symbols;
    if (only === undefined) return v.markets.all();
    return only.flatMap((sym) => v.markets.find(sym) ?? []);
  }

  /** Loads a venue's markets again now (the hourly refresh does it too), then tells `onMarkets`. */
  async refreshMarkets(venue: string): Promise<void> {
    const v = this.#venue(venue);
    if (v.down) {
      // Not ready: tried now (a ban in force refuses at once, nothing sent); a start-up under
      // way (the timer's) is waited for, not run twice.
      await this.#retry(v);
      this.ensureReady(venue);
      return;
    }
    await v.markets.refresh();
  }

  /** `listener` after each markets refresh of a venue (rules may have changed); answers the stop. */
  onMarkets(listener: (venue: string) => void): () => void {
    this.#refreshed.add(listener);
    return () => void this.#refreshed.delete(listener);
  }

  /** The last measurement of a venue's clock against ours (null: none succeeded yet). */
  clockSkew(venue: string): SkewSample | null {
    return this.#venue(venue).skew.last;
  }

  /** A venue's order-rate limit per account: what it advertises, else Binance's 50 per 10 s. */
  orderLimit(venue: string): OrderLimit {
    return this.#orderLimits.get(venue) ?? BINANCE_ORDER_LIMIT;
  }

  /**
   * A private connection with `secrets`, on the venue's one request budget, stamped in the venue's
   * time as the public connection measures it (`openPrivateConnection`, as `kairos live` builds
   * its own).
   */
  async connect(
    venue: string,
    secrets: { apiKey: string; secret: string; passphrase?: string },
  ): Promise<PrivateConnection> {
    this.ensureReady(venue);
    const v = this.#venue(venue);
    const keys = {
      apiKey: secrets.apiKey,
      secret: secrets.secret,
      ...(secrets.passphrase === undefined ? {} : { password: secrets.passphrase }),
    };
    return openPrivateConnection(v.setting, keys, v.budget, v.skew);
  }

  /** Closed bars of `symbol` on `venue` to `listener` from now on; answers the unsubscribe. */
  watchBars(venue: string, symbol: string, listener: (bar: Bar) => void): Promise<() => void> {
    return this.watch('bars', venue, symbol, listener);
  }

  /**
   * `kind` of `symbol` on `venue` to `listener` from now on; answers the unsubscribe. The
   * stream is subscribed at its first listener (one ccxt.pro connection per stream) and released
   * after its last: bars (`watchOHLCV`, gap-filled), trades (`watchTrades`, each once), the book's
   * top (`watchBidsAsks`, else `watchTicker`).
   */
  async watch<K extends MarketKind>(
    kind: K,
    venue: string,
    symbol: string,
    listener: (item: MarketItem[K]) => void,
  ): Promise<() => void> {
    this.ensureReady(venue);
    const v = this.#venue(venue);
    const key = `${kind}\n${symbol}`;
    let entry = v.feeds.get(key);
    if (!entry) {
      const { exchange } = await createExchange({
        ...venueExchangeConfig(v.setting, {}, v.budget),
        pro: true,
      });
      const listeners = new Set<(item: never) => void>();
      const tell = (item: unknown) => {
        feed.last = item;
        for (const l of listeners) (l as (i: unknown) => void)(item);
      };
      const onLog = (line: string) => this.on.log(`${venue} ${symbol}: ${line}`);
      let stop: () => Promise<void>;
      let started: Promise<void>;
      if (kind === 'book') {
        const book = new CcxtBookTop({ exchange, symbol, onTop: tell, onLog });
        book.start();
        stop = () => book.stop();
        started = Promise.resolve();
      } else {
        const md = new CcxtMarketData({
          exchange,
          symbol,
          timeframe: '1m',
          ...(kind === 'bars'
            ? { onBars: (bars: readonly Bar[]) => bars.forEach(tell) }
            : { onTrades: (trades: readonly TradeTick[]) => trades.forEach(tell) }),
          onLog,
        });
        stop = () => md.stop();
        started = md.start();
      }
      const feed: Feed = { listeners, last: null, stop, started };
      entry = feed;
      v.feeds.set(key, entry);
    }
    const e = entry;
    const off = listener as (item: never) => void;
    e.listeners.add(off);
    /** Removes the listener; the stream's last one stops it (answers the stop). */
    const release = (): Promise<void> | null => {
      e.listeners.delete(off);
      if (e.listeners.size > 0 || v.feeds.get(key) !== e) return null;
      v.feeds.delete(key);
      return e.stop().catch(() => undefined);
    };
    try {
      await e.started;
    } catch (err) {
      // A stream that failed to start: every listener waiting on it is removed, the last stops it.
      await release();
      throw err;
    }
    return () => {
      const stop = release();
      if (stop) {
        this.#stopping.add(stop);
        void stop.finally(() => this.#stopping.delete(stop));
      }
    };
  }

  /** The last item a subscribed stream told (null: not subscribed, or nothing yet). */
  last<K extends MarketKind>(kind: K, venue: string, symbol: string): MarketItem[K] | null {
    return (this.#venues.get(venue)?.feeds.get(`${kind}\n${symbol}`)?.last ?? null) as
      MarketItem[K] | null;
  }

  /**
   * Checks that `venue` is one of the server's and lists `symbol` (`VENUE_NOT_CONFIGURED`,
   * `UNKNOWN_INSTRUMENT`, each naming it; also for a symbol outside `--venue-symbol`); answers the
   * instrument with the rules of the last markets load.
   */
  instrument(venue: string, symbol: string): Instrument {
    this.ensureReady(venue);
    const v = this.#venue(venue);
    const only = v.setting.symbols;
    if (only !== undefined && !only.includes(symbol))
      throw new KairosError(
        'UNKNOWN_INSTRUMENT',
        `instrumentId: this server trades only ${only.join(', ')} on ${venue} (--venue-symbol), not "${symbol}"`,
      );
    const found = v.markets.find(symbol);
    if (!found)
      throw new KairosError(
        'UNKNOWN_INSTRUMENT',
        `instrumentId: ${venue} lists no market "${symbol}" (e.g. ${v.markets
          .all()
          .slice(0, 5)
          .map((i) => i.id)
          .join(', ')})`,
      );
    return found;
  }

  /**
   * The last `limit` closed 1m bars of `symbol` on `venue` (public REST, `fetchOHLCV`), oldest
   * first: any symbol the venue lists (`UNKNOWN_INSTRUMENT`, naming it, for one it does not).
   */
  async recentBars(venue: string, symbol: string, limit: number): Promise<Bar[]> {
    this.instrument(venue, symbol);
    const ex = this.#venue(venue).public.exchange;
    const interval = timeframeMs(ex, '1m');
    // One more than asked: the newest row is the bar still forming, unless its close has passed
    // (the venue's time, not ours, says what is closed: a simulator may run ahead of the clock).
    const rows = await ex.fetchOHLCV(symbol, '1m', undefined, limit + 1);
    const bars = rows
      .map((r) => barFromOhlcv(r, symbol, interval))
      .filter((b): b is Bar => b !== null);
    if (bars.length > 0 && bars.at(-1)!.closeTime > Date.now()) bars.pop();
    return bars.slice(-limit);
  }

  /** Whether `symbol`'s `kind` on `venue` is subscribed now (some account, strategy or client needs it). */
  watching(venue: string, symbol: string, kind: MarketKind = 'bars'): boolean {
    return this.#venues.get(venue)?.feeds.has(`${kind}\n${symbol}`) ?? false;
  }

  async close(): Promise<void> {
    for (const v of this.#venues.values()) {
      if (v.down?.timer) clearTimeout(v.down.timer);
      v.markets.stop();
      v.skew.stop();
      for (const feed of v.feeds.values()) await feed.stop();
      v.feeds.clear();
      await v.public.exchange.close();
    }
    this.#venues.clear();
    await Promise.all([...this.#stopping]);
  }

  #venue(venue: string): OpenVenue {
    const v = this.#venues.get(venue);
    if (!v) throw venueNotConfigured(venue, this.names());
    return v;
  }

  /** The venue's request budget: its IP-wide scope (the venue id), as `kairos live` takes it. */
  #budget(s: VenueSetting) {
    return venueBudget(
      this.store.redis,
      { ...this.on, orderLimit: (l) => this.#orderLimits.set(s.id, l) },
      undefined,
      this.store.prefix,
    );
  }
}

/** `VENUE_NOT_CONFIGURED`, naming the venue asked for and the ones the server has. */
export function venueNotConfigured(venue: string, have: readonly string[]): KairosError {
  return new KairosError(
    'VENUE_NOT_CONFIGURED',
    `venue: this server has no venue "${venue}" (it has: ${have.length === 0 ? 'none; start it with --venue' : have.join(', ')})`,
  );
}

/**
 * The API's view of the venues (`VenueMarketPort`): each venue's instruments with the last price
 * its subscribed streams saw, and the market streams of any symbol it lists (the WebSocket's
 * `<venue>:<symbol>` bars, trades and book).
 *
 * @example
 * buildApp({ ...ports, venueMarket: venueMarketPort(venues) });
 */
export function venueMarketPort(venues: ServerVenues): VenueMarketPort {
  const lastPrice = (venue: string, symbol: string) => {
    const price =
      venues.last('trades', venue, symbol)?.price ?? venues.last('bars', venue, symbol)?.close;
    return price === undefined ? null : toDecimal(String(price));
  };
  return {
    instruments: () =>
      venues.names().flatMap((venue) =>
        venues.instruments(venue).map((instrument) => ({
          venue,
          instrument,
          lastPrice: lastPrice(venue, instrument.id),
        })),
      ),
    check: (venue, symbol) => void venues.instrument(venue, symbol),
    watch: (kind, venue, symbol, fn) => venues.watch(kind, venue, symbol, fn),
    last: (kind, venue, symbol) => venues.last(kind, venue, symbol),
  };
}
