import { KairosError } from '../trading/core/errors.js';
import type { Bar } from '../trading/data/market-data.js';
import type { Alert } from '../trading/model/alert.js';
import type { Instrument } from '../trading/model/instrument.js';
import { CcxtMarketData } from '../trading/venues/ccxt/ccxt-market-data.js';
import {
  createExchange,
  type BuiltExchange,
  type ExchangeConfig,
} from '../trading/venues/ccxt/exchange-factory.js';
import { Markets } from '../trading/venues/ccxt/markets.js';
import { barFromOhlcv, timeframeMs } from '../trading/venues/ccxt/ohlcv-pages.js';
import { venueBudget } from './venue-budget.js';

/** A venue `kairos serve` offers (`--venue`, `KAIROS_VENUES`). */
export interface VenueSetting {
  /** A ccxt exchange id, e.g. `binance`. */
  readonly id: string;
  /** Another REST + WebSocket base URL (`--exchange-url`, `EXCHANGE_URL`): a simulator, a sandbox. */
  readonly url?: string;
  /** The symbols traded there (default: every market it lists, when at most `MAX_SYMBOLS`). */
  readonly symbols?: readonly string[];
}

/** A live account's own connection: REST for orders and queries, WebSocket for its fills. */
export interface PrivateConnection {
  readonly rest: BuiltExchange;
  readonly stream: BuiltExchange['exchange'];
  close(): Promise<void>;
}

/** How many markets a venue may list for `kairos serve` to take them all without `symbols`. */
const MAX_SYMBOLS = 20;

interface OpenVenue {
  readonly setting: VenueSetting;
  readonly markets: Markets;
  readonly instruments: readonly Instrument[];
  readonly public: BuiltExchange;
  readonly feeds: Map<string, { feed: CcxtMarketData; listeners: Set<(bar: Bar) => void> }>;
}

/**
 * The ccxt venues of `kairos serve` (`docs/decisions/accounts.md`, "Live accounts"): per venue one
 * public connection shared by every account (markets, refreshed hourly; bars of each symbol an
 * account trades, subscribed at the first listener), and per live account a private connection
 * with its own key and its own request budget (`connect`).
 *
 * @example
 * const venues = await ServerVenues.open([{ id: 'binance', url: sim.url }], on);
 * const conn = await venues.connect('binance', { apiKey, secret }, 'credential-id');
 */
export class ServerVenues {
  readonly #venues = new Map<string, OpenVenue>();
  /** Feeds released by their last listener, still stopping. */
  readonly #stopping = new Set<Promise<void>>();

  private constructor(
    private readonly on: { alert: (a: Alert) => void; log: (line: string) => void },
  ) {}

