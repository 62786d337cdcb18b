import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { isKmsKeyId, KMS_KEY_ID_RULE } from '../cloud/kms/kms-key-id.js';
import { isS3Url, parseS3Url, s3Url } from '../cloud/s3-url.js';
import { KairosError } from '../trading/core/errors.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../trading/core/logger.js';
import { CLOSED_ORDER_RETENTION_MS } from '../trading/execution/order-retention.js';
import { Secret } from './secret.js';
import { BACKTEST_LIMITS, type BacktestThreadLimits } from './backtest-thread.js';
import type { StrategyThreadLimits } from './strategy-thread.js';

/** The environment as `loadConfig` reads it (the process's, or a test's own record). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A venue's settings for the ccxt commands (`live`, `paper --exchange`, `data download`, `credential add`). */
export interface ExchangeSettings {
  /** `EXCHANGE_API_KEY`: the venue API key (a stored `--credential` wins over it). */
  readonly apiKey: Secret | undefined;
  /** `EXCHANGE_SECRET`: its secret. */
  readonly secret: Secret | undefined;
  /** `EXCHANGE_PASSWORD`: the third credential some venues need (OKX, KuCoin passphrase). */
  readonly password: Secret | undefined;
  /** `EXCHANGE_CREDENTIAL`: a stored credential's id or label; `--credential` wins over it. */
  readonly credential: string | undefined;
  /** `EXCHANGE_URL`: another REST + WebSocket base URL; `--exchange-url` wins over it. */
  readonly url: string | undefined;
  /**
   * `EXCHANGE_RATE_LIMIT_MS`: ccxt's own spacing of requests, ms per unit of a request's cost;
   * undefined: the venue's (Binance 50). Lower only for a venue you run (a simulator, a sandbox).
   */
  readonly rateLimitMs: number | undefined;
  /**
   * `EXCHANGE_CIRCUIT_HALF_OPEN_MS`: how long a venue's circuit breaker stays open (after repeated
   * failures) before one trial call; undefined: 30 s. Shorter only for a venue you run.
   */
  readonly circuitHalfOpenMs: number | undefined;
  /**
   * `EXCHANGE_SANDBOX` (0 or 1): the venue's own sandbox or testnet (ccxt's `setSandboxMode`) for
   * `live`, `paper --exchange`, `data download` and `serve`'s venues; refused for a venue ccxt
   * knows no sandbox of.
   */
  readonly sandbox: boolean;
  /**
   * `KAIROS_LIVE_CONFIRM_MS`: how often `kairos serve` confirms each live account with its venue
   * (balances asked, orders reconciled; a venue that stopped answering shows `DOWN`, one that
   * answers again `UP`); undefined: every 2 s.
   */
  readonly liveConfirmMs: number | undefined;
  /** `KAIROS_VENUES` (comma-separated ccxt ids): `kairos serve`'s venues for live accounts; `--venue` wins. */
  readonly venues: readonly string[];
}

/**
 * Where S3 is and which bucket Kairos keeps its objects in (`docs/cloud.md`). Credentials are not
 * settings: the AWS SDK finds them itself (its default chain) and Kairos never reads them.
 */
export interface ObjectStoreSettings {
  /** `S3_BUCKET` (`bucket` or `s3://bucket/prefix`): API audit exports and backtest reports. */
  readonly bucket: string | undefined;
  /** `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`: another S3 endpoint (s3rver, MinIO, a VPC endpoint). */
  readonly endpoint: string | undefined;
  /** `AWS_REGION`; absent: the SDK's profile, or us-east-1 with an endpoint. */
  readonly region: string | undefined;
  /** `S3_FORCE_PATH_STYLE` (0 or 1); default 1 with an endpoint, else 0. */
  readonly forcePathStyle: boolean;
}

/** `KAIROS_METRICS`: where metrics go (the registry behind `/metrics` is kept unless `off`). */
const REDIS_PREFIX_RULE = '1-64 characters of A-Z, a-z, 0-9, ":", "_" and "-"';

export const METRICS_SINKS = ['prometheus', 'emf', 'cloudwatch', 'off'] as const;
export type MetricsSink = (typeof METRICS_SINKS)[number];

/** Metrics (`docs/operations.md`, "Metrics"; `docs/decisions/metrics.md`). */
export interface MetricsSettings {
  /** `KAIROS_METRICS` (default `prometheus`; `emf`/`cloudwatch` also feed CloudWatch; `off`: none). */
  readonly sink: MetricsSink;
  /** `METRICS_PORT`: the port of the unauthenticated `GET /metrics` listener (absent: none). */
  readonly port: number | undefined;
  /** `METRICS_HOST`: the address it binds (default 127.0.0.1; a private address, never public). */
  readonly host: string;
  /** `KAIROS_METRICS_NAMESPACE`: the CloudWatch namespace (default `Kairos`). */
  readonly namespace: string;
  /** `KAIROS_METRICS_DIMENSIONS`: dimensions on every CloudWatch metric (default `Service=kairos`). */
  readonly dimensions: Readonly<Record<string, string>>;
  /** `KAIROS_METRICS_INTERVAL_MS`: how often the CloudWatch sinks send (default 60000). */
  readonly intervalMs: number;
  /** Where CloudWatch is (`AWS_ENDPOINT_URL_CLOUDWATCH`, `AWS_REGION`), for `cloudwatch`. */
  readonly cloudwatch: { readonly region: string; readonly endpoint: string | undefined };
}

/**
 * The effective configuration: every setting Kairos reads from the environment, read once and
 * validated by `loadConfig` (CLI flags override some of them; `docs/configuration.md`).
 */
