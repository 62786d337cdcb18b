import path from 'node:path';
import { inspect } from 'node:util';
import { exchangeKeys, loadConfig, maskedConfig, SETTINGS } from '../../../src/system/config.js';
import { Secret } from '../../../src/system/secret.js';

const CANARY = 'canary-s3cr3t';

function configError(env: Record<string, string>): { code: string; message: string } {
  try {
    loadConfig(env);
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error(`no error for ${JSON.stringify(env)}`);
}

describe('Config', () => {
  it('has a default for every setting: embedded, quiet, no keys', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      home: path.resolve('var'),
      databaseUrl: undefined,
      logLevel: 'info',
      port: undefined,
      exchange: { apiKey: undefined, secret: undefined, password: undefined },
      adminPassword: undefined,
      userPassword: undefined,
      failpoint: undefined,
      actor: 'cli',
      dev: false,
    });
    expect(c.exchange.credential).toBeUndefined();
    expect(c.exchange.url).toBeUndefined();
  });

  it('reads every setting', () => {
    const c = loadConfig({
      KAIROS_HOME: '/srv/kairos',
      DATABASE_URL: 'postgres://k:pw@db/kairos',
      DATABASE_SCHEMA: 'k1',
      LOG_LEVEL: 'DEBUG',
      PORT: '0',
      EXCHANGE_API_KEY: 'key',
      EXCHANGE_SECRET: ' sec ',
      EXCHANGE_PASSWORD: 'pass',
      EXCHANGE_CREDENTIAL: 'main',
      EXCHANGE_URL: 'http://127.0.0.1:9444',
      EXCHANGE_RATE_LIMIT_MS: '5',
      EXCHANGE_CIRCUIT_HALF_OPEN_MS: '250',
      KAIROS_LIVE_CONFIRM_MS: '400',
      KAIROS_ADMIN_PASSWORD: 'admin pw',
      KAIROS_USER_PASSWORD: 'user pw',
      KAIROS_FAILPOINT: 'after-send:3',
      USER: 'rita',
      KAIROS_DEV: '1',
    });
    expect(c.home).toBe('/srv/kairos');
    expect(c.databaseSchema).toBe('k1');
    expect(c.logLevel).toBe('debug');
    expect(c.port).toBe(0);
    // Secrets are kept as given: a space may be part of one.
    expect(c.exchange.secret?.reveal()).toBe(' sec ');
    expect(exchangeKeys(c)).toEqual({ apiKey: 'key', secret: ' sec ', password: 'pass' });
    expect(c.exchange.credential).toBe('main');
    expect(c.exchange.url).toBe('http://127.0.0.1:9444');
    expect(c.exchange.rateLimitMs).toBe(5);
    // Unset: ccxt's own spacing of the venue.
    expect(loadConfig({}).exchange.rateLimitMs).toBeUndefined();
    expect(c.exchange.circuitHalfOpenMs).toBe(250);
    // Unset: the breaker's own 30 s.
    expect(loadConfig({}).exchange.circuitHalfOpenMs).toBeUndefined();
    expect(c.exchange.liveConfirmMs).toBe(400);
    // Unset: the live accounts' own 2 s.
    expect(loadConfig({}).exchange.liveConfirmMs).toBeUndefined();
    expect(c.adminPassword?.reveal()).toBe('admin pw');
    expect(c.userPassword?.reveal()).toBe('user pw');
    expect(c.failpoint).toBe('after-send:3');
    expect(c.actor).toBe('rita');
    expect(c.dev).toBe(true);
  });

  it('reads the metrics settings: sink (default prometheus), listener port and address', () => {
    expect(loadConfig({}).metrics).toEqual({
      sink: 'prometheus',
      port: undefined,
      host: '127.0.0.1',
      namespace: 'Kairos',
      dimensions: { Service: 'kairos' },
      intervalMs: 60_000,
      cloudwatch: { region: 'us-east-1', endpoint: undefined },
    });
    for (const sink of ['prometheus', 'emf', 'cloudwatch', 'off'] as const)
      expect(loadConfig({ KAIROS_METRICS: sink.toUpperCase() }).metrics.sink).toBe(sink);
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '10.0.1.7' }).metrics).toMatchObject({
      sink: 'prometheus',
      port: 9464,
      host: '10.0.1.7',
    });
  });

  it("reads Lambda's region: AWS_REGION, else the SDK's (the profile's) on AWS, us-east-1 on an endpoint", () => {
    expect(loadConfig({}).lambda).toEqual({
      region: undefined,
      endpoint: undefined,
      role: undefined,
    });
    expect(maskedConfig(loadConfig({}))).toMatchObject({
      lambdaRegion: null,
      lambdaEndpoint: null,
    });
    expect(loadConfig({ AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9001' }).lambda).toMatchObject({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9001',
    });
    expect(loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }).lambda.region).toBe(
      'us-east-1',
    );
    expect(
      loadConfig({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9001' })
        .lambda.region,
    ).toBe('eu-west-1');
    expect(loadConfig({ AWS_REGION: 'ap-south-1' }).lambda.region).toBe('ap-south-1');
  });

  it('reads the CloudWatch settings: namespace, deployment dimensions, interval, endpoint', () => {
    const m = loadConfig({
      KAIROS_METRICS: 'cloudwatch',
      KAIROS_METRICS_NAMESPACE: 'Kairos/prod',
      KAIROS_METRICS_DIMENSIONS: ' Service=kairos , Stage=prod,Cluster=eu-1 ',
      KAIROS_METRICS_INTERVAL_MS: '1000',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_CLOUDWATCH: 'http://127.0.0.1:4566',
    }).metrics;
    expect(m).toMatchObject({
      namespace: 'Kairos/prod',
      dimensions: { Service: 'kairos', Stage: 'prod', Cluster: 'eu-1' },
      intervalMs: 1000,
      cloudwatch: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566' },
    });
    for (const [variable, value] of [
      ['KAIROS_METRICS_DIMENSIONS', 'Stage'],
      ['KAIROS_METRICS_DIMENSIONS', 'Stage=a,Stage=b'],
      ['KAIROS_METRICS_DIMENSIONS', 'Stage=a b'],
      ['KAIROS_METRICS_DIMENSIONS', Array.from({ length: 11 }, (_, i) => `D${i}=x`).join(',')],
      ['KAIROS_METRICS_NAMESPACE', 'AWS/EC2'],
      ['KAIROS_METRICS_NAMESPACE', 'a b'],
      ['KAIROS_METRICS_INTERVAL_MS', '999'],
      ['KAIROS_METRICS_INTERVAL_MS', '3600001'],
      ['AWS_ENDPOINT_URL_CLOUDWATCH', 'ftp://x'],
    ] as const)
      expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}: `));
  });

  it('takes the load balancers to trust: addresses and CIDR ranges, or a hop count', () => {
    expect(loadConfig({}).trustProxy).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: ' 10.0.0.0/16, 127.0.0.1 ,::1/128' }).trustProxy).toEqual([
      '10.0.0.0/16',
      '127.0.0.1',
      '::1/128',
    ]);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
  });

  it('reads the Redis key prefix, default kairos:, and names its rule when bad', () => {
    expect(loadConfig({}).redisPrefix).toBe('kairos:');
    expect(loadConfig({ KAIROS_REDIS_PREFIX: 'staging:kairos:' }).redisPrefix).toBe(
      'staging:kairos:',
    );
    expect(maskedConfig(loadConfig({ KAIROS_REDIS_PREFIX: 'prod_1-' })).redisPrefix).toBe(
      'prod_1-',
    );
    for (const bad of ['has space', 'x'.repeat(65), 'a/b', 'é'])
      expect(() => loadConfig({ KAIROS_REDIS_PREFIX: bad })).toThrow(
        /KAIROS_REDIS_PREFIX: must be 1-64 characters of A-Z, a-z, 0-9, ":", "_" and "-"/,
      );
  });

  it('counts an empty variable as unset', () => {
    const empty = Object.fromEntries(SETTINGS.map((s) => [s.variable, '']));
    expect(loadConfig(empty)).toEqual(loadConfig({}));
    expect(exchangeKeys(loadConfig(empty))).toEqual({});
  });

  it.each([
    ['DATABASE_URL', 'mysql://db/k', 'DATABASE_URL: must be a postgres:// or postgresql:// URL'],
    ['DATABASE_SCHEMA', 'Kairos', 'DATABASE_SCHEMA: must be lower-case letters'],
    ['REDIS_URL', 'http://cache', 'REDIS_URL: must be a redis:// or rediss:// URL'],
    ['MEMCACHED_SERVERS', 'mc:0', 'MEMCACHED_SERVERS: "mc:0" must be host[:port]'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL: must be one of debug, info, warn, error, was "verbose"'],
    ['PORT', '65536', 'PORT: must be an integer 0-65535 (0: any free port), was "65536"'],
    ['PORT', '80.5', 'PORT: must be an integer 0-65535'],
    ['PORT', '-1', 'PORT: must be an integer 0-65535'],
    [
      'KAIROS_READY_UNRESOLVED_MAX_MS',
      '0',
      'KAIROS_READY_UNRESOLVED_MAX_MS: must be an integer 1-86400000, was "0"',
    ],
    ['KAIROS_READY_TIMEOUT_MS', '1.5', 'KAIROS_READY_TIMEOUT_MS: must be an integer 1-60000'],
    ['KAIROS_READY_TIMEOUT_MS', '60001', 'KAIROS_READY_TIMEOUT_MS: must be an integer 1-60000'],
    ['KAIROS_WARM_BARS', '0', 'KAIROS_WARM_BARS: must be an integer 1-999, was "0"'],
    ['KAIROS_WARM_BARS', '1000', 'KAIROS_WARM_BARS: must be an integer 1-999, was "1000"'],
    ['KAIROS_WARM_WAIT_MS', '2.5', 'KAIROS_WARM_WAIT_MS: must be an integer 1-600000'],
    ['KAIROS_WARM_WAIT_MS', '600001', 'KAIROS_WARM_WAIT_MS: must be an integer 1-600000'],
    [
      'KAIROS_BACKTEST_TIMEOUT_MS',
      '0',
      'KAIROS_BACKTEST_TIMEOUT_MS: must be an integer 1-86400000',
    ],
    [
      'KAIROS_BACKTEST_MEMORY_MB',
      '16',
      'KAIROS_BACKTEST_MEMORY_MB: must be an integer 32-65536, was "16"',
    ],
    ['KAIROS_STRATEGY_THREADS', 'yes', 'KAIROS_STRATEGY_THREADS: must be 0 or 1, was "yes"'],
    ['KAIROS_STRATEGY_TIMEOUT_MS', '0', 'KAIROS_STRATEGY_TIMEOUT_MS: must be an integer 1-3600000'],
    [
      'KAIROS_STRATEGY_MEMORY_MB',
      '31',
      'KAIROS_STRATEGY_MEMORY_MB: must be an integer 32-16384, was "31"',
    ],
    [
      'KAIROS_STRATEGY_MEMORY_MB',
      '16385',
      'KAIROS_STRATEGY_MEMORY_MB: must be an integer 32-16384, was "16385"',
    ],
    ['KAIROS_WS_RESUME_EVENTS', '0', 'KAIROS_WS_RESUME_EVENTS: must be an integer 1-1000000'],
    ['KAIROS_WS_RESUME_EVENTS', '1e4', 'KAIROS_WS_RESUME_EVENTS: must be an integer 1-1000000'],
    [
      'KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS',
      '0',
      'KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS: must be an integer 1-100000, was "0"',
    ],
    [
      'KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS',
      '100001',
      'KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS: must be an integer 1-100000, was "100001"',
    ],
    [
      'KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS',
      '2.5',
      'KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS: must be an integer 1-100000',
    ],
    ['EXCHANGE_URL', 'ws://127.0.0.1:9444', 'EXCHANGE_URL: must be an http:// or https:// URL'],
    ['EXCHANGE_URL', 'not a url', 'EXCHANGE_URL: must be an http:// or https:// URL'],
    ['EXCHANGE_RATE_LIMIT_MS', '0', 'EXCHANGE_RATE_LIMIT_MS: must be an integer 1-60000, was "0"'],
    ['EXCHANGE_RATE_LIMIT_MS', '2.5', 'EXCHANGE_RATE_LIMIT_MS: must be an integer 1-60000'],
    ['EXCHANGE_RATE_LIMIT_MS', '60001', 'EXCHANGE_RATE_LIMIT_MS: must be an integer 1-60000'],
    [
      'EXCHANGE_CIRCUIT_HALF_OPEN_MS',
      '0',
      'EXCHANGE_CIRCUIT_HALF_OPEN_MS: must be an integer 1-600000, was "0"',
    ],
    [
      'EXCHANGE_CIRCUIT_HALF_OPEN_MS',
      '600001',
      'EXCHANGE_CIRCUIT_HALF_OPEN_MS: must be an integer 1-600000',
    ],
    ['KAIROS_LIVE_CONFIRM_MS', '0', 'KAIROS_LIVE_CONFIRM_MS: must be an integer 1-600000, was "0"'],
    ['KAIROS_LIVE_CONFIRM_MS', '1.5', 'KAIROS_LIVE_CONFIRM_MS: must be an integer 1-600000'],
    ['KAIROS_LIVE_CONFIRM_MS', '600001', 'KAIROS_LIVE_CONFIRM_MS: must be an integer 1-600000'],
    [
      'KAIROS_FAILPOINT',
      'after-send',
      'KAIROS_FAILPOINT: must be <point>:<n ≥ 1>, was "after-send"',
    ],
    ['KAIROS_FAILPOINT', 'after-send:0', 'KAIROS_FAILPOINT: must be <point>:<n ≥ 1>'],
    ['KAIROS_DEV', 'yes', 'KAIROS_DEV: must be 0 or 1, was "yes"'],
    ['TRUST_PROXY', '0', 'TRUST_PROXY: must be IP addresses or CIDR ranges'],
    ['TRUST_PROXY', '11', 'TRUST_PROXY: must be IP addresses or CIDR ranges'],
    ['TRUST_PROXY', 'lb.internal', 'TRUST_PROXY: "lb.internal" must be IP addresses'],
    ['TRUST_PROXY', '10.0.0.0/33', 'TRUST_PROXY: "10.0.0.0/33" must be'],
    ['TRUST_PROXY', '10.0.0.0/8/2', 'TRUST_PROXY: "10.0.0.0/8/2" must be'],
    ['TRUST_PROXY', '::1/129', 'TRUST_PROXY: "::1/129" must be'],
    ['TRUST_PROXY', '10.0.0.1,', 'TRUST_PROXY: "" must be'],
    [
      'KAIROS_METRICS',
      'statsd',
      'KAIROS_METRICS: must be one of prometheus, emf, cloudwatch, off, was "statsd"',
    ],
    ['METRICS_PORT', '9464x', 'METRICS_PORT: must be an integer 0-65535'],
  ])('%s=%s is refused with CONFIG_INVALID naming it and its rule', (variable, value, message) => {
    const e = configError({ [variable]: value });
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message.startsWith(message)).toBe(true);
  });

  it('reads the readiness bounds, with their defaults', () => {
    expect(loadConfig({}).readiness).toEqual({ unresolvedMaxMs: 30_000, timeoutMs: 1_000 });
    expect(
      loadConfig({ KAIROS_READY_UNRESOLVED_MAX_MS: '5000', KAIROS_READY_TIMEOUT_MS: '250' })
        .readiness,
    ).toEqual({ unresolvedMaxMs: 5_000, timeoutMs: 250 });
  });

  it('reads the instance settings (lease TTL, drain bound), with their defaults and rules', () => {
    expect(loadConfig({}).instances).toEqual({ leaseTtlMs: 10_000, drainTimeoutMs: 30_000 });
    expect(
      loadConfig({ KAIROS_LEASE_TTL_MS: '3000', KAIROS_DRAIN_TIMEOUT_MS: '500' }).instances,
    ).toEqual({ leaseTtlMs: 3_000, drainTimeoutMs: 500 });
    expect(() => loadConfig({ KAIROS_LEASE_TTL_MS: '999' })).toThrow(
      'KAIROS_LEASE_TTL_MS: must be an integer 1000-600000, was "999"',
    );
    expect(() => loadConfig({ KAIROS_DRAIN_TIMEOUT_MS: '2.5' })).toThrow(
      'KAIROS_DRAIN_TIMEOUT_MS: must be an integer 1-600000',
    );
  });

  it("reads Postgres's idle-in-transaction timeout, default 10000, at least a second", () => {
    expect(loadConfig({}).databaseIdleInTransactionMs).toBe(10_000);
    expect(
      loadConfig({ DATABASE_IDLE_IN_TRANSACTION_MS: '3000' }).databaseIdleInTransactionMs,
    ).toBe(3_000);
    expect(() => loadConfig({ DATABASE_IDLE_IN_TRANSACTION_MS: '999' })).toThrow(
      'DATABASE_IDLE_IN_TRANSACTION_MS: must be an integer 1000-600000, was "999"',
    );
    expect(() => loadConfig({ DATABASE_IDLE_IN_TRANSACTION_MS: '1.5e3' })).toThrow(
      'DATABASE_IDLE_IN_TRANSACTION_MS: must be an integer 1000-600000',
    );
  });

  it("reads a resumed strategy's warm on its venue's bars: the strategy's bound unless set, 10 s wait", () => {
    expect(loadConfig({}).strategyWarm).toEqual({ bars: undefined, waitMs: 10_000 });
    expect(
      loadConfig({ KAIROS_WARM_BARS: '999', KAIROS_WARM_WAIT_MS: '2500' }).strategyWarm,
    ).toEqual({ bars: 999, waitMs: 2_500 });
    expect(maskedConfig(loadConfig({ KAIROS_WARM_BARS: '1' }))).toMatchObject({
      warmBars: 1,
      warmWaitMs: 10_000,
    });
  });

  it("reads a background backtest's limits: 30 minutes and 2048 MB unless set", () => {
    expect(loadConfig({}).backtestLimits).toEqual({ timeoutMs: 1_800_000, memoryMb: 2048 });
    expect(
      loadConfig({ KAIROS_BACKTEST_TIMEOUT_MS: '60000', KAIROS_BACKTEST_MEMORY_MB: '512' })
        .backtestLimits,
    ).toEqual({ timeoutMs: 60_000, memoryMb: 512 });
    expect(maskedConfig(loadConfig({}))).toMatchObject({
      backtestTimeoutMs: 1_800_000,
      backtestMemoryMb: 2048,
    });
  });

  it('reads where serve runs strategies: on its event loop unless KAIROS_STRATEGY_THREADS=1, 10 s a call, 512 MB', () => {
    expect(loadConfig({}).strategyThreads).toBeNull();
    expect(loadConfig({ KAIROS_STRATEGY_THREADS: '0' }).strategyThreads).toBeNull();
    expect(loadConfig({ KAIROS_STRATEGY_THREADS: '1' }).strategyThreads).toEqual({
      callTimeoutMs: 10_000,
      memoryMb: 512,
    });
    expect(
      loadConfig({
        KAIROS_STRATEGY_THREADS: '1',
        KAIROS_STRATEGY_TIMEOUT_MS: '2500',
        KAIROS_STRATEGY_MEMORY_MB: '64',
      }).strategyThreads,
    ).toEqual({ callTimeoutMs: 2_500, memoryMb: 64 });
    expect(maskedConfig(loadConfig({ KAIROS_STRATEGY_THREADS: '1' }))).toMatchObject({
      strategyThreads: true,
      strategyTimeoutMs: 10_000,
      strategyMemoryMb: 512,
    });
  });

  it('reads the WebSocket resume bound, default 10000', () => {
    expect(loadConfig({}).wsResumeEvents).toBe(10_000);
    expect(loadConfig({ KAIROS_WS_RESUME_EVENTS: '50' }).wsResumeEvents).toBe(50);
  });

  it('reads the WebSocket connections allowed per client address, default 50, shown by `kairos config`', () => {
    expect(loadConfig({}).wsMaxConnectionsPerAddress).toBe(50);
    const c = loadConfig({ KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS: '100000' });
    expect(c.wsMaxConnectionsPerAddress).toBe(100_000);
    expect(maskedConfig(c).wsMaxConnectionsPerAddress).toBe(100_000);
  });

  it('lists every setting once, secrets marked', () => {
    const names = SETTINGS.map((s) => s.variable);
    expect(new Set(names).size).toBe(names.length);
    expect(SETTINGS.filter((s) => s.secret).map((s) => s.variable)).toEqual([
      'DATABASE_URL',
      'REDIS_URL',
      'MEMCACHED_SERVERS',
      'EXCHANGE_API_KEY',
      'EXCHANGE_SECRET',
      'EXCHANGE_PASSWORD',
      'KAIROS_ADMIN_PASSWORD',
      'KAIROS_USER_PASSWORD',
    ]);
  });
});

describe('secrets', () => {
  const config = loadConfig({
    DATABASE_URL: `postgres://kairos:${CANARY}@db:5432/kairos`,
    REDIS_URL: `rediss://:${CANARY}@cache:6380/0`,
    MEMCACHED_SERVERS: `mc1:11211,u:${CANARY}@mc2`,
    EXCHANGE_API_KEY: `${CANARY}-key`,
    EXCHANGE_SECRET: `${CANARY}-secret`,
    EXCHANGE_PASSWORD: `${CANARY}-pass`,
    EXCHANGE_URL: `https://u:${CANARY}@sandbox.example.com`,
    KAIROS_ADMIN_PASSWORD: `${CANARY}-admin`,
    KAIROS_USER_PASSWORD: `${CANARY}-user`,
  });

  it('print masked in the effective config', () => {
    const shown = maskedConfig(config);
    expect(JSON.stringify(shown)).not.toContain(CANARY);
    expect(shown).toMatchObject({
      databaseUrl: 'postgres://kairos:***@db:5432/kairos',
      store: 'postgres',
      redisUrl: 'rediss://:***@cache:6380/0',
      memcachedServers: 'mc1:11211,u:***@mc2',
      exchangeApiKey: '***',
      exchangeSecret: '***',
      exchangePassword: '***',
      exchangeUrl: 'https://u:***@sandbox.example.com',
      adminPassword: '***',
      userPassword: '***',
    });
    expect(maskedConfig(loadConfig({}))).toMatchObject({
      exchangeApiKey: null,
      adminPassword: null,
      logLevel: 'info',
      port: null,
      actor: 'cli',
      dev: false,
    });
  });

  it('never print through JSON, a template string or inspect', () => {
    const keys = loadConfig({
      EXCHANGE_API_KEY: CANARY,
      EXCHANGE_SECRET: CANARY,
      EXCHANGE_PASSWORD: CANARY,
      KAIROS_ADMIN_PASSWORD: CANARY,
      KAIROS_USER_PASSWORD: CANARY,
    });
    const texts = [
      JSON.stringify(keys),
      inspect(keys, { depth: Infinity }),
      `${String(keys.exchange.secret)}`,
    ];
    for (const text of texts) expect(text).not.toContain(CANARY);
    expect(inspect(new Secret(CANARY))).toBe('Secret(***)');
    expect(`${new Secret(CANARY)}`).toBe('***');
    expect(JSON.stringify({ s: new Secret(CANARY) })).toBe('{"s":"***"}');
    expect(keys.adminPassword?.reveal()).toBe(CANARY);
  });
});
