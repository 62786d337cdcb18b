import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { buildApp } from '../api/app.js';
import type { ApiUser, UserDirectory } from '../api/deps.js';
import type { SubscribeRetryPolicy } from '../api/ws-subscribe-retries.js';
import { MemoryCache } from '../scalability/cache/memory-cache.js';
import { countedCache } from '../scalability/cache/counted-cache.js';
import type { MetricsRegistry } from '../monitoring/metrics-registry.js';
import { processMetrics } from './process-metrics.js';
import { startMetricsServer } from '../monitoring/metrics-server.js';
import type { Cache } from '../scalability/cache/cache.js';
import { RedisCache } from '../scalability/cache/redis-cache.js';
import { connectMemcached, connectRedis, memcachedProbe } from '../scalability/connections.js';
import { MemcachedCache } from '../scalability/cache/memcached-cache.js';
import type { EnvelopeCipher } from '../security/encryption/envelope-cipher.js';
import type { Store } from '../store/open-store.js';
import { PasswordHasher } from '../security/passwords/password-hasher.js';
import { SigningKeys } from '../security/tokens/signing-keys.js';
import { TokenService } from '../security/tokens/token-service.js';
import { MfaVerifier } from '../security/totp/mfa-verifier.js';
import { Totp } from '../security/totp/totp.js';
import { AccountRepository } from '../store/account-repository.js';
import { AuditRepository } from '../store/audit-repository.js';
import { MfaRepository } from '../store/mfa-repository.js';
import { locateOrder, OrderRepository, pageFills, pageOrders } from '../store/order-repository.js';
import { RiskRepository } from '../store/risk-repository.js';
import { SessionRepository } from '../store/session-repository.js';
import { StrategyDeploymentRepository } from '../store/strategy-deployment-repository.js';
import { UserRepository, type UserRecord } from '../store/user-repository.js';
import type { DecimalInput } from '../trading/core/decimal.js';
import { noopLogger, type Logger } from '../trading/core/logger.js';
import { noopMetrics } from '../trading/core/metrics.js';
import type { Alert } from '../trading/model/alert.js';
import type { Instrument } from '../trading/model/instrument.js';
import type { TradingCore } from '../trading/live/trading-core.js';
import type { ReconciliationResult } from '../trading/live/reconciler.js';
import { exportAuditRange } from './audit-export.js';
import type { Config } from './config.js';
import { CredentialVault } from './credential-vault.js';
import { fieldKeysDir, openFieldKeys } from './field-cipher.js';
import { openSigningKey } from '../security/tokens/signing-key-file.js';
import { MarketReplay } from './market-replay.js';
import { openConfiguredStore } from './open-configured-store.js';
import { RiskControl } from './risk-control.js';
import { serverReadiness } from './server-readiness.js';
import { BacktestJobs, type BacktestRequest } from './backtest-jobs.js';
import { FileCatalog } from './file-catalog.js';
import { StrategyFunctions } from './strategy-functions.js';
import { StrategyHost } from './strategy-host.js';
import type { LambdaStrategies } from './lambda-strategy.js';
import { alertLogger, logReconciliation, logTradingEvents } from './trading-log.js';
import { countTradingEvents, killSwitchMetrics, venueConnection } from './trading-metrics.js';
import { UserAccounts } from './user-accounts.js';
import { SHARED_ACCOUNT, TradingAccounts } from './trading-accounts.js';
import { LiveAccounts } from './live-accounts.js';
import { ServerVenues, venueMarketPort, type VenueSetting } from './server-venues.js';
import { AccountLeases } from './account-leases.js';
import { SOLE_OWNER, type AccountOwnership } from './account-ownership.js';
import { accountHandOff, type HandOffSettings } from './order-hand-off.js';
import { LeaseRepository } from '../store/lease-repository.js';
import { isLeaseLost } from '../scalability/leases/lease-port.js';
import { RedisInstances, SOLO_INSTANCES } from '../scalability/leases/live-instances.js';
import { RedisOwnerStatus } from '../scalability/leases/owner-status.js';
import type { Bar } from '../trading/data/market-data.js';
import { CheckFailure, type HealthCheck } from '../monitoring/health-checks.js';
import { METRICS } from '../monitoring/metric-catalogue.js';
import { wsEventLog } from './ws-event-log.js';
import { installGroup } from './install-group.js';
import { VenueLinkBoard } from './venue-link-board.js';
import { venueCandles } from './venue-candles.js';

