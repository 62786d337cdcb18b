import type { AuditEntry, AuditRecord } from '../security/audit/audit-record.js';
import type { Manifest } from '../security/audit/manifest.js';
import type { AccountRecord } from '../store/account-repository.js';
import type { CredentialSummary } from '../store/credential-repository.js';
import type { HealthReport } from '../monitoring/health-checks.js';
import type { Logger } from '../trading/core/logger.js';
import type { Metrics } from '../trading/core/metrics.js';
import type {
  LimitTarget,
  StateTarget,
  StoredLimits,
  StoredStates,
} from '../store/risk-repository.js';
import type { UserSummary } from '../store/user-repository.js';
import type { BacktestJob } from '../store/backtest-repository.js';
import type { Deployment } from '../store/strategy-deployment-repository.js';
import type { Decimal } from '../trading/core/decimal.js';
import type { Order } from '../trading/model/order.js';
import type { JsonObject } from '../trading/strategy/strategy-context.js';
import type { Bar } from '../trading/data/market-data.js';
import type { VenueMarketStreams } from './ws-gateway-options.js';
import type { Instrument } from '../trading/model/instrument.js';
import type { TradingState } from '../trading/risk/trading-state.js';
import type { OrderPageQuery, OrderRepository, OrderScope } from '../store/order-repository.js';
import type { Fill } from '../trading/model/fill.js';
import type { MessageBus } from '../trading/bus/message-bus.js';
import type { Cache } from '../scalability/cache/cache.js';
import type {
  AccountCommand,
  CommandAnswer,
  CommandHandler,
} from '../scalability/bus/command-stream.js';
import type { EventLog } from '../scalability/bus/event-log.js';
import type { PasswordHasher } from '../security/passwords/password-hasher.js';
import type { Role } from '../security/roles/permissions.js';
import type { TokenService } from '../security/tokens/token-service.js';
import type { MfaVerifier } from '../security/totp/mfa-verifier.js';
import type { TradingCore } from '../trading/live/trading-core.js';
import type { TradingDesk } from '../trading/live/trading-desk.js';
import type { RiskChanges } from './risk-frames.js';
import type { SubscribeRetryPolicy } from './ws-subscribe-retries.js';

/** A user as the API sees one (the TOTP secret decrypted, only for the second factor). */
export interface ApiUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly passwordHash: string;
  readonly totpSecret: string | null;
  readonly disabled: boolean;
}

/** Where the API finds users. */
export interface UserDirectory {
  byUsername(username: string): Promise<ApiUser | null>;
  byId(id: string): Promise<ApiUser | null>;
  /** Marks the TOTP enrolment confirmed (after the first accepted code; idempotent). */
  confirmSecondFactor(id: string): Promise<void>;
}

/** Who makes a change, as the audit log records it. */
export interface Actor {
  readonly actor: string;
  readonly role: string;
}

/** A trading account as the API sees one (`src/system/trading-accounts.ts`). */
export interface ApiAccount extends Omit<AccountRecord, 'ownerUserId'> {
  /** Null for the server's shared account (`desk`). */
  readonly ownerUserId: string | null;
  readonly shared: boolean;
}

/**
 * A live account's link to its venue (`docs/decisions/accounts.md`, "Faults"): `DOWN` while the
 * venue does not answer, bans or throttles (no new order; it recovers by itself), `DISABLED` once
 * the venue refused the account's key (no order until the key is replaced and a new account
 * opened). `balances` are the venue's, as confirmed at `confirmedAt`.
 */
export interface AccountVenueLink {
  readonly state: 'UP' | 'DOWN' | 'DISABLED';
  readonly reason: string | null;
  /** When the state began (ms). */
  readonly since: number;
  /** When the venue last confirmed the account's orders and balances (ms); null: not yet. */
  readonly confirmedAt: number | null;
  /**
   * `DOWN` under a venue ban (a 429/418, its own or recorded by another process on the venue's
   * shared budget): when it ends (ms), the `Retry-After` of its refusals; absent or null: not known.
   */
  readonly retryAt?: number | null;
  readonly balances: readonly {
    readonly currency: string;
    readonly free: Decimal;
    readonly used: Decimal;
    readonly total: Decimal;
  }[];
}