export interface Config {
  /** Embedded state folder (`KAIROS_HOME`, default `./var`). */
  readonly home: string;
  /** Postgres URL (`DATABASE_URL`); absent means embedded PGlite under `home/db`. */
  readonly databaseUrl: string | undefined;
  /** Postgres schema to use (`DATABASE_SCHEMA`, created when missing); absent: the default. */
  readonly databaseSchema: string | undefined;
  /**
   * `DATABASE_IDLE_IN_TRANSACTION_MS` (default 10000): Postgres ends a session left idle inside a
   * transaction this long (a paused or partitioned process) and rolls it back, freeing its locks.
   */
  readonly databaseIdleInTransactionMs: number;
  /** A PGlite data-folder dump a new embedded database starts from (`KAIROS_PGLITE_TEMPLATE`). */
  readonly pgliteTemplate: string | undefined;
  /** Redis URL (`REDIS_URL`): shared caches and rate limits; absent means in memory. */
  readonly redisUrl: string | undefined;
  /**
   * The prefix of every Redis and Memcached key of the service (`KAIROS_REDIS_PREFIX`, default
   * `kairos:`): deployments with different prefixes share one Redis or Memcached without hearing
   * each other.
   */
  readonly redisPrefix: string;
  /** Memcached servers (`MEMCACHED_SERVERS`, `host:port,host:port`): a shared cache. */
  readonly memcachedServers: string | undefined;
  /**
   * The load balancers in front (`TRUST_PROXY`): their addresses or CIDR ranges, or how many
   * hops of `X-Forwarded-For` to believe; a request from one of them is the client's address in
   * that header (rate limits, logs). Absent: the connection's address, the header ignored.
   */
  readonly trustProxy: readonly string[] | number | undefined;
  /** The least severe level logged (`LOG_LEVEL`, default `info`). */
  readonly logLevel: LogLevel;
  /** `kairos serve`'s port (`PORT`; `--port` wins; neither: 8080). */
  readonly port: number | undefined;
  /** `GET /health/ready` (`docs/operations.md`). */
  readonly readiness: ReadinessSettings;
  /** Several `kairos serve` instances on one Postgres (`docs/scalability.md`, "Ownership"). */
  readonly instances: InstanceSettings;
  /**
   * `KAIROS_WS_RESUME_EVENTS`: how many frames the event log keeps per channel (an account's,
   * an instrument's bars), the bound within which a WebSocket client resumes (default 10000).
   */
  readonly wsResumeEvents: number;
  /**
   * `KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS` (`serve --ws-max-connections-per-address` wins): the
   * most WebSocket connections one client address holds open on the instance (default 50).
   */
  readonly wsMaxConnectionsPerAddress: number;
  /**
   * How a strategy instance resumed on a venue-fed account warms on the venue's closed bars:
   * `KAIROS_WARM_BARS` (at most that many, 1-999; default the strategy's history, else 500) and
   * `KAIROS_WARM_WAIT_MS` (how long it waits for them before resuming cold; default 10000).
   */
  readonly strategyWarm: { readonly bars: number | undefined; readonly waitMs: number };
  /**
   * Where `kairos serve` runs each strategy instance not on Lambda: `KAIROS_STRATEGY_THREADS`
   * (0, the default: on the server's event loop, null here; 1: each on its own worker thread), with
   * `KAIROS_STRATEGY_TIMEOUT_MS` (how long one call may take, default 10000) and
   * `KAIROS_STRATEGY_MEMORY_MB` (the thread's heap, default 512).
   */
  readonly strategyThreads: StrategyThreadLimits | null;
  /**
   * The limits of each background backtest's thread (`POST /backtests`):
   * `KAIROS_BACKTEST_TIMEOUT_MS` (default 1800000, 30 minutes) and `KAIROS_BACKTEST_MEMORY_MB`
   * (default 2048).
   */
  readonly backtestLimits: BacktestThreadLimits;
  /**
   * `KAIROS_CLOSED_ORDER_RETENTION_MS` (`--closed-order-retention-ms` wins): how long, in ms of
   * the mode's clock, a closed order stays held by the OMS, the ccxt client and a strategy's
   * `ctx.order` (default 600000, 10 minutes; {@link CLOSED_ORDER_RETENTION_RULE}).
   */
  readonly closedOrderRetentionMs: number;
  /** Venue keys and addresses (`EXCHANGE_*`). */
  readonly exchange: ExchangeSettings;
  /** `KAIROS_ADMIN_PASSWORD`: the password `kairos user create-admin` gives (else stdin). */
  readonly adminPassword: Secret | undefined;
  /** `KAIROS_USER_PASSWORD`: the password `kairos user create` gives (else stdin). */
  readonly userPassword: Secret | undefined;
  /** `KAIROS_FAILPOINT` (fault tests only): `<point>:<n>` kills the process at the nth hit. */
  readonly failpoint: string | undefined;
  /** Who the CLI's audited changes are recorded as when `--actor` is not given (`USER`, else `cli`). */
  readonly actor: string;
  /** `KAIROS_DEV=1`: `bin/kairos.js` runs the TypeScript sources even when a build is fresh. */
  readonly dev: boolean;
  /** S3: endpoint, region, the bucket (`S3_BUCKET`, `AWS_*`). */
  readonly objectStore: ObjectStoreSettings;
  /**
   * Where Lambda is (strategies as Lambda functions, `docs/cloud.md`), and `LAMBDA_ROLE_ARN`: the
   * IAM role a function created by a deploy runs as (`--role` wins; the API's deploys use it).
   */
  readonly lambda: {
    /** `AWS_REGION`; absent: the SDK's chain (the profile's region), us-east-1 with an endpoint. */
    readonly region: string | undefined;
    readonly endpoint: string | undefined;
    readonly role: string | undefined;
  };
  /** Field-encryption keys in AWS KMS (`KMS_KEY_ID`, `AWS_ENDPOINT_URL_KMS`; `docs/encryption.md`). */
  readonly kms: {
    /** `KMS_KEY_ID`: wraps new values when set; absent: the local keyring. */
    readonly keyId: string | undefined;
    readonly region: string;
    readonly endpoint: string | undefined;
  };
  /** Metrics: the sink and the `/metrics` listener (`KAIROS_METRICS`, `METRICS_*`). */
  readonly metrics: MetricsSettings;
}