/** What `kairos serve` runs on. */
export interface ServerOptions {
  readonly data: string;
  readonly instrument: Instrument;
  readonly cash: DecimalInput;
  /** Replay speed: bar time / real time (0: as fast as possible). */
  readonly speed: number;
  readonly host: string;
  readonly port: number;
  /** The root logger (default: none): requests, order events, alerts, reconciliation, strategies. */
  readonly logger?: Logger;
  /** Requests per minute per client address and user (default 6,000). */
  readonly rateLimitPerMinute?: number;
  /** Login and second-factor requests per minute per address (default 30). */
  readonly authRateLimitPerMinute?: number;
  /** Wall-clock ms for identity, tokens and the audit log (default `Date.now`; tests move it). */
  readonly now?: () => number;
  /** Hashes and verifies passwords (default: argon2id at `ARGON2ID_MIN`). */
  readonly passwordHasher?: PasswordHasher;
  /**
   * Runs on the opened store, with the encrypted fields' cipher, before the server reads it
   * (a test's users written on the server's own store: one store opened per start, not two).
   */
  readonly seed?: (store: Store, cipher: EnvelopeCipher) => Promise<void>;
  /** The strategy catalog (`*.ts`; default `$KAIROS_HOME/strategies`). */
  readonly strategiesDir?: string;
  /** The data files backtests may name (default `$KAIROS_HOME/data`). */
  readonly backtestDataDir?: string;
  /** Backtests that may wait besides the running one (default 20). */
  readonly backtestQueue?: number;
  /**
   * The metrics registry (default: a new one, unless `KAIROS_METRICS=off`; `null`: none). Its
   * `GET /metrics` listens on `METRICS_PORT` when set (`docs/decisions/metrics.md`).
   */
  readonly metrics?: MetricsRegistry | null;
  /** The ccxt venues live accounts trade on (`--venue`, `--exchange-url`; none: paper only). */
  readonly venues?: readonly VenueSetting[];
  /** How often each live account is confirmed with its venue, ms (default `KAIROS_LIVE_CONFIRM_MS`, else 2 000). */
  readonly liveConfirmEveryMs?: number;
  /**
   * Which accounts this instance trades (default `SOLE_OWNER`: all). Any other: an order for an
   * account another instance owns is handed to it over Redis (`REDIS_URL`; `order-hand-off.ts`).
   */
  readonly ownership?: AccountOwnership;
  /** The order hand-off's Redis key prefix (default `KAIROS_REDIS_PREFIX`) and wait. */
  readonly handOff?: HandOffSettings;
  /** This process's instance id (the `x-kairos-instance` answer header; default: 8 random hex digits). */
  readonly instanceId?: string;
  /**
   * The whole Redis key prefix of the WebSocket event log (default
   * `<KAIROS_REDIS_PREFIX>events:<install>:`, `installGroup`; tests: their own).
   */
  readonly eventLogPrefix?: string;
  /** How a WebSocket subscription refused for a while is retried (default `SUBSCRIBE_RETRY`; tests: shorter). */
  readonly wsSubscribeRetry?: SubscribeRetryPolicy;
}

/** A running server. */
export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  /** This instance's id, answered in `x-kairos-instance` (`docs/scalability.md`). */
  readonly instanceId: string;
  /**
   * The shared account's trading core (tests look at what reached the venue); undefined on an
   * instance that does not own it now.
   */
  readonly core: TradingCore;
  /** The trading core of an account (undefined when it has none). */
  accountCore(accountId: string): TradingCore | undefined;
  /**
   * The ccxt venues (`--venue`; null: none): their markets (`refreshMarkets` loads them again now,
   * as the hourly refresh does) and clock offsets (`clockSkew`).
   */
  readonly venues: Pick<ServerVenues, 'refreshMarkets' | 'clockSkew' | 'names'> | null;
  /** Resolves when the replay ends (the API keeps serving). */
  readonly replayDone: Promise<number>;
  /** The metrics registry (null: `KAIROS_METRICS=off`). */
  readonly metrics: MetricsRegistry | null;
  /** `http://host:port/metrics` when `METRICS_PORT` is set, else null. */
  readonly metricsUrl: string | null;
  /** How many users exist (none: nobody can log in yet). */
  userCount(): Promise<number>;
  /** Which accounts this instance trades (`SOLE_OWNER` on the embedded store). */
  readonly ownership: AccountOwnership;
  /**
   * The graceful stop (SIGTERM): readiness 503 `draining`, new orders refused (503
   * `SERVER_DRAINING`), requests in flight finished, each account's in-flight orders settled and
   * its lease handed back (the next owner takes it at once); then `close`.
   */
  drain(): Promise<void>;
  close(): Promise<void>;
}

const VENUE = 'PAPER';
const RISK_REFRESH_EVERY_BARS = 20;
/** Who halts a Lambda strategy after failed steps (as `kairos paper --lambda` records it). */
const LAMBDA_ACTOR = { actor: 'lambda', role: 'system' };

/**
 * The composition root of `kairos serve`: the store, keys, identity, the trading core with the
 * paper venue (recovered before the API opens), the market replay that drives it, and the API.
 */