/**
 * A live account's link to its venue as `venueStatus` shows it: the owner's link, or on another
 * instance the owner's last published word (`UNKNOWN`: no owner holds the account now, or its word
 * could not be read; `reason` says which).
 */
export interface AccountVenueStatus {
  readonly venue: AccountVenueLink['state'] | 'UNKNOWN';
  readonly reason: string | null;
  readonly since: number;
  readonly confirmedAt: number | null;
  /** `DOWN` under a venue ban: when it ends (ms); null: not banned, or its end not known. */
  readonly retryAt: number | null;
}

/** One account's trading: order entry, its core's ledger and prices, its order journal. */
export interface AccountTrading {
  readonly desk: Pick<TradingDesk, 'place' | 'find' | 'cancel'>;
  readonly core: Pick<TradingCore, 'ledger' | 'lastPrice' | 'instrument'> & {
    readonly journal: Pick<TradingCore['journal'], 'stored'>;
  };
  readonly orders: Pick<OrderRepository, 'events'>;
}

/** The accounts of the server: every account, their trading, and the changes users make. */
export interface AccountDesk {
  /** Every account (the shared one, every user's, open or closed). */
  all(): readonly ApiAccount[];
  get(id: string): ApiAccount | undefined;
  /** The user's default account id; null when none (orders then go to the shared account). */
  defaultOf(userId: string): string | null;
  /** Closed, or being closed: takes no order. */
  isClosed(id: string): boolean;
  create(
    ownerUserId: string,
    req: {
      name: string;
      mode: 'paper' | 'live';
      venue?: string;
      startingCash?: string;
      credentialId?: string;
      default?: boolean;
    },
    by: Actor,
  ): Promise<ApiAccount>;
  /** Closes an account (`ACCOUNT_HAS_OPEN_ORDERS`, `ACCOUNT_NOT_FLAT`, `ACCOUNT_IN_USE`). */
  close(id: string, by: Actor): Promise<ApiAccount>;
  /**
   * Opens a closed account again, recovered before it trades (a live one: `CREDENTIAL_REFUSED`,
   * `VENUE_UNAVAILABLE`, `ACCOUNT_NAME_TAKEN`; nothing changes then).
   */
  reopen(id: string, by: Actor): Promise<ApiAccount>;
  setDefault(userId: string, id: string, by: Actor): Promise<ApiAccount>;
  trading(id: string): AccountTrading | undefined;
  /** A live account's link to its venue; null for a paper account. */
  venueLink(id: string): AccountVenueLink | null;
  /**
   * Several instances: each open live account of `accounts` whose link is not on this instance,
   * as its owner last published it (`VenueLinkBoard`), so every instance shows the same
   * `venueStatus`. Absent (one instance): `venueLink` is every account's.
   */
  venueStatuses?(accounts: readonly ApiAccount[]): Promise<ReadonlyMap<string, AccountVenueStatus>>;
  /**
   * Reads one account (`accountId`), one user's (`ownerUserId`) or every account (null) from the
   * store again before `get`/`all` answer a read of them: a change made on another instance shows
   * at once. Absent: what `get` and `all` hold is the store's.
   */
  reread?(scope: { accountId: string } | { ownerUserId: string | null }): Promise<void>;
  /**
   * Takes a slot for new order `clientOrderId` in a live account's venue order-rate window
   * (Binance: 50 per 10 s per account; the account's strategies' orders count in it too): null
   * when it may go (and for a paper account), else the venue's limit and the ms until a slot
   * frees. Absent: no order rate is kept.
   */
  admitOrder?(
    id: string,
    clientOrderId: string,
  ): { limit: { limit: number; intervalMs: number }; retryAfterMs: number } | null;
  /**
   * The instruments an account trades: its venue's for an account on a venue, else the
   * replay's (its balances are in their quote currencies). Absent: the server's `instruments`.
   */
  instrumentsOf?(id: string): readonly Instrument[];
}