/** How instances share the accounts and stop (`docs/scalability.md`, "Ownership"). */
export interface InstanceSettings {
  /** `KAIROS_LEASE_TTL_MS`: an account lease's (and an instance heartbeat's) time to live (default 10000). */
  readonly leaseTtlMs: number;
  /** `KAIROS_DRAIN_TIMEOUT_MS`: the longest a SIGTERM drain waits for requests and orders in flight (default 30000). */
  readonly drainTimeoutMs: number;
}

/** What `GET /health/ready` tolerates (`docs/operations.md`). */
export interface ReadinessSettings {
  /** `KAIROS_READY_UNRESOLVED_MAX_MS`: the longest an order's outcome may stay unknown (default 30000). */
  readonly unresolvedMaxMs: number;
  /** `KAIROS_READY_TIMEOUT_MS`: each probe's time limit (default 1000). */
  readonly timeoutMs: number;
}

/** One environment variable: its name, its rule and its default, as `docs/configuration.md` lists them. */
export interface Setting {
  readonly variable: string;
  readonly rule: string;
  readonly default: string;
  readonly secret: boolean;
}

/**
 * The closed-order window's bounds. At least a minute: what waits on a closed order's record (a
 * held terminal report, 5 fetches 1 s apart; a look-up's 5 s grace; a reconnect's catch-up, which
 * reads the minute before the last fill) must find it, and the OMS sweeps at most once a minute.
 * At most a day: the OMS, the ccxt client and a restart hold every order closed within it.
 */
export const CLOSED_ORDER_RETENTION_MIN_MS = 60_000;
export const CLOSED_ORDER_RETENTION_MAX_MS = 86_400_000;
export const CLOSED_ORDER_RETENTION_RULE = `an integer ${CLOSED_ORDER_RETENTION_MIN_MS}-${CLOSED_ORDER_RETENTION_MAX_MS} (ms: 1 minute to 1 day)`;

/**
 * A closed-order window as written (`KAIROS_CLOSED_ORDER_RETENTION_MS`, `--closed-order-retention-ms`):
 * its milliseconds, or null when it breaks {@link CLOSED_ORDER_RETENTION_RULE}.
 *
 * @example
 * closedOrderRetention('60000'); // 60000
 * closedOrderRetention('10m'); // null
 */
export function closedOrderRetention(value: string): number | null {
  const n = Number(value);
  return /^\d+$/.test(value) &&
    n >= CLOSED_ORDER_RETENTION_MIN_MS &&
    n <= CLOSED_ORDER_RETENTION_MAX_MS
    ? n
    : null;
}

/** `KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS`: its default and its bound. */
const WS_MAX_CONNECTIONS_PER_ADDRESS = 50;
const WS_MAX_CONNECTIONS_MAX = 100_000;
export const WS_MAX_CONNECTIONS_RULE = `an integer 1-${WS_MAX_CONNECTIONS_MAX}`;