export async function startTradingServer(
  config: Config,
  opts: ServerOptions,
): Promise<RunningServer> {
  const logger = opts.logger ?? noopLogger;
  const processed = opts.metrics !== undefined ? null : processMetrics(config);
  const registry = opts.metrics !== undefined ? opts.metrics : (processed?.registry ?? null);
  const metrics = registry ?? noopMetrics;
  const store = await openConfiguredStore(config, metrics, logger);
  const stops: (() => Promise<void>)[] = [() => store.close()];
  if (processed) {
    processed.start();
    stops.push(() => processed.stop());
  }
  const now = opts.now ?? Date.now;
  // Names this process among several behind a load balancer: its answers and its log lines.
  const instanceId = opts.instanceId ?? randomBytes(4).toString('hex');
  try {
    const fieldKeys = await openFieldKeys(fieldKeysDir(config), config.kms);
    stops.push(async () => fieldKeys.close());
    const cipher = fieldKeys.cipher();
    if (opts.seed) await opts.seed(store, cipher);
    // The access-token signing key, encrypted under the master key (never in the clear on disk).
    const keys = new SigningKeys(
      now,
      await openSigningKey(fieldKeysDir(config), cipher, fieldKeys.current),
    );
    const users = new UserRepository(store.db);
    // The install: every Redis key whose name repeats between installs is scoped by it.
    const install = installGroup(config);
    const redis = config.redisUrl ? await connectRedis(config.redisUrl) : null;
    if (redis) stops.push(async () => void redis.disconnect());
    // The shared caches (sessions found live, logins): Redis when set, else Memcached when set
    // (`docs/scalability.md`, "Caches"), else this process's memory; every key under the prefix.
    const memcachedCaches =
      !redis && config.memcachedServers
        ? await connectMemcached(config.memcachedServers, { keyPrefix: config.redisPrefix })
        : null;
    if (memcachedCaches) stops.push(async () => memcachedCaches.close());
    const sharedCache = (name: string): Cache =>
      redis
        ? new RedisCache(redis, `${config.redisPrefix}${name}:`)
        : memcachedCaches
          ? new MemcachedCache(memcachedCaches, `${config.redisPrefix}${name}:`)
          : new MemoryCache({ now });
    // On Postgres, several instances may share the accounts: each trades one only while it holds
    // its lease (`docs/scalability.md`, "Ownership"). The embedded store has one process.
    let leases: AccountLeases | null = null;
    const tokens = new TokenService({
      keys,
      store: new SessionRepository(store.db),
      now,
      issuer: 'kairos',
      audience: 'kairos-api',
      // Writes trust a session found live for 1 s; with Redis every instance shares that memory,
      // so a revocation on one applies on all at once (T19).
      liveCheckMs: 1_000,
      liveCache: sharedCache('session'),
      roleOf: async (id) => {
        const u = await users.findById(id);
        return u && u.disabledAt === null ? u.role : null;
      },
    });
    const mfa = new MfaVerifier({
      totp: new Totp(now),
      store: new MfaRepository(store.db),
      now,
    });
    const risk = new RiskRepository(store.db);
    const inst = opts.instrument;
    // Alerts are counted once the metrics exist (recovery's own alerts are logged, not counted).
    let countAlert: (a: Alert) => void = () => undefined;
    const logAlert = alertLogger(logger);
    // Recoveries at start are counted once the metrics exist (just below).
    const recovered: ReconciliationResult[] = [];
    let onRecovered: (r: ReconciliationResult) => void = (r) => void recovered.push(r);
    // The ccxt venues (markets loaded) before any live account is recovered on one.
    const onAlert = (a: Alert) => {
      logAlert(a);
      countAlert(a);
    };
    const venueLog = (line: string) => logger.info(line, { component: 'venue' });
    let serialize: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn();
    // A venue's bar, once the account's core saw it: its strategies hear it (set once they exist).
    let onVenueBar: (accountId: string, bar: Bar) => Promise<void> = async () => undefined;
    // A live account's link changed: published for the other instances (set once they share).
    let onLink: (accountId: string) => void = () => undefined;
    let live: LiveAccounts | null = null;
    let venues: ServerVenues | null = null;
    if ((opts.venues ?? []).length > 0) {
      // The venues' request budgets: in Redis when set, shared with every instance and with
      // `kairos live` on it (the venue limits its IP, whatever the install: not scoped by it).
      const v = (venues = await ServerVenues.open(
        opts.venues!,
        { alert: onAlert, log: venueLog },
        { redis, prefix: config.redisPrefix },
      ));
      stops.push(() => v.close());
      const confirmEveryMs = opts.liveConfirmEveryMs ?? config.exchange.liveConfirmMs;
      live = new LiveAccounts({
        db: store.db,
        cipher,
        venues: v,
        now,
        onAlert,
        log: venueLog,
        serialize: (fn) => serialize(fn),
        onBar: (accountId, bar) => onVenueBar(accountId, bar),
        onLink: (accountId) => onLink(accountId),
        ...(confirmEveryMs === undefined ? {} : { confirmEveryMs }),
        closedOrderRetentionMs: config.closedOrderRetentionMs,
      });
      const l = live;
      stops.push(() => l.close());
    }
    // An account's core opened (a live account's venue answered after the start): its strategy
    // instances resume (set once the host is built; at the start the host resumes them all).
    let onAccountOpened: (accountId: string) => void = () => undefined;
    // One trading core per account, each recovered before it trades (`docs/decisions/accounts.md`).
    const accounts = await TradingAccounts.open({
      live,
      market: venues,
      onMarketBar: (accountId, bar) => onVenueBar(accountId, bar),
      log: venueLog,
      db: store.db,
      home: config.home,
      instrument: inst,
      venue: VENUE,
      sharedCash: opts.cash,
      now,
      onAlert,
      closedOrderRetentionMs: config.closedOrderRetentionMs,
      onOpened: (rt, recovery) => {
        logReconciliation(logger, recovery, VENUE);
        onRecovered(recovery);
        onAccountOpened(rt.accountId);
      },
      ...(config.databaseUrl && opts.ownership === undefined
        ? { leased: { adopt: (id: string) => leases?.take(id) ?? Promise.resolve(false) } }
        : {}),
    });
    serialize = (fn) => accounts.exclusive(fn);
    // Stops run in reverse: the paper venues' op logs close after what is started below, before
    // the live accounts, the venues and the store.
    stops.push(async () => accounts.stop());
    // Every account's events, as one stream: logged and counted once each.
    const stopLogging = logTradingEvents(accounts.bus, logger, VENUE);
    stops.push(async () => stopLogging());
    const counted = countTradingEvents(accounts.bus, metrics, {
      venue: VENUE,
      order: (id) => accounts.order(id),
      // The kill switch per scope kind comes from the stored states (just below).
      statesFromEvents: false,
    });
    countAlert = counted.onAlert;
    for (const r of recovered) counted.onReconciled(r);
    onRecovered = (r) => counted.onReconciled(r);
    // The paper venue and the replayed feed run in this process: up while it runs.
    const venue = venueConnection(metrics, VENUE);
    venue.up('orders');
    venue.up('market-data');
    const liveGauge = metrics.gauge(METRICS.liveAccounts);
    const heldGauge = metrics.gauge(METRICS.omsOrdersHeld);
    const sampling = setInterval(() => {
      counted.sample();
      heldGauge.set(accounts.runtimes().reduce((n, rt) => n + rt.core.memory.orders, 0));
      for (const c of live?.counts() ?? [])
        liveGauge.set(c.accounts, { venue: c.venue, state: c.state });
    }, 1_000);
    sampling.unref();
    stops.push(async () => {
      clearInterval(sampling);
      counted.stop();
    });
    const riskControl = new RiskControl(risk, () =>
      accounts
        .runtimes()
        .map((r) => ({ ...r, ownerUserId: accounts.info(r.accountId)?.ownerUserId ?? null })),
    );
    const showStates = killSwitchMetrics(metrics);
    riskControl.onApplied((states) =>
      showStates({
        global: states.global,
        accounts: Object.values(states.accounts ?? {}),
        users: Object.values(states.users ?? {}),
        strategies: Object.values(states.strategies),
      }),
    );
    await riskControl.sync();
    // A new account's core takes the stored risk settings before its first order.
    accounts.prepareWith(() => riskControl.sync());

    const buildDir = path.join(config.home, 'build');
    const strategyCatalog = FileCatalog.strategies(
      opts.strategiesDir ?? path.join(config.home, 'strategies'),
    );
    // S3_BUCKET: backtest reports are kept there too (the S3 client loads only then).
    const bucket = config.objectStore.bucket
      ? (await import('./object-stores.js')).openObjectStore(
          config.objectStore.bucket,
          config.objectStore,
        )
      : undefined;
    // Strategies as Lambda functions: the AWS SDK loads at the first Lambda start or deploy.
    let lambdas: Promise<LambdaStrategies> | undefined;
    const lambdaOf = () =>
      (lambdas ??= import('./lambda-strategy.js').then(
        (m) =>
          new m.LambdaStrategies(
            config,
            (strategyId, reason) =>
              // Failed steps halt the strategy alone, stored (audited) so it holds across restarts.
              riskControl.setState({ strategyId }, 'HALTED', `lambda: ${reason}`, LAMBDA_ACTOR),
            registry ?? undefined,
          ),
      ));
    stops.push(async () => (await lambdas?.catch(() => undefined))?.close());
    const functions = new StrategyFunctions(config, store, strategyCatalog);
    stops.push(() => functions.close());
    const host = new StrategyHost({
      db: store.db,
      instrument: inst,
      catalog: strategyCatalog,
      account: (id) => accounts.runtime(id),
      instrumentsOf: (id) => accounts.instrumentsOf(id),
      useInstrument: (id, symbol, holder) => accounts.useInstrument(id, symbol, holder),
      releaseInstrument: (id, holder) => accounts.releaseInstrument(id, holder),
      buildDir,
      now,
      logger,
      // A resumed instance on a venue's market warms on its closed bars (the replay's come again).
      venueBars: (id, symbol, limit) => {
        const market = accounts.marketOf(id);
        return market === 'replay' || !venues ? null : venues.recentBars(market, symbol, limit);
      },
      warmBars: config.strategyWarm.bars,
      warmWaitMs: config.strategyWarm.waitMs,
      ...(config.strategyThreads ? { threads: config.strategyThreads } : {}),
      onAlert,
      lambda: {
        bind: async (spec, field, strategy) => (await lambdaOf()).bind(spec, field, strategy),
        seam: async (binding, params, seamHost) =>
          (await lambdaOf()).seam(binding, params, seamHost),
      },
    });
    stops.push(async () => host.halt());
    accounts.guardClose((id) => host.runsOn(id));
    // After the opening's own turn (its core prepared), outside it: a resume takes its instruments.
    onAccountOpened = (accountId) =>
      void accounts
        .exclusive(async () => undefined)
        .then(() => host.resume(accountId))
        .catch((e: unknown) =>
          logger.warn('strategies not resumed on an opened account', { accountId, err: e }),
        );
    // A strategy on a live account hears its venue's bars, not the replay's.
    onVenueBar = (accountId, bar) => host.onBar(bar, (id) => id === accountId).catch(leaseLost);
    const backtests = new BacktestJobs({
      db: store.db,
      strategies: host.catalog,
      data: FileCatalog.data(opts.backtestDataDir ?? path.join(config.home, 'data')),
      feed: { file: opts.data, instrument: inst },
      buildDir,
      maxQueued: opts.backtestQueue ?? 20,
      closedOrderRetentionMs: config.closedOrderRetentionMs,
      now,
      logger,
      limits: config.backtestLimits,
      ...(bucket ? { reports: bucket } : {}),
    });
    stops.push(() => backtests.close());
    const ownerLog = logger.child({ component: 'ownership', instanceId });
    // On Postgres, instances share the accounts through leases (unless a test hands in who owns
    // what); embedded, this one process owns them all.
    if (config.databaseUrl && opts.ownership === undefined) {
      const leaseStore = new LeaseRepository(store.db, store.leaseDb);
      leases = new AccountLeases({
        leases: leaseStore,
        instances: redis
          ? new RedisInstances(redis, `${config.redisPrefix}instances:${install}:`)
          : SOLO_INSTANCES,
        owner: instanceId,
        ttlMs: config.instances.leaseTtlMs,
        cores: {
          accounts: () => accounts.refresh(),
          open: async (id, fence, token) => {
            if (!(await accounts.openAccount(id, { fence, token }))) return false;
            // Its strategies resume from their snapshots once its core is recovered.
            await host.resume(id);
            return true;
          },
          close: async (id, how) => {
            host.haltOn(id);
            await accounts.closeAccount(id, how);
          },
          storeFailed: (id) => accounts.storeFailed(id),
        },
        log: (message, fields) =>
          (message.startsWith('account taken') || message.startsWith('account handed')
            ? ownerLog.info
            : ownerLog.warn
          ).call(ownerLog, message, fields),
      });
    } else {
      await host.resume();
    }
    const ownership: AccountOwnership = opts.ownership ?? leases ?? SOLE_OWNER;
    // Several instances: each live account's owner publishes its venue link, so every instance
    // answers the owner's `venueStatus` (`docs/scalability.md`, "Venue status on every instance").
    const linkBoard =
      leases && redis
        ? new VenueLinkBoard({
            status: new RedisOwnerStatus(redis, `${config.redisPrefix}venue-link:${install}:`),
            link: (id) => live?.link(id) ?? null,
            linked: () => live?.linked() ?? [],
            token: (id) => accounts.leaseToken(id),
            holdMs: config.instances.leaseTtlMs,
            now,
            log: (line) => ownerLog.warn(line),
          })
        : null;
    if (linkBoard) {
      const board = linkBoard;
      onLink = (id) => board.changed(id);
      board.start();
      stops.push(async () => board.close());
    }
    await backtests.resume();

    let bars = 0;
    const replay = new MarketReplay(opts.data, inst.id, opts.speed, (bar) =>
      // One bar at a time with account creation: a new account starts between two bars.
      accounts.exclusive(async () => {
        if (bars % RISK_REFRESH_EVERY_BARS === 0) await riskControl.sync();
        accounts.onBar(bar);
        await host.onBar(bar, (id) => accounts.marketOf(id) === 'replay').catch(leaseLost);
        bars++;
        // Every bar: each venue's view and its account's agree before the next. Settled, then
        // reconciled at once (no request runs between): an order between its commit and its
        // send is never taken for one the venue lost.
        for (const rt of accounts.paperRuntimes()) {
          try {
            await rt.core.settle();
            const reconciled = await rt.core.reconcile();
            logReconciliation(logger, reconciled, VENUE);
            counted.onReconciled(reconciled);
          } catch (e) {
            // A core whose lease was lost meanwhile is closing: its writes are refused, by design.
            if (accounts.runtime(rt.accountId) === rt) leaseLost(e);
          }
        }
      }),
    );
    // Login challenges and rate limits are shared through Redis when several instances run.
    const challenges: Cache = countedCache(sharedCache('login'), metrics, 'login');
    const audit = new AuditRepository(store.db);
    const memcached = config.memcachedServers
      ? memcachedProbe(config.memcachedServers, { keyPrefix: config.redisPrefix })
      : null;
    if (memcached) stops.push(async () => memcached.close());
    // The replayed feed is the venue's market data; the paper venue runs in this process.
    let feed = { up: true, detail: 'replaying' };
    let draining = false;
    const readiness = serverReadiness({
      extra: [drainCheck(() => draining), ownershipCheck(instanceId, leases)],
      settings: config.readiness,
      store,
      core: {
        bus: accounts.bus,
        exec: {
          order: (id) => accounts.order(id),
          openOrders: () => accounts.runtimes().flatMap((rt) => rt.core.exec.openOrders()),
        },
      },
      venue: [
        { venue: VENUE, channel: 'market-data', state: () => feed },
        { venue: VENUE, channel: 'orders', state: () => ({ up: true, detail: 'in process' }) },
      ],
      ...(redis ? { redis } : {}),
      ...(memcached ? { memcached } : {}),
      now,
    });
    stops.push(async () => readiness.stop());
    // Several instances: orders for an account another one owns go to it (none: all run here).
    // Without Redis there is no hand-off: an order for an account another instance owns is
    // refused (503 ACCOUNT_OWNER_UNAVAILABLE) and the client retries, through the balancer.
    const handOff = accountHandOff({
      ownership: opts.ownership ?? (redis ? ownership : SOLE_OWNER),
      redis,
      install,
      accounts: () => accounts.infos().map((a) => a.id),
      stored: async (id) => (await new AccountRepository(store.db).find(id)) !== null,
      accountsOf: (userId) =>
        accounts
          .infos()
          .filter((a) => a.shared || a.ownerUserId === userId)
          .map((a) => a.id),
      logger,
      applyRisk: (actor) => riskControl.sync(actor),
      settings: { prefix: config.redisPrefix, ...opts.handOff },
    });
    if (handOff) stops.push(() => handOff.close());
    const app = await buildApp({
      ...(handOff ? { orderHandOff: handOff } : {}),
      users: directory(users, cipher, now),
      hasher: opts.passwordHasher ?? new PasswordHasher(),
      mfa,
      tokens,
      challenges,
      accounts: {
        all: () => accounts.infos(),
        get: (id) => accounts.info(id),
        defaultOf: (userId) => accounts.defaultOf(userId),
        isClosed: (id) => accounts.isClosed(id),
        create: (owner, req, by) => accounts.create(owner, req, by),
        close: (id, by) => accounts.close(id, by),
        reopen: (id, by) => accounts.reopen(id, by),
        setDefault: (userId, id, by) => accounts.setDefault(userId, id, by),
        trading: (id) => accounts.runtime(id),
        venueLink: (id) => accounts.venueLink(id),
        ...(linkBoard ? { venueStatuses: (list) => linkBoard.read(list) } : {}),
        reread: (scope) => accounts.reread(scope),
        admitOrder: (id, orderId) => accounts.admitOrder(id, orderId),
        instrumentsOf: (id) => accounts.instrumentsOf(id),
      },
      orderReads: {
        page: (scope, q) => pageOrders(store.db, scope, q),
        fillsPage: (scope, q) => pageFills(store.db, scope, q),
        locate: (id) => locateOrder(store.db, id),
        stored: async (accountId, id) => {
          const repo = new OrderRepository(store.db, accountId);
          const order = await repo.order(id);
          return order ? { order, events: await repo.events(id) } : null;
        },
      },
      events: accounts.bus,
      order: (id) => accounts.order(id),
      lastPrice: (id) => accounts.lastPrice(id),
      unresolved: () => accounts.unresolved(),
      instruments: [inst],
      ...(venues ? { venueMarket: venueMarketPort(venues) } : {}),
      candles: {
        recent: (id, limit) => (id === inst.id ? replay.recent(limit) : []),
        ...(venues ? { venue: candlesOf(venues, store.db) } : {}),
      },
      risk: handOff ? handOff.riskDesk(riskControl) : riskControl,
      riskChanges: riskControl,
      userAdmin: new UserAccounts(store.db, cipher),
      credentials: new CredentialVault(store.db, cipher),
      auditLog: {
        page: (q) => audit.page(q),
        // Synchronous: a range is written before the answer (`docs/api.md`, "Audit").
        export: async (from, to, by) => {
          const id = randomUUID();
          // With S3_BUCKET: into the bucket, under Object Lock (a bucket without it is refused).
          const out = config.objectStore.bucket
            ? `${config.objectStore.bucket}/audit-exports/${id}`
            : path.join(config.home, 'exports', id);
          const keysDir = path.join(config.home, 'keys');
          const { manifest } = await exportAuditRange(store.db, {
            from,
            to,
            out,
            keysDir,
            by,
            s3: config.objectStore,
          });
          return { id, manifest };
        },
      },
      strategies: {
        catalog: () => host.catalog.list(),
        list: (owner) => host.list(owner),
        start: (owner, req, by) => host.start(owner, req, by),
        deploy: (name, req, by) => functions.deploy(name, req, by),
        versions: (name, fn) => functions.versions(name, fn),
        rollback: (name, fn, version, by) => functions.rollback(name, fn, version, by),
        stop: (owner, id, by) => host.stop(owner, id, by),
        state: (owner, id) => host.state(owner, id),
        ownedIds: (owner) => host.ownedIds(owner),
        ownerOf: async (id) =>
          (await new StrategyDeploymentRepository(store.db).find(id))?.ownerUserId ?? null,
      },
      backtests: {
        dataCatalog: () => backtests.dataCatalog(),
        submit: (owner, req, by) => backtests.submit(owner, req as BacktestRequest, by),
        find: (owner, id) => backtests.find(owner, id),
        report: (owner, id) => backtests.report(owner, id),
        page: (owner, q) => backtests.page(owner, q),
      },
      audit,
      now,
      logger,
      ...(registry ? { metrics: registry } : {}),
      // One feed of bars for every instance's clients: the replay of the instance that owns the
      // shared account (each instance replays on its own clock; one instance: this one).
      bars: {
        subscribe: (fn: (bar: Bar) => void) =>
          replay.subscribe((bar) => {
            if (ownership.owns(SHARED_ACCOUNT)) fn(bar);
          }),
      },
      instanceId,
      ...(config.trustProxy === undefined ? {} : { trustProxy: config.trustProxy }),
      wsMaxConnectionsPerAddress: config.wsMaxConnectionsPerAddress,
      // WebSocket frames, through the log every instance shares when Redis is set.
      eventLog: wsEventLog(
        config,
        redis,
        opts.eventLogPrefix ?? `${config.redisPrefix}events:${install}:`,
      ),
      ...(opts.wsSubscribeRetry ? { wsSubscribeRetry: opts.wsSubscribeRetry } : {}),
      readiness: readiness.checks,
      draining: () => draining,
      rateLimit: {
        perMinute: opts.rateLimitPerMinute ?? 6_000,
        authPerMinute: opts.authRateLimitPerMinute ?? 30,
        ...(redis ? { redis, keyPrefix: `${config.redisPrefix}api-rl:${install}:` } : {}),
      },
    });
    // The requests in flight, so that a drain that does not end says which ones it waits for.
    // Each request with its reply (which knows its age): nothing made a request.
    const inFlight = new Map<FastifyRequest, FastifyReply>();
    // Callback hooks, not async ones: no promise and no microtask a request for each.
    app.addHook('onRequest', (req, reply, done) => {
      // Not a WebSocket's upgrade: it never answers (counted apart, as the server's clients).
      if (req.raw.headers.upgrade === undefined) inFlight.set(req, reply);
      done();
    });
    app.addHook('onResponse', (req, _reply, done) => {
      inFlight.delete(req);
      done();
    });
    app.addHook('onRequestAbort', (req, done) => {
      inFlight.delete(req);
      done();
    });
    // Draining: every answer closes its connection. A request in flight when the listener began
    // to close was answered keep-alive, and its connection, then idle, held the close (and the
    // drain) until the client used or closed it: behind nginx, whose `fail_timeout` kept a
    // refused instance out of its rotation, 5 s and more (`docs/decisions/instances.md`).
    app.addHook('onSend', (_req, reply, payload, done) => {
      if (draining) void reply.header('connection', 'close');
      done(null, payload);
    });
    if (leases) {
      const l = leases;
      // The first round opens this instance's share before the API listens, once the app is
      // ready: compiling its schemas holds the event loop for seconds on a loaded machine, and
      // leases taken before it would go unrenewed meanwhile (lost under a short TTL).
      await app.ready();
      await l.start();
      stops.push(() => l.drain());
    }
    // Every connection the listener takes (upgraded WebSockets too), so that a drain past its
    // bound cuts what is still open: a request that never ends, or an upgrade that arrived as the
    // WebSocket server closed, must not keep a stopped instance alive (and exiting 1).
    const sockets = new Set<Socket>();
    app.server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    const url = await app.listen({ host: opts.host, port: opts.port });
    logger.info('server listening', {
      component: 'server',
      url,
      instrumentId: inst.id,
      instanceId,
    });
    let metricsUrl: string | null = null;
    if (registry && config.metrics.port !== undefined) {
      const exposition = await startMetricsServer(registry, {
        host: config.metrics.host,
        port: config.metrics.port,
      }).catch(async (e: unknown) => {
        await app.close();
        throw e;
      });
      stops.push(() => exposition.close());
      metricsUrl = exposition.url;
      logger.info('metrics listening', { component: 'server', url: metricsUrl });
    }
    const abort = new AbortController();
    const replayDone = replay.run(abort.signal);
    replayDone.then(
      (n) => void (feed = { up: true, detail: `replay ended after ${n} bars` }),
      () => void (feed = { up: false, detail: 'replay failed' }),
    );
    let closed: Promise<void> | null = null;
    const close = async () => {
      try {
        abort.abort();
        await replayDone.catch(() => undefined);
        host.halt();
        await backtests.close();
        await app.close();
        for (const rt of accounts.runtimes()) {
          // A core whose journal failed (its lease lost, the store away) keeps the failure, and
          // its order was already answered with it: nothing is left to settle, the close goes on.
          await rt.core.settle().catch((e: unknown) =>
            logger.warn('account core not settled at close: its journal failed', {
              component: 'server',
              accountId: rt.accountId,
              err: e,
            }),
          );
        }
      } finally {
        // Whatever failed above, the lease keepers, the store and the rest stop.
        for (const stop of stops.reverse()) await stop();
      }
    };
    return {
      url,
      app,
      // Undefined on an instance that does not own the shared account now (several instances).
      get core() {
        return accounts.runtime(SHARED_ACCOUNT)?.core as TradingCore;
      },
      ownership,
      instanceId,
      accountCore: (id) => accounts.runtime(id)?.core,
      venues,
      replayDone,
      metrics: registry,
      metricsUrl,
      userCount: async () => (await users.list()).length,
      drain: async () => {
        draining = true;
        logger.info('draining: no new order; settling and handing the accounts back', {
          component: 'server',
          instanceId,
        });
        const bound = config.instances.drainTimeoutMs;
        await withinMs(
          (async () => {
            // Every account handed back: no new order reaches its core, the orders being placed
            // are recorded and sent, then its lease is released for the next owner at once.
            await leases?.drain();
            // The requests still in flight finish; then the listener closes.
            await app.close();
          })(),
          bound,
        ).catch((e: unknown) =>
          logger.warn('drain did not finish cleanly', {
            component: 'server',
            err: e,
            // What the listener still waits for (a request in flight, with its age).
            inFlight: [...inFlight]
              .map(
                ([r, reply]) =>
                  `${r.method} ${r.url.split('?')[0]} ${Math.round(reply.elapsedTime)} ms`,
              )
              .join(', '),
            webSockets: app.websocketServer?.clients.size ?? 0,
            connections: sockets.size,
          }),
        );
        // Past the bound (or once drained, a connection nobody closes): cut, so the close ends.
        for (const s of sockets) s.destroy();
        await (closed ??= close());
      },
      close: () => (closed ??= close()),
    };
  } catch (e) {
    for (const stop of stops.reverse()) await stop();
    throw e;
  }
}