/**
 * Where an order command runs (`docs/scalability.md`, "Order hand-off"): on this instance when
 * it owns the account (`local`), else on the owner's, over the bus, with the owner's answer.
 * The composition root gives it; without it every command runs here (one instance).
 */
export interface OrderHandOff {
  dispatch(cmd: AccountCommand, local: () => Promise<CommandAnswer>): Promise<CommandAnswer>;
  /** The handler this instance runs the commands of the accounts it owns with (given once). */
  serve(handler: CommandHandler): void;
}

/** Orders and fills across accounts, as readers may see them (`OrderScope`). */
export interface OrderReads {
  page(scope: OrderScope, opts: OrderPageQuery): Promise<{ orders: Order[]; next: string | null }>;
  fillsPage(
    scope: OrderScope,
    opts: { before?: string; limit: number },
  ): Promise<{ fills: Fill[]; next: string | null }>;
  /** The account and owner of a stored order; null when none has this id. */
  locate(clientOrderId: string): Promise<{ accountId: string; strategyId: string } | null>;
  /**
   * A stored order of an account with its stored events (an account another instance trades:
   * the database is the record every instance shares); null when there is none.
   */
  stored?(
    accountId: string,
    clientOrderId: string,
  ): Promise<{ order: Order; events: Awaited<ReturnType<OrderRepository['events']>> } | null>;
}

/** Risk limits and trading states: stored (audited), then applied to the running core at once. */
export interface RiskDesk {
  view(): Promise<{ limits: StoredLimits; states: StoredStates }>;
  setLimit(scope: LimitTarget, name: string, value: string, by: Actor): Promise<void>;
  setState(
    scope: StateTarget,
    state: TradingState,
    reason: string | null,
    by: Actor,
  ): Promise<void>;
}

/** User administration (each change audited in its transaction). */
export interface UserAdmin {
  list(): Promise<UserSummary[]>;
  create(
    input: { username: string; password: string; role: string },
    by: Actor,
  ): Promise<{
    user: UserSummary;
    otpauthUri: string;
    secret: string;
    recoveryCodes: readonly string[];
  }>;
  /** `USER_NOT_FOUND` when unknown; the caller revokes the sessions. */
  disable(id: string, by: Actor, reason: string | null): Promise<UserSummary>;
}

/** Venue credentials, scoped to their owner (write-only: nothing here returns a secret). */
export interface CredentialStore {
  add(
    ownerUserId: string,
    input: { venue: string; label: string; apiKey: string; secret: string; passphrase?: string },
    by: Actor,
  ): Promise<CredentialSummary>;
  list(ownerUserId: string): Promise<CredentialSummary[]>;
  /** False when the owner has no credential with this id. */
  remove(ownerUserId: string, id: string, by: Actor): Promise<boolean>;
}

/** Reading the audit log and exporting a range. */
export interface AuditDesk {
  /** Rows with `from <= ts < to` and `seq > after`, in `seq` order, at most `limit`. */
  page(q: { from: number; to: number; after: number; limit: number }): Promise<AuditRecord[]>;
  /** Exports `[from, to)` into a new folder; answers its id and signed manifest. */
  export(from: number, to: number, by: Actor): Promise<{ id: string; manifest: Manifest }>;
}

/** A strategy instance as its owner sees it (`src/system/strategy-host.ts`). */
export interface StrategyInstance extends Deployment {
  /** The instrument it trades (its bars are the ones it hears). */
  readonly instrumentId: string;
  readonly orders: number;
  readonly openOrders: readonly Order[];
  readonly position: Decimal;
  readonly state: JsonObject | null;
  readonly lastBarAt: number | null;
  readonly tradingState: TradingState;
}

/** What a deploy of a catalog strategy as a Lambda function did (`src/system/lambda-deployments.ts`). */
export interface FunctionDeployment {
  readonly function: string;
  /** The strategy's own name (its definition), as the package's manifest has it. */
  readonly strategy: string;
  readonly created: boolean;
  readonly version: string;
  /** The version `live` pointed to before (null: the alias is new). */
  readonly previousVersion: string | null;
  /** sha256 of the deployed zip, hex. */
  readonly zipSha256: string;
}