/** Every environment variable Kairos reads (`docs/configuration.md` has one row for each). */
export const SETTINGS: readonly Setting[] = [
  { variable: 'KAIROS_HOME', rule: 'a folder', default: './var', secret: false },
  {
    variable: 'DATABASE_URL',
    rule: 'a postgres:// or postgresql:// URL',
    default: 'embedded PGlite in $KAIROS_HOME/db',
    secret: true,
  },
  {
    variable: 'DATABASE_SCHEMA',
    rule: 'lower-case letters, digits and _ (at most 63)',
    default: 'the default schema',
    secret: false,
  },
  {
    variable: 'DATABASE_IDLE_IN_TRANSACTION_MS',
    rule: 'an integer 1000-600000',
    default: '10000',
    secret: false,
  },
  {
    variable: 'KAIROS_PGLITE_TEMPLATE',
    rule: 'an existing file (a PGlite data-folder dump, tar) or a closed PGlite data folder',
    default: 'a new embedded database runs initdb',
    secret: false,
  },
  {
    variable: 'REDIS_URL',
    rule: 'a redis:// or rediss:// URL',
    default: 'in-memory caches and budgets',
    secret: true,
  },
  {
    variable: 'KAIROS_REDIS_PREFIX',
    rule: REDIS_PREFIX_RULE,
    default: 'kairos:',
    secret: false,
  },
  {
    variable: 'MEMCACHED_SERVERS',
    rule: 'host[:port] (port 1-65535), servers separated by commas',
    default: 'none',
    secret: true,
  },
  {
    variable: 'TRUST_PROXY',
    rule: 'the load balancers in front: IP addresses or CIDR ranges separated by commas, or a hop count 1-10',
    default: "none: a client is the connection's address, X-Forwarded-For ignored",
    secret: false,
  },
  { variable: 'LOG_LEVEL', rule: LOG_LEVELS.join(', '), default: 'info', secret: false },
  { variable: 'PORT', rule: 'an integer 0-65535', default: '8080', secret: false },
  {
    variable: 'KAIROS_READY_UNRESOLVED_MAX_MS',
    rule: 'an integer 1-86400000',
    default: '30000',
    secret: false,
  },
  {
    variable: 'KAIROS_READY_TIMEOUT_MS',
    rule: 'an integer 1-60000',
    default: '1000',
    secret: false,
  },
  {
    variable: 'KAIROS_LEASE_TTL_MS',
    rule: 'an integer 1000-600000',
    default: '10000',
    secret: false,
  },
  {
    variable: 'KAIROS_DRAIN_TIMEOUT_MS',
    rule: 'an integer 1-600000',
    default: '30000',
    secret: false,
  },
  {
    variable: 'KAIROS_WARM_BARS',
    rule: 'an integer 1-999',
    default: "the strategy's history, else 500",
    secret: false,
  },
  {
    variable: 'KAIROS_WARM_WAIT_MS',
    rule: 'an integer 1-600000',
    default: '10000',
    secret: false,
  },
  {
    variable: 'KAIROS_BACKTEST_TIMEOUT_MS',
    rule: 'an integer 1-86400000',
    default: '1800000',
    secret: false,
  },
  {
    variable: 'KAIROS_BACKTEST_MEMORY_MB',
    rule: 'an integer 32-65536',
    default: '2048',
    secret: false,
  },
  { variable: 'KAIROS_STRATEGY_THREADS', rule: '0 or 1', default: '0', secret: false },
  {
    variable: 'KAIROS_STRATEGY_TIMEOUT_MS',
    rule: 'an integer 1-3600000',
    default: '10000',
    secret: false,
  },
  {
    variable: 'KAIROS_STRATEGY_MEMORY_MB',
    rule: 'an integer 32-16384',
    default: '512',
    secret: false,
  },
  {
    variable: 'KAIROS_WS_RESUME_EVENTS',
    rule: 'an integer 1-1000000',
    default: '10000',
    secret: false,
  },
  {
    variable: 'KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS',
    rule: WS_MAX_CONNECTIONS_RULE,
    default: String(WS_MAX_CONNECTIONS_PER_ADDRESS),
    secret: false,
  },
  {
    variable: 'KAIROS_CLOSED_ORDER_RETENTION_MS',
    rule: CLOSED_ORDER_RETENTION_RULE,
    default: String(CLOSED_ORDER_RETENTION_MS),
    secret: false,
  },
  { variable: 'EXCHANGE_API_KEY', rule: 'any text', default: 'none', secret: true },
  { variable: 'EXCHANGE_SECRET', rule: 'any text', default: 'none', secret: true },
  { variable: 'EXCHANGE_PASSWORD', rule: 'any text', default: 'none', secret: true },
  {
    variable: 'EXCHANGE_CREDENTIAL',
    rule: 'a stored credential id or label',
    default: 'none',
    secret: false,
  },
  {
    variable: 'EXCHANGE_URL',
    rule: 'an http:// or https:// URL',
    default: 'the venue',
    secret: false,
  },
  {
    variable: 'EXCHANGE_RATE_LIMIT_MS',
    rule: 'an integer 1-60000',
    default: "the venue's (ccxt)",
    secret: false,
  },
  {
    variable: 'EXCHANGE_CIRCUIT_HALF_OPEN_MS',
    rule: 'an integer 1-600000',
    default: '30000',
    secret: false,
  },
  { variable: 'EXCHANGE_SANDBOX', rule: '0 or 1', default: '0', secret: false },
  {
    variable: 'KAIROS_LIVE_CONFIRM_MS',
    rule: 'an integer 1-600000',
    default: '2000',
    secret: false,
  },
  {
    variable: 'KAIROS_VENUES',
    rule: 'ccxt exchange ids, comma-separated',
    default: 'none',
    secret: false,
  },
  {
    variable: 'KAIROS_ADMIN_PASSWORD',
    rule: 'the password policy',
    default: 'stdin',
    secret: true,
  },
  { variable: 'KAIROS_USER_PASSWORD', rule: 'the password policy', default: 'stdin', secret: true },
  { variable: 'KAIROS_FAILPOINT', rule: '<point>:<n ≥ 1>', default: 'none', secret: false },
  { variable: 'USER', rule: 'any text', default: 'cli', secret: false },
  { variable: 'KAIROS_DEV', rule: '0 or 1', default: '0', secret: false },
  {
    variable: 'S3_BUCKET',
    rule: 'a bucket name or s3://bucket/prefix',
    default: 'none (local folders under $KAIROS_HOME)',
    secret: false,
  },
  {
    variable: 'AWS_ENDPOINT_URL_S3',
    rule: 'an http:// or https:// URL',
    default: 'AWS_ENDPOINT_URL, else AWS',
    secret: false,
  },
  {
    variable: 'AWS_ENDPOINT_URL',
    rule: 'an http:// or https:// URL',
    default: "AWS's own endpoints",
    secret: false,
  },
  {
    variable: 'AWS_REGION',
    rule: 'a region such as eu-west-1',
    default: 'the AWS profile; us-east-1 with an endpoint',
    secret: false,
  },
  {
    variable: 'S3_FORCE_PATH_STYLE',
    rule: '0 or 1',
    default: '1 with an endpoint, else 0',
    secret: false,
  },
  {
    variable: 'AWS_ENDPOINT_URL_LAMBDA',
    rule: 'an http:// or https:// URL',
    default: 'AWS_ENDPOINT_URL, else AWS Lambda of AWS_REGION',
    secret: false,
  },
  { variable: 'KMS_KEY_ID', rule: KMS_KEY_ID_RULE, default: 'none (local keys)', secret: false },
  {
    variable: 'AWS_ENDPOINT_URL_KMS',
    rule: 'an http:// or https:// URL',
    default: 'AWS_ENDPOINT_URL, else AWS KMS of AWS_REGION',
    secret: false,
  },
  {
    variable: 'LAMBDA_ROLE_ARN',
    rule: 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    default: 'none (--role; a local endpoint needs none)',
    secret: false,
  },
  {
    variable: 'KAIROS_METRICS',
    rule: METRICS_SINKS.join(', '),
    default: 'prometheus',
    secret: false,
  },
  {
    variable: 'METRICS_PORT',
    rule: 'an integer 0-65535',
    default: 'none (no /metrics listener)',
    secret: false,
  },
  { variable: 'METRICS_HOST', rule: 'an address to bind', default: '127.0.0.1', secret: false },
  {
    variable: 'KAIROS_METRICS_NAMESPACE',
    rule: '1-255 characters of letters, digits and ._-/#:, not starting with AWS/',
    default: 'Kairos',
    secret: false,
  },
  {
    variable: 'KAIROS_METRICS_DIMENSIONS',
    rule: 'Name=value pairs separated by commas (at most 10; letters, digits and ._-:/ each)',
    default: 'Service=kairos',
    secret: false,
  },
  {
    variable: 'KAIROS_METRICS_INTERVAL_MS',
    rule: 'an integer 1000-3600000',
    default: '60000',
    secret: false,
  },
  {
    variable: 'AWS_ENDPOINT_URL_CLOUDWATCH',
    rule: 'an http:// or https:// URL',
    default: 'AWS_ENDPOINT_URL, else CloudWatch of AWS_REGION',
    secret: false,
  },
];