  /** Connects to every venue and loads its markets (a venue that cannot be reached: the error). */
  static async open(
    settings: readonly VenueSetting[],
    on: { alert: (a: Alert) => void; log: (line: string) => void },
  ): Promise<ServerVenues> {
    const venues = new ServerVenues(on);
    try {
      for (const s of settings) {
        if (venues.#venues.has(s.id))
          throw new KairosError('CONFIG_INVALID', `--venue: ${s.id} is given twice`);
        const pub = await createExchange(venues.#config(s, {}, `${s.id}:public`));
        const markets = new Markets(pub.exchange);
        venues.#venues.set(s.id, {
          setting: s,
          markets,
          instruments: [],
          public: pub,
          feeds: new Map(),
        });
        await markets.load();
        venues.#venues.set(s.id, {
          ...venues.#venues.get(s.id)!,
          instruments: pick(s, markets),
        });
        markets.startRefresh(3_600_000, (e) =>
          on.log(`${s.id}: markets refresh failed: ${(e as Error).message}`),
        );
      }
    } catch (e) {
      await venues.close();
      throw e;
    }
    return venues;
  }

  /** The venues' ids, as configured. */
  names(): string[] {
    return [...this.#venues.keys()];
  }

  has(venue: string): boolean {
    return this.#venues.has(venue);
  }

  /** The instruments traded on a venue (`VENUE_NOT_CONFIGURED` when the server has none such). */
  instruments(venue: string): readonly Instrument[] {
    return this.#venue(venue).instruments;
  }

  /** A private connection with `secrets`, and its own request budget (keyed by `budgetKey`). */
  async connect(
    venue: string,
    secrets: { apiKey: string; secret: string; passphrase?: string },
    budgetKey: string,
  ): Promise<PrivateConnection> {
    const s = this.#venue(venue).setting;
    const keys = {
      apiKey: secrets.apiKey,
      secret: secrets.secret,
      ...(secrets.passphrase === undefined ? {} : { password: secrets.passphrase }),
    };
    const rest = await createExchange(this.#config(s, keys, budgetKey));
    const { exchange: stream } = await createExchange({
      ...this.#config(s, keys, budgetKey),
      pro: true,
    });
    return {
      rest,
      stream,
      close: async () => {
        await stream.close();
        await rest.exchange.close();
      },
    };
  }

  /** Closed bars of `symbol` on `venue` to `listener` from now on; answers the unsubscribe. */
  async watchBars(
    venue: string,
    symbol: string,
    listener: (bar: Bar) => void,
  ): Promise<() => void> {
    const v = this.#venue(venue);
    let entry = v.feeds.get(symbol);
    if (!entry) {
      const { exchange } = await createExchange({
        ...this.#config(v.setting, {}, `${venue}:public`),
        pro: true,
      });
      const listeners = new Set<(bar: Bar) => void>();
      const feed = new CcxtMarketData({
        exchange,
        symbol,
        timeframe: '1m',
        onBars: (bars) => {
          for (const bar of bars) for (const l of listeners) l(bar);
        },
        onLog: (line) => this.on.log(`${venue} ${symbol}: ${line}`),
      });
      entry = { feed, listeners };
      v.feeds.set(symbol, entry);
      entry.listeners.add(listener);
      await feed.start();
    } else entry.listeners.add(listener);
    const e = entry;
    return () => {
      e.listeners.delete(listener);
      if (e.listeners.size === 0 && v.feeds.get(symbol) === e) {
        v.feeds.delete(symbol);
        const stop = e.feed.stop().catch(() => undefined);
        this.#stopping.add(stop);
        void stop.finally(() => this.#stopping.delete(stop));
      }
    };
  }

  /**
   * The last `limit` closed 1m bars of `symbol` on `venue` (public REST, `fetchOHLCV`), oldest
   * first: any symbol the venue lists (`UNKNOWN_INSTRUMENT`, naming it, for one it does not).
   */
  async recentBars(venue: string, symbol: string, limit: number): Promise<Bar[]> {
    const v = this.#venue(venue);
    if (!v.markets.all().some((i) => i.id === symbol))
      throw new KairosError(
        'UNKNOWN_INSTRUMENT',
        `instrumentId: ${venue} lists no market "${symbol}" (e.g. ${v.instruments
          .slice(0, 5)
          .map((i) => i.id)
          .join(', ')})`,
      );
    const ex = v.public.exchange;
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

  /** Whether `symbol`'s bars on `venue` are subscribed now (some account or strategy needs them). */
  watching(venue: string, symbol: string): boolean {
    return this.#venues.get(venue)?.feeds.has(symbol) ?? false;
  }

  async close(): Promise<void> {
    for (const v of this.#venues.values()) {
      v.markets.stop();
      for (const { feed } of v.feeds.values()) await feed.stop();
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

  #config(
    s: VenueSetting,
    keys: Pick<ExchangeConfig, 'apiKey' | 'secret' | 'password'>,
    budgetKey: string,
  ): ExchangeConfig {
    return {
      exchangeId: s.id,
      ...keys,
      ...(s.url === undefined ? {} : { exchangeUrl: s.url }),
      budget: venueBudget(null, this.on, budgetKey),
    };
  }
}

/** `VENUE_NOT_CONFIGURED`, naming the venue asked for and the ones the server has. */
export function venueNotConfigured(venue: string, have: readonly string[]): KairosError {
  return new KairosError(
    'VENUE_NOT_CONFIGURED',
    `venue: this server has no venue "${venue}" (it has: ${have.length === 0 ? 'none; start it with --venue' : have.join(', ')})`,
  );
}

function pick(s: VenueSetting, markets: Markets): readonly Instrument[] {
  if (s.symbols !== undefined) return s.symbols.map((sym) => markets.instrument(sym));
  const all = markets.all();
  if (all.length > MAX_SYMBOLS)
    throw new KairosError(
      'CONFIG_INVALID',
      `--venue ${s.id}: it lists ${all.length} markets; name the ones to trade with --venue-symbol (at most ${MAX_SYMBOLS} are taken without it)`,
    );
  return all;
}