/** One published version of a function. */
export interface FunctionVersion {
  readonly version: string;
  /** base64, as Lambda reports it. */
  readonly codeSha256: string;
  readonly lastModified: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutS: number;
  readonly live: boolean;
}

/** The strategy catalog and the instances running on the core; every call scoped to the owner. */
export interface StrategyDesk {
  catalog(): Promise<string[]>;
  list(ownerUserId: string): Promise<StrategyInstance[]>;
  start(
    ownerUserId: string,
    req: {
      name: string;
      params?: Readonly<Record<string, unknown>>;
      runtime?: 'in-process' | 'lambda';
      function?: string;
      /** Checked by the API: one of the starter's open accounts, or the shared one. */
      accountId?: string;
      /** One of the account's instruments (`UNKNOWN_INSTRUMENT` otherwise; default its first). */
      instrumentId?: string;
    },
    by: Actor,
  ): Promise<StrategyInstance>;
  /**
   * Deploys the catalog strategy `name` as the Lambda function `req.function` (default: its
   * name): package, create or update, publish a version, move the alias `live` to it (audited).
   */
  deploy(
    name: string,
    req: { function?: string; memoryMb?: number; timeoutS?: number },
    by: Actor,
  ): Promise<FunctionDeployment>;
  /**
   * The published versions, oldest first, of the function `fn` (default: the catalog strategy's
   * name) of the catalog strategy `name`.
   */
  versions(
    name: string,
    fn: string | undefined,
  ): Promise<{ function: string; versions: FunctionVersion[] }>;
  /** Moves `live` of `fn` to a published version (audited); answers the version it left. */
  rollback(
    name: string,
    fn: string | undefined,
    version: string,
    by: Actor,
  ): Promise<{ function: string; from: string | null }>;
  /** Null when the owner has no such instance. */
  stop(ownerUserId: string, id: string, by: Actor): Promise<StrategyInstance | null>;
  state(ownerUserId: string, id: string): Promise<StrategyInstance | null>;
  /** The strategy ids of every instance the user started (their orders are the user's). */
  ownedIds(ownerUserId: string): Promise<string[]>;
  /** The user who started the instance `strategyId`; null when no instance has this id. */
  ownerOf(strategyId: string): Promise<string | null>;
}

/** Backtests as background jobs, scoped to the owner (`src/system/backtest-jobs.ts`). */
export interface BacktestDesk {
  /** The data files a backtest may name. */
  dataCatalog(): Promise<string[]>;
  submit(
    ownerUserId: string,
    request: { strategy: string } & Readonly<Record<string, unknown>>,
    by: Actor,
  ): Promise<BacktestJob>;
  find(ownerUserId: string, id: string): Promise<BacktestJob | null>;
  /** The report text (`report.json`) of a done job; null otherwise. */
  report(ownerUserId: string, id: string): Promise<string | null>;
  page(
    ownerUserId: string,
    opts: { before?: string; limit: number },
  ): Promise<{ jobs: BacktestJob[]; next: string | null }>;
}

/** An instrument a venue of the server trades, with its last price there. */
export interface VenueInstrument {
  readonly venue: string;
  readonly instrument: Instrument;
  /** The last trade (or bar close) seen on the venue's streams; null when none is subscribed. */
  readonly lastPrice: Decimal | null;
}

/** The venues' instruments and market streams (`src/system/server-venues.ts`). */
export interface VenueMarketPort extends VenueMarketStreams {
  instruments(): readonly VenueInstrument[];
}

/**
 * The ports the composition root (`src/system/trading-server.ts`) hands `buildApp`. No plugin
 * sees this whole: `app.ts` gives each resource plugin only the few of them it uses (its
 * `…Options`).
 */
