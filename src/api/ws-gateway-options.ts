import type { AccessClaims } from '../security/tokens/access-tokens.js';
import type { TokenService } from '../security/tokens/token-service.js';
import type { EventLog } from '../scalability/bus/event-log.js';
import type { MessageBus } from '../trading/bus/message-bus.js';
import type { Logger } from '../trading/core/logger.js';
import type { Metrics } from '../trading/core/metrics.js';
import type { Bar, BookTop, TradeTick } from '../trading/data/market-data.js';
import type { Instrument } from '../trading/model/instrument.js';
import type { Order } from '../trading/model/order.js';
import type { PortfolioSource } from './portfolio-views.js';
import type { RiskAccount, RiskChanges } from './risk-frames.js';
import type { StrategyOwners } from './strategy-owners.js';
import type { Channel, MarketChannel } from './ws-channels.js';
import type { SubscribeRetryPolicy } from './ws-subscribe-retries.js';

/** What each market channel carries. */
export interface MarketItems {
  readonly bars: Bar;
  readonly trades: TradeTick;
  readonly book: BookTop;
}

/**
 * The venues' market data (`kairos serve --venue`): any symbol a venue lists, each stream
 * subscribed at the venue while some client (or account, strategy) wants it.
 */
export interface VenueMarketStreams {
  /** Throws `VENUE_NOT_CONFIGURED` or `UNKNOWN_INSTRUMENT` (a `KairosError` naming it). */
  check(venue: string, symbol: string): void;
  /** `kind` of `symbol` on `venue` from now on (subscribed at the first); answers the release. */
  watch<K extends MarketChannel>(
    kind: K,
    venue: string,
    symbol: string,
    fn: (item: MarketItems[K]) => void,
  ): Promise<() => void>;
  /** The last item of a subscribed stream (a snapshot), null when none. */
  last<K extends MarketChannel>(kind: K, venue: string, symbol: string): MarketItems[K] | null;
}

/** What the WebSocket gateway uses. */
export interface WsGatewayOptions {
  readonly tokens: Pick<TokenService, 'verifyAccess'>;
  /** Where order events are published (`Topics.allOrderEvents`), every account's. */
  readonly events: Pick<MessageBus, 'subscribe'>;
  /** An order as the OMS holds it now. */
  order(clientOrderId: string): Order | undefined;
  /**
   * Resolves once the account's order events so far are committed to the store its routes read
   * (`OrderJournal.stored`); rejects if they were not. An order event's frames wait for it, so
   * no client hears of an event that `GET /orders` or `GET /fills` does not show yet. Undefined
   * (or absent): frames go at once.
   */
  stored?(accountId: string): Promise<void> | undefined;
  /**
   * The owner of an account: a user id, null for the shared account (its orders are their
   * placer's or their strategy's starter's), undefined for none known (only oversight sees it).
   */
  accountOwner(accountId: string): string | null | undefined;
  /** An account's ledger and prices (`positions`, `balances` channels). */
  portfolio(accountId: string): PortfolioSource | undefined;
  readonly instruments: readonly Instrument[];
  /** The instruments an account trades (its balance frames' quote currency; default `instruments`). */
  instrumentsOf?(accountId: string): readonly Instrument[];
  /** The venues' bars, trades and book tops (`<venue>:<symbol>` instruments); none: replay only. */
  readonly market?: VenueMarketStreams;
  /** The market feed's bars. */
  readonly bars: { subscribe(fn: (bar: Bar) => void): () => void };
  /** Who owns each strategy id's orders (a user's, or a strategy instance they started). */
  readonly owners: Pick<StrategyOwners, 'withOwner'>;
  /**
   * Where every frame is appended before any client gets it, and read back from (default: a
   * `MemoryEventLog`: this process only). With a shared log (Redis), a frame produced on one
   * instance reaches the clients of every instance, and a client resumes on any of them.
   */
  readonly log?: EventLog;
  /** The ids of the accounts a user sees (`AccountAccess.visible`): the channels followed for them. */
  visibleAccounts(claims: AccessClaims): readonly string[];
  /**
   * The account's state now, as its routes show it to this user, for a snapshot: open orders
   * (`orders`), positions, balances; bars: the instrument's last bar.
   */
  snapshot(claims: AccessClaims, kind: Channel, key: string): Promise<readonly unknown[]>;
  /**
   * The risk changes made on this instance (`risk` channel): each is appended, for every account
   * it applies to, before the change's answer; those of other instances come through the log.
   * None: the channel carries snapshots only.
   */
  readonly riskChanges?: RiskChanges;
  /** Every account (a global risk change applies to each); default none. */
  allAccounts?(): readonly RiskAccount[];
  /** Wall-clock ms. */
  readonly now: () => number;
  /** Where handler bugs are logged (component `ws`). */
  readonly logger?: Logger;
  /**
   * The most WebSocket connections one client address holds open at once (default
   * `WS_MAX_CONNECTIONS_PER_ADDRESS`, 50); one more is refused 429 `WS_CONNECTION_LIMIT`.
   */
  readonly maxConnectionsPerAddress?: number;
  /**
   * How long a socket may stay without a successful `auth` before it is closed 4401 (and cut
   * after `WS_LIMITS.closeGraceMs` if its peer does not answer); default `WS_LIMITS.authTimeoutMs`.
   */
  readonly authTimeoutMs?: number;
  /**
   * Clients connected (`kairos_ws_clients`), slow consumers dropped and connections refused
   * (default none).
   */
  readonly metrics?: Metrics;
  /**
   * How a `subscribe` the event log did not answer is retried before the socket is closed with
   * 1013 (default `SUBSCRIBE_RETRY`: about 30 s).
   */
  readonly subscribeRetry?: SubscribeRetryPolicy;
}