function invalid(variable: string, rule: string): KairosError {
  return new KairosError('CONFIG_INVALID', `${variable}: ${rule}`);
}

/** A trimmed value; empty counts as unset. */
function text(env: Environment, variable: string): string | undefined {
  return env[variable]?.trim() || undefined;
}

/** A secret as given (not trimmed); empty counts as unset. */
function secret(env: Environment, variable: string): Secret | undefined {
  const v = env[variable];
  return v === undefined || v === '' ? undefined : new Secret(v);
}

/**
 * Reads and validates the configuration; a bad setting throws `CONFIG_INVALID` naming it and
 * its rule. An empty variable counts as unset.
 *
 * @example
 * const config = loadConfig({ KAIROS_HOME: '/srv/kairos', LOG_LEVEL: 'debug' });
 */
export function loadConfig(env: Environment): Config {
  const url = text(env, 'DATABASE_URL');
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    throw invalid('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }
  const schema = text(env, 'DATABASE_SCHEMA');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw invalid('DATABASE_SCHEMA', 'must be lower-case letters, digits and _ (at most 63)');
  }
  const template = text(env, 'KAIROS_PGLITE_TEMPLATE');
  if (template !== undefined && !existsSync(template)) {
    throw invalid(
      'KAIROS_PGLITE_TEMPLATE',
      'must be an existing file (a PGlite data-folder dump) or a PGlite data folder',
    );
  }
  return {
    home: path.resolve(text(env, 'KAIROS_HOME') ?? 'var'),
    databaseUrl: url,
    databaseSchema: schema,
    databaseIdleInTransactionMs: atLeastASecond(env, 'DATABASE_IDLE_IN_TRANSACTION_MS', 10_000),
    pgliteTemplate: template === undefined ? undefined : path.resolve(template),
    redisUrl: redisUrl(env.REDIS_URL),
    redisPrefix: redisPrefix(env.KAIROS_REDIS_PREFIX),
    memcachedServers: memcachedServers(env.MEMCACHED_SERVERS),
    trustProxy: trustProxy(text(env, 'TRUST_PROXY')),
    logLevel: logLevel(text(env, 'LOG_LEVEL')),
    port: port(text(env, 'PORT')),
    readiness: {
      unresolvedMaxMs: boundedInteger(env, 'KAIROS_READY_UNRESOLVED_MAX_MS', 86_400_000, 30_000),
      timeoutMs: boundedInteger(env, 'KAIROS_READY_TIMEOUT_MS', 60_000, 1_000),
    },
    instances: {
      leaseTtlMs: atLeastASecond(env, 'KAIROS_LEASE_TTL_MS', 10_000),
      drainTimeoutMs: boundedInteger(env, 'KAIROS_DRAIN_TIMEOUT_MS', 600_000, 30_000),
    },
    wsResumeEvents: boundedInteger(env, 'KAIROS_WS_RESUME_EVENTS', 1_000_000, 10_000),
    wsMaxConnectionsPerAddress: boundedInteger(
      env,
      'KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS',
      WS_MAX_CONNECTIONS_MAX,
      WS_MAX_CONNECTIONS_PER_ADDRESS,
    ),
    strategyWarm: {
      bars:
        text(env, 'KAIROS_WARM_BARS') === undefined
          ? undefined
          : boundedInteger(env, 'KAIROS_WARM_BARS', 999, 0),
      waitMs: boundedInteger(env, 'KAIROS_WARM_WAIT_MS', 600_000, 10_000),
    },
    strategyThreads: strategyThreads(env),
    backtestLimits: {
      timeoutMs: boundedInteger(
        env,
        'KAIROS_BACKTEST_TIMEOUT_MS',
        86_400_000,
        BACKTEST_LIMITS.timeoutMs,
      ),
      memoryMb: megabytes(env, 'KAIROS_BACKTEST_MEMORY_MB', 65_536, BACKTEST_LIMITS.memoryMb),
    },
    closedOrderRetentionMs: closedOrderRetentionMs(text(env, 'KAIROS_CLOSED_ORDER_RETENTION_MS')),
    exchange: {
      apiKey: secret(env, 'EXCHANGE_API_KEY'),
      secret: secret(env, 'EXCHANGE_SECRET'),
      password: secret(env, 'EXCHANGE_PASSWORD'),
      credential: text(env, 'EXCHANGE_CREDENTIAL'),
      url: httpUrl('EXCHANGE_URL', text(env, 'EXCHANGE_URL')),
      rateLimitMs:
        text(env, 'EXCHANGE_RATE_LIMIT_MS') === undefined
          ? undefined
          : boundedInteger(env, 'EXCHANGE_RATE_LIMIT_MS', 60_000, 0),
      circuitHalfOpenMs:
        text(env, 'EXCHANGE_CIRCUIT_HALF_OPEN_MS') === undefined
          ? undefined
          : boundedInteger(env, 'EXCHANGE_CIRCUIT_HALF_OPEN_MS', 600_000, 0),
      sandbox: zeroOrOne('EXCHANGE_SANDBOX', text(env, 'EXCHANGE_SANDBOX')),
      liveConfirmMs:
        text(env, 'KAIROS_LIVE_CONFIRM_MS') === undefined
          ? undefined
          : boundedInteger(env, 'KAIROS_LIVE_CONFIRM_MS', 600_000, 0),
      venues: venueList(text(env, 'KAIROS_VENUES')),
    },
    adminPassword: secret(env, 'KAIROS_ADMIN_PASSWORD'),
    userPassword: secret(env, 'KAIROS_USER_PASSWORD'),
    failpoint: failpoint(text(env, 'KAIROS_FAILPOINT')),
    actor: text(env, 'USER') ?? 'cli',
    dev: zeroOrOne('KAIROS_DEV', text(env, 'KAIROS_DEV')),
    objectStore: objectStore(env),
    lambda: lambdaSettings(env),
    kms: {
      keyId: kmsKeyId(text(env, 'KMS_KEY_ID'), text(env, 'KAIROS_KMS_KEY_ID')),
      region: objectStore(env).region ?? 'us-east-1',
      endpoint:
        httpUrl('AWS_ENDPOINT_URL_KMS', text(env, 'AWS_ENDPOINT_URL_KMS')) ??
        httpUrl('AWS_ENDPOINT_URL', text(env, 'AWS_ENDPOINT_URL')),
    },
    metrics: {
      sink: metricsSink(text(env, 'KAIROS_METRICS')),
      port: port(text(env, 'METRICS_PORT'), 'METRICS_PORT'),
      host: text(env, 'METRICS_HOST') ?? '127.0.0.1',
      namespace: metricsNamespace(text(env, 'KAIROS_METRICS_NAMESPACE')),
      dimensions: metricsDimensions(text(env, 'KAIROS_METRICS_DIMENSIONS')),
      intervalMs: intervalMs(env),
      cloudwatch: {
        region: objectStore(env).region ?? 'us-east-1',
        endpoint:
          httpUrl('AWS_ENDPOINT_URL_CLOUDWATCH', text(env, 'AWS_ENDPOINT_URL_CLOUDWATCH')) ??
          httpUrl('AWS_ENDPOINT_URL', text(env, 'AWS_ENDPOINT_URL')),
      },
    },
  };
}