export interface ApiPorts {
  readonly users: UserDirectory;
  readonly hasher: PasswordHasher;
  readonly mfa: MfaVerifier;
  readonly tokens: TokenService;
  /** Short-lived login challenges (between password and second factor). */
  readonly challenges: Cache;
  /** Every trading account: one core each (`src/system/trading-accounts.ts`). */
  readonly accounts: AccountDesk;
  /** Orders and fills across accounts. */
  readonly orderReads: OrderReads;
  /** Where `POST /orders` and cancels run: here (default), or handed to the account's owner. */
  readonly orderHandOff?: OrderHandOff;
  /** Every core's order events, as one stream (each event names its account). */
  readonly events: Pick<MessageBus, 'subscribe'>;
  /** An order as its account's OMS holds it now. */
  order(clientOrderId: string): Order | undefined;
  /** The last price of an instrument (the market feed's, the same for every account). */
  lastPrice(instrumentId: string): Decimal | null;
  /** Whether some order's outcome is not known (SUBMITTED, UNKNOWN) on any account. */
  unresolved(): boolean;
  /** The replay's instruments (`--data`). */
  readonly instruments: readonly Instrument[];
  /**
   * The venues of `kairos serve --venue`: their instruments (`GET /instruments`) and market
   * streams (the WebSocket's `<venue>:<symbol>` bars, trades and book). None: the replay only.
   */
  readonly venueMarket?: VenueMarketPort;
  /** The last bars of the market feed (a bounded buffer), oldest first. */
  readonly candles: { recent(instrumentId: string, limit: number): readonly Bar[] };
  /** The market feed's bars as they come (the WebSocket `bars` channel). */
  readonly bars: { subscribe(fn: (bar: Bar) => void): () => void };
  readonly risk: RiskDesk;
  /** The risk changes made on this instance, for the WebSocket `risk` channel (none: snapshots only). */
  readonly riskChanges?: RiskChanges;
  readonly userAdmin: UserAdmin;
  readonly credentials: CredentialStore;
  readonly auditLog: AuditDesk;
  readonly strategies: StrategyDesk;
  readonly backtests: BacktestDesk;
  /** The audit log (logins, failures, logouts; order events are audited by the store). */
  readonly audit: { append(entry: AuditEntry): Promise<unknown> };
  /** Wall-clock ms. */
  readonly now: () => number;
  /**
   * Requests per minute per client address and user, and login/second-factor requests per
   * address (`authPerMinute`, default 30); counted in Redis when given (several instances).
   */
  readonly rateLimit?: {
    readonly perMinute: number;
    readonly authPerMinute?: number;
    readonly redis?: unknown;
    /**
     * The counts' Redis key prefix (default `kairos:api-rl:`; served:
     * `<KAIROS_REDIS_PREFIX>api-rl:<install>:`, as user names and ids repeat between installs).
     */
    readonly keyPrefix?: string;
  };
  /**
   * True once the server drains (SIGTERM): new orders are refused with 503 `SERVER_DRAINING` and
   * `Retry-After`, so the load balancer's retry reaches another instance.
   */
  readonly draining?: () => boolean;
  /**
   * Where the WebSocket frames go before any client gets them (`docs/api.md`, "Sequences and resume"): a
   * `RedisEventLog` shared by every instance, or (default) a `MemoryEventLog` of this process.
   */
  readonly eventLog?: EventLog;
  /** How a WebSocket subscription refused for a while is retried (default `SUBSCRIBE_RETRY`). */
  readonly wsSubscribeRetry?: SubscribeRetryPolicy;
  /** The readiness checks `GET /health/ready` runs (`src/monitoring/health-checks.ts`). */
  readonly readiness: { run(): Promise<HealthReport> };
  /** The API's logger: one line per request (component `http`), internal errors (component `api`). */
  readonly logger?: Logger;
  /** This instance's id, answered in the `x-kairos-instance` header of every answer (default: none). */
  readonly instanceId?: string;
  /**
   * The load balancers whose `X-Forwarded-For` names the client (addresses, CIDR ranges or a hop
   * count: Fastify's `trustProxy`); absent: the connection's address is the client's.
   */
  readonly trustProxy?: readonly string[] | number;
  /**
   * The most WebSocket connections one client address (as `trustProxy` makes it) holds open
   * (`KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS`; default 50).
   */
  readonly wsMaxConnectionsPerAddress?: number;
  /** The API's metrics: request durations per route template, WebSocket clients (default none). */
  readonly metrics?: Metrics;
}