/** `GET /candles?venue=`: a venue's bars, backfilled from it and the store. */
function candlesOf(venues: ServerVenues, db: Parameters<typeof venueCandles>[1]) {
  return (venue: string, symbol: string, limit: number) =>
    venueCandles(venues, db, venue, symbol, limit);
}

/** Rejects with the error unless it is a lost lease (a core that is closing). */
function leaseLost(e: unknown): void {
  if (!isLeaseLost(e)) throw e;
}

/** `draining`: passes while serving; fails once SIGTERM began the drain (the balancer stops). */
function drainCheck(draining: () => boolean): HealthCheck {
  return {
    name: 'draining',
    probe: async () => {
      if (draining()) throw new CheckFailure('draining: no new order; accounts being handed over');
      return 'serving';
    },
  };
}

/**
 * `ownership`: always passes; its detail says which accounts this instance trades
 * (`instance <id> owns <n> of <m> accounts (<k> live instances): desk, acc-…`).
 */
function ownershipCheck(instanceId: string, leases: AccountLeases | null): HealthCheck {
  return {
    name: 'ownership',
    probe: async () => {
      if (!leases) return `instance ${instanceId} owns every account (one instance)`;
      const v = leases.view();
      return `instance ${instanceId} owns ${v.owned.length} of ${v.accounts} accounts (${v.instances} live instances): ${v.owned.join(', ')}`;
    },
  };
}

/** Waits for `p`, at most `ms`. */
function withinMs(p: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The users, as the API sees them (the TOTP secret decrypted only when asked for). */
function directory(
  users: UserRepository,
  cipher: EnvelopeCipher,
  now: () => number,
): UserDirectory {
  const view = async (u: UserRecord | null): Promise<ApiUser | null> =>
    u && {
      id: u.id,
      username: u.username,
      role: u.role,
      passwordHash: u.passwordHash,
      totpSecret: u.totpEnrolled ? await users.totpSecret(u.id, cipher) : null,
      disabled: u.disabledAt !== null,
    };
  return {
    byUsername: async (name) => view(await users.findByUsername(name)),
    byId: async (id) => view(await users.findById(id)),
    confirmSecondFactor: async (id) => {
      await users.confirmTotp(id, now());
    },
  };
}