function closedOrderRetentionMs(value: string | undefined): number {
  if (value === undefined) return CLOSED_ORDER_RETENTION_MS;
  const ms = closedOrderRetention(value);
  if (ms === null)
    throw invalid(
      'KAIROS_CLOSED_ORDER_RETENTION_MS',
      `must be ${CLOSED_ORDER_RETENTION_RULE}, was "${value}"`,
    );
  return ms;
}

function kmsKeyId(value: string | undefined, misnamed: string | undefined): string | undefined {
  // The issue named it KAIROS_KMS_KEY_ID: ignoring that name would keep secrets under local keys
  // while the operator believes they are in KMS, so it is refused, not ignored.
  if (misnamed !== undefined)
    throw invalid(
      'KAIROS_KMS_KEY_ID',
      'not a setting: the KMS key is KMS_KEY_ID (docs/configuration.md); unset KAIROS_KMS_KEY_ID',
    );
  if (value !== undefined && !isKmsKeyId(value))
    throw invalid('KMS_KEY_ID', `must be ${KMS_KEY_ID_RULE}, was "${value}"`);
  return value;
}

/**
 * Where Lambda is. Without `AWS_REGION` the SDK finds the region as for S3 (the profile's), so a
 * deploy to AWS lands in the quant's region, not silently in us-east-1; a custom endpoint (such as
 * `kairos lambda serve`) gets us-east-1, the local endpoint's default.
 */
function lambdaSettings(env: Environment): Config['lambda'] {
  const endpoint =
    httpUrl('AWS_ENDPOINT_URL_LAMBDA', text(env, 'AWS_ENDPOINT_URL_LAMBDA')) ??
    httpUrl('AWS_ENDPOINT_URL', text(env, 'AWS_ENDPOINT_URL'));
  return {
    region: objectStore(env).region ?? (endpoint !== undefined ? 'us-east-1' : undefined),
    endpoint,
    role: roleArn(text(env, 'LAMBDA_ROLE_ARN')),
  };
}

/** `LAMBDA_ROLE_ARN`: an IAM role ARN, any partition. */
function roleArn(value: string | undefined): string | undefined {
  if (value !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(value))
    throw invalid(
      'LAMBDA_ROLE_ARN',
      `must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>), was "${value}"`,
    );
  return value;
}

function metricsNamespace(value: string | undefined): string {
  if (value === undefined) return 'Kairos';
  if (!/^[\w.\-/#:]{1,255}$/.test(value) || value.startsWith('AWS/'))
    throw invalid(
      'KAIROS_METRICS_NAMESPACE',
      `must be 1-255 characters of letters, digits and ._-/#:, not starting with AWS/, was "${value}"`,
    );
  return value;
}

function metricsDimensions(value: string | undefined): Record<string, string> {
  if (value === undefined) return { Service: 'kairos' };
  const pairs = value === '' ? [] : value.split(',');
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z][\w.\-:/]{0,254})=([\w.\-:/]{1,255})$/.exec(pair.trim());
    if (!m || Object.hasOwn(out, m[1]!))
      throw invalid(
        'KAIROS_METRICS_DIMENSIONS',
        `must be Name=value pairs separated by commas, each name once (letters, digits and ._-:/), was "${value}"`,
      );
    out[m[1]!] = m[2]!;
  }
  if (Object.keys(out).length > 10)
    throw invalid('KAIROS_METRICS_DIMENSIONS', `at most 10 dimensions, was ${pairs.length}`);
  return out;
}

function intervalMs(env: Environment): number {
  const value = text(env, 'KAIROS_METRICS_INTERVAL_MS');
  if (value === undefined) return 60_000;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1000 || n > 3_600_000)
    throw invalid('KAIROS_METRICS_INTERVAL_MS', `must be an integer 1000-3600000, was "${value}"`);
  return n;
}

function metricsSink(value: string | undefined): MetricsSink {
  if (value === undefined) return 'prometheus';
  const sink = METRICS_SINKS.find((s) => s === value.toLowerCase());
  if (sink === undefined)
    throw invalid('KAIROS_METRICS', `must be one of ${METRICS_SINKS.join(', ')}, was "${value}"`);
  return sink;
}

function objectStore(env: Environment): ObjectStoreSettings {
  const endpoint =
    httpUrl('AWS_ENDPOINT_URL_S3', text(env, 'AWS_ENDPOINT_URL_S3')) ??
    httpUrl('AWS_ENDPOINT_URL', text(env, 'AWS_ENDPOINT_URL'));
  const region = text(env, 'AWS_REGION');
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw invalid('AWS_REGION', `must be a region such as eu-west-1, was "${region}"`);
  }
  const given = text(env, 'S3_BUCKET');
  let bucket: string | undefined;
  if (given !== undefined) {
    try {
      bucket = s3Url(parseS3Url(isS3Url(given) ? given : `s3://${given}`));
    } catch (e) {
      throw invalid('S3_BUCKET', (e as Error).message);
    }
  }
  const pathStyle = text(env, 'S3_FORCE_PATH_STYLE');
  return {
    bucket,
    endpoint,
    region,
    forcePathStyle:
      pathStyle === undefined
        ? endpoint !== undefined
        : zeroOrOne('S3_FORCE_PATH_STYLE', pathStyle),
  };
}

function redisUrl(value: string | undefined): string | undefined {
  const url = value?.trim() || undefined;
  if (url !== undefined && !/^rediss?:\/\/[^/\s]+/.test(url)) {
    throw invalid('REDIS_URL', 'must be a redis:// or rediss:// URL');
  }
  return url;
}

function redisPrefix(value: string | undefined): string {
  if (value === undefined || value === '') return 'kairos:';
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(value))
    throw invalid('KAIROS_REDIS_PREFIX', `must be ${REDIS_PREFIX_RULE}, was "${value}"`);
  return value;
}

const MEMCACHED_SERVER = /^(?:[^:@,\s]+:[^@,\s]*@)?[A-Za-z0-9.-]+(?::(\d{1,5}))?$/;

function memcachedServers(value: string | undefined): string | undefined {
  const list = value?.trim() || undefined;
  if (list === undefined) return undefined;
  for (const server of list.split(',')) {
    const match = MEMCACHED_SERVER.exec(server.trim());
    const port = Number(match?.[1] ?? 11211);
    if (match === null || port < 1 || port > 65535) {
      throw invalid(
        'MEMCACHED_SERVERS',
        `"${server.trim().replace(/:[^@]*@/, ':***@')}" must be host[:port] (port 1-65535), servers separated by commas`,
      );
    }
  }
  return list;
}

const TRUST_PROXY_RULE =
  'must be IP addresses or CIDR ranges separated by commas (e.g. 10.0.0.0/16), or a hop count 1-10';

function trustProxy(value: string | undefined): readonly string[] | number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops < 1 || hops > 10) throw invalid('TRUST_PROXY', TRUST_PROXY_RULE);
    return hops;
  }
  const list = value.split(',').map((x) => x.trim());
  for (const entry of list) {
    const [address, bits, ...more] = entry.split('/');
    const version = isIP(address ?? '');
    const max = version === 6 ? 128 : 32;
    if (
      version === 0 ||
      more.length > 0 ||
      (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > max))
    )
      throw invalid('TRUST_PROXY', `"${entry}" ${TRUST_PROXY_RULE}`);
  }
  return list;
}

function logLevel(value: string | undefined): LogLevel {
  if (value === undefined) return 'info';
  const level = value.toLowerCase();
  if (!isLogLevel(level))
    throw invalid('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, was "${value}"`);
  return level;
}

function port(value: string | undefined, variable = 'PORT'): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw invalid(variable, `must be an integer 0-65535 (0: any free port), was "${value}"`);
  return n;
}

/**
 * An integer 1000-600000 ms: `KAIROS_LEASE_TTL_MS` (renewed every third of it, so under a second
 * would renew too often), `DATABASE_IDLE_IN_TRANSACTION_MS` (under a second would end the
 * transactions of a process merely slowed down).
 */
function atLeastASecond(env: Environment, variable: string, fallback: number): number {
  const value = text(env, variable);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1000 || n > 600_000)
    throw invalid(variable, `must be an integer 1000-600000, was "${value}"`);
  return n;
}

/**
 * A per-address WebSocket connection limit given as text (the variable or `serve`'s flag): the
 * number, or null when it breaks `WS_MAX_CONNECTIONS_RULE`.
 *
 * @example
 * wsMaxConnections('50'); // 50
 */
export function wsMaxConnections(value: string): number | null {
  const n = Number(value);
  return /^\d+$/.test(value) && n >= 1 && n <= WS_MAX_CONNECTIONS_MAX ? n : null;
}

function boundedInteger(env: Environment, variable: string, max: number, fallback: number): number {
  const value = text(env, variable);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max)
    throw invalid(variable, `must be an integer 1-${max}, was "${value}"`);
  return n;
}

/** `KAIROS_VENUES`: ccxt exchange ids, comma-separated (`binance,kraken`). */
function venueList(value: string | undefined): readonly string[] {
  if (value === undefined) return [];
  const ids = value.split(',').map((v) => v.trim());
  const bad = ids.find((id) => !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(id));
  if (bad !== undefined)
    throw new KairosError(
      'CONFIG_INVALID',
      `KAIROS_VENUES: ${JSON.stringify(bad)} is not a ccxt exchange id (comma-separated, e.g. binance,kraken)`,
    );
  return ids;
}

function httpUrl(variable: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw invalid(variable, `must be an http:// or https:// URL, was "${value}"`);
  return value;
}

function failpoint(value: string | undefined): string | undefined {
  if (value !== undefined && !/^[a-z][a-z-]*:[1-9]\d*$/.test(value))
    throw invalid('KAIROS_FAILPOINT', `must be <point>:<n ≥ 1>, was "${value}"`);
  return value;
}

/** `KAIROS_STRATEGY_THREADS` and its limits (null: strategies on the server's event loop). */
function strategyThreads(env: Environment): StrategyThreadLimits | null {
  const memoryMb = megabytes(env, 'KAIROS_STRATEGY_MEMORY_MB', 16_384, 512);
  const limits = {
    callTimeoutMs: boundedInteger(env, 'KAIROS_STRATEGY_TIMEOUT_MS', 3_600_000, 10_000),
    memoryMb,
  };
  const on = zeroOrOne('KAIROS_STRATEGY_THREADS', text(env, 'KAIROS_STRATEGY_THREADS'));
  return on ? limits : null;
}

/** A thread's heap in MB: an integer 32-`max` (a smaller heap cannot start a thread's work). */
function megabytes(env: Environment, variable: string, max: number, fallback: number): number {
  const raw = text(env, variable);
  const n = raw === undefined ? fallback : Number(raw);
  if (raw !== undefined && (!/^\d+$/.test(raw) || n < 32 || n > max))
    throw invalid(variable, `must be an integer 32-${max}, was "${raw}"`);
  return n;
}

function zeroOrOne(variable: string, value: string | undefined): boolean {
  if (value === undefined || value === '0') return false;
  if (value === '1') return true;
  throw invalid(variable, `must be 0 or 1, was "${value}"`);
}

/** A URL's or a server list's passwords replaced by `***`. */
function maskUrl(value: string | undefined): string | null {
  return value === undefined ? null : value.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}

const masked = (s: Secret | undefined) => (s === undefined ? null : s.toString());

/**
 * The configuration as text for people, with secrets masked: API keys and passwords print as
 * `***` when set (null when not), URLs and server lists keep everything but their passwords.
 *
 * @example
 * maskedConfig(config); // { home: '/app/var', databaseUrl: 'postgres://kairos:***@db/kairos', ... }
 */
export function maskedConfig(config: Config): Record<string, string | number | boolean | null> {
  return {
    home: config.home,
    databaseUrl: maskUrl(config.databaseUrl),
    store: config.databaseUrl ? 'postgres' : `pglite (${path.join(config.home, 'db')})`,
    databaseSchema: config.databaseSchema ?? null,
    databaseIdleInTransactionMs: config.databaseIdleInTransactionMs,
    pgliteTemplate: config.pgliteTemplate ?? null,
    redisUrl: maskUrl(config.redisUrl),
    redisPrefix: config.redisPrefix,
    memcachedServers: config.memcachedServers
      ? config.memcachedServers.replace(/([^,:@\s]+):[^@,]*@/g, '$1:***@')
      : null,
    logLevel: config.logLevel,
    port: config.port ?? null,
    readyUnresolvedMaxMs: config.readiness.unresolvedMaxMs,
    readyTimeoutMs: config.readiness.timeoutMs,
    leaseTtlMs: config.instances.leaseTtlMs,
    drainTimeoutMs: config.instances.drainTimeoutMs,
    wsResumeEvents: config.wsResumeEvents,
    wsMaxConnectionsPerAddress: config.wsMaxConnectionsPerAddress,
    warmBars: config.strategyWarm.bars ?? null,
    warmWaitMs: config.strategyWarm.waitMs,
    backtestTimeoutMs: config.backtestLimits.timeoutMs,
    backtestMemoryMb: config.backtestLimits.memoryMb,
    strategyThreads: config.strategyThreads !== null,
    strategyTimeoutMs: config.strategyThreads?.callTimeoutMs ?? null,
    strategyMemoryMb: config.strategyThreads?.memoryMb ?? null,
    closedOrderRetentionMs: config.closedOrderRetentionMs,
    exchangeApiKey: masked(config.exchange.apiKey),
    exchangeSecret: masked(config.exchange.secret),
    exchangePassword: masked(config.exchange.password),
    exchangeCredential: config.exchange.credential ?? null,
    exchangeUrl: maskUrl(config.exchange.url),
    exchangeRateLimitMs: config.exchange.rateLimitMs ?? null,
    exchangeCircuitHalfOpenMs: config.exchange.circuitHalfOpenMs ?? null,
    exchangeSandbox: config.exchange.sandbox,
    liveConfirmMs: config.exchange.liveConfirmMs ?? null,
    venues: config.exchange.venues.join(',') || null,
    adminPassword: masked(config.adminPassword),
    userPassword: masked(config.userPassword),
    failpoint: config.failpoint ?? null,
    actor: config.actor,
    dev: config.dev,
    s3Bucket: config.objectStore.bucket ?? null,
    s3Endpoint: maskUrl(config.objectStore.endpoint),
    awsRegion: config.objectStore.region ?? null,
    s3ForcePathStyle: config.objectStore.forcePathStyle,
    lambdaRegion: config.lambda.region ?? null,
    lambdaEndpoint: config.lambda.endpoint ?? null,
    kmsKeyId: config.kms.keyId ?? null,
    kmsEndpoint: maskUrl(config.kms.endpoint),
    lambdaRole: config.lambda.role ?? null,
    metrics: config.metrics.sink,
    metricsPort: config.metrics.port ?? null,
    metricsHost: config.metrics.host,
    metricsNamespace: config.metrics.namespace,
    metricsDimensions: Object.entries(config.metrics.dimensions)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    metricsIntervalMs: config.metrics.intervalMs,
    cloudwatchEndpoint: maskUrl(config.metrics.cloudwatch.endpoint),
  };
}

/**
 * The `EXCHANGE_*` keys, revealed for `createExchange` (the ones not set are left out).
 *
 * @example
 * await createExchange({ exchangeId: 'binance', ...exchangeKeys(config) });
 */
export function exchangeKeys(config: Config): {
  apiKey?: string;
  secret?: string;
  password?: string;
} {
  const { apiKey, secret, password } = config.exchange;
  return {
    ...(apiKey === undefined ? {} : { apiKey: apiKey.reveal() }),
    ...(secret === undefined ? {} : { secret: secret.reveal() }),
    ...(password === undefined ? {} : { password: password.reveal() }),
  };
}
