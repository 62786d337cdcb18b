import { randomBytes } from 'node:crypto';
import { cpSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { generate } from 'otplib';
import { createLogger } from '../../src/monitoring/logger.js';
import type { EnvelopeCipher } from '../../src/security/encryption/envelope-cipher.js';
import { PasswordHasher } from '../../src/security/passwords/password-hasher.js';
import type { Role } from '../../src/security/roles/permissions.js';
import { Totp } from '../../src/security/totp/totp.js';
import type { Store } from '../../src/store/open-store.js';
import { UserRepository } from '../../src/store/user-repository.js';
import type { Instrument } from '../../src/trading/model/instrument.js';
import { loadConfig } from '../../src/system/config.js';
import {
  startTradingServer,
  type RunningServer,
  type ServerOptions,
} from '../../src/system/trading-server.js';
import { conformance, recordAnswers } from './openapi-conformance.js';
import { btcInstrument, btcSlice } from './paper-args.js';
import { dropTestSchema, TEST_DATABASE_URL } from './postgres.js';
import { migratedSchema } from './stores.js';
import { tempDir } from './temp-dir.js';
import { until } from './until.js';

/** A user of the test server, one per role. */
export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly secret: string;
}

let servers = 0;

/**
 * Where a test server's store is by default: in a test file (Jest), a new Postgres schema of the
 * test database (`migratedSchema`), dropped when the last server on it closes; PGlite in the home
 * with `store: 'pglite'`, or for every server with `KAIROS_TEST_STORE=pglite`. Outside
 * Jest (the benchmarks), PGlite in the home, as `kairos serve` runs with no environment.
 */
const inJest = typeof afterAll === 'function';

/** Schemas made here for servers, still open: dropped when their last server closes. */
const ownSchemas = new Map<string, { open: number }>();

async function release(schema: string): Promise<void> {
  const s = ownSchemas.get(schema);
  if (s === undefined || --s.open > 0) return;
  ownSchemas.delete(schema);
  await dropTestSchema(schema);
}

// A server a test never closed: its schema is dropped once the file's tests are done.
if (inJest) {
  afterAll(async () => {
    const left = [...ownSchemas.keys()];
    ownSchemas.clear();
    for (const schema of left) await dropTestSchema(schema);
  });
}

/** A server in this process on a temp home, with one trader logged in (HTTP: Jest cannot load `inject`). */
export interface TestServer {
  readonly server: RunningServer;
  /** The trader's access token. */
  readonly token: string;
  readonly home: string;
  /** One logged-in user per role: the trader `tom`, `rita` (admin), `rick` (risk), `quinn` (quant), `audrey` (auditor). */
  readonly users: Readonly<Record<Role, TestUser>>;
  /** Each role's access token. */
  readonly tokens: Readonly<Record<Role, string>>;
  /** The Postgres schema of the test database it runs on; none on PGlite (in `home`). */
  readonly schema?: string;
  /** Every line the server logged. */
  readonly logs: readonly string[];
  /** Logs in with password and a fresh TOTP code; answers the access token. */
  login(username: string, password: string, secret: string): Promise<string>;
  /**
   * Closes `server` and starts it again on the same home and feed (users, sessions and strategy
   * deployments survive; the tokens stay valid), at another replay `speed` if given; answers the
   * new server, which the caller closes.
   */
  restart(opts?: { speed?: number }): Promise<RunningServer>;
  /**
   * Starts another server on the same home, database and settings while this one runs (a second
   * instance: the same users, keys and tokens); the caller closes it.
   */
  another(): Promise<RunningServer>;
}

const NAMES: Readonly<Record<Role, string>> = {
  trader: 'tom',
  admin: 'rita',
  risk: 'rick',
  quant: 'quinn',
  auditor: 'audrey',
};

/**
 * Starts `kairos serve`'s composition in-process. By default the replay is slow (bars do not
 * move in a test); `speed` (bar time / real time) and `bars` (how many one-minute bars) make it move.
 * Its store: a new schema of the test Postgres, dropped when its last server closes (`store`).
 */
export async function startTestServer(
  opts: {
    rateLimitPerMinute?: number;
    speed?: number;
    bars?: number;
    /** Login and second-factor requests per minute per address (default 30, as served). */
    authRateLimitPerMinute?: number;
    /** The server's clock for identity, tokens and audit (default `Date.now`). */
    now?: () => number;
    /** Runs on this new schema of the test Postgres (the test drops it), so the test can read the tables. */
    postgresSchema?: string;
    /**
     * `pglite`: the embedded store in the home's data folder, as `kairos serve` with no
     * environment (tests about the embedded default, its one connection, the home folder).
     * Default (and `postgres`): a schema of the test Postgres made and dropped here (see
     * `inJest`); `postgresSchema` names one the test owns instead.
     */
    store?: 'pglite' | 'postgres';
    /** More settings for the server's config (`S3_BUCKET`, `AWS_ENDPOINT_URL_S3`…). */
    env?: Record<string, string>;
    /** No logger at all (benchmarks measuring the cost of logging); default: every line kept. */
    quiet?: boolean;
    /**
     * For benchmarks: the server logs as `kairos serve` does by default (JSON lines at `info`,
     * each built and written, here to /dev/null, none kept) and its answers are not recorded
     * for the OpenAPI check (the default keeps every debug line and every answer in memory).
     */
    asServed?: boolean;
    /** The server's password hasher (default: argon2id at the minimum cost). */
    passwordHasher?: PasswordHasher;
    /** ccxt venues for live accounts (`kairos serve --venue`), e.g. the Binance simulator. */
    venues?: ServerOptions['venues'];
    /** How often live accounts are confirmed with their venue, ms. */
    liveConfirmEveryMs?: number;
    /** Which accounts this server trades (`ServerOptions.ownership`; default: all). */
    ownership?: ServerOptions['ownership'];
    /** The order hand-off's Redis key prefix and wait (`ServerOptions.handOff`). */
    handOff?: ServerOptions['handOff'];
    /**
     * Another instance of `instanceOf`'s service: on its database (give the same
     * `postgresSchema`), with its keys (copied into this home), users and tokens.
     */
    instanceOf?: TestServer;
    /** The Redis key prefix of the WebSocket event log (with `REDIS_URL` in `env`). */
    eventLogPrefix?: string;
    /** How a WebSocket subscription refused for a while is retried (`ServerOptions.wsSubscribeRetry`). */
    wsSubscribeRetry?: ServerOptions['wsSubscribeRetry'];
    /** The replayed instrument (default `btcInstrument()`, BTC/X). */
    instrument?: Instrument;
  } = {},
): Promise<TestServer> {
  const dir = tempDir('kairos-api-');
  const home = path.join(dir, 'home');
  const now = opts.now ?? Date.now;
  const first = opts.instanceOf;
  // Another instance runs on its first's schema; else a new one, unless the test names one, asks
  // for PGlite, or the environment puts every server on a DATABASE_URL.
  let own: string | undefined;
  const onPostgres =
    opts.store === 'postgres' ||
    (opts.store === undefined &&
      inJest &&
      process.env.KAIROS_TEST_STORE !== 'pglite' &&
      !process.env.DATABASE_URL &&
      opts.env?.DATABASE_URL === undefined);
  if (opts.postgresSchema === undefined && first?.schema === undefined && onPostgres) {
    own = `kairos_srv_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    await migratedSchema(own);
    ownSchemas.set(own, { open: 0 });
  }
  const schema = opts.postgresSchema ?? first?.schema ?? own;
  // Every server on a schema made here (a restart, another instance) holds it while it runs.
  const tracked = schema !== undefined && ownSchemas.has(schema) ? schema : undefined;
  // DATABASE_URL (and DATABASE_SCHEMA) from the environment put it on Postgres.
  const config = loadConfig({
    ...(schema
      ? { KAIROS_HOME: home, DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema }
      : {
          KAIROS_HOME: home,
          DATABASE_URL: process.env.DATABASE_URL,
          DATABASE_SCHEMA: process.env.DATABASE_SCHEMA
            ? `${process.env.DATABASE_SCHEMA}_${process.pid}_${++servers}`
            : undefined,
        }),
    KAIROS_PGLITE_TEMPLATE: process.env.KAIROS_PGLITE_TEMPLATE,
    ...opts.env,
  });
  const totp = new Totp(Date.now);
  const hasher = new PasswordHasher();
  const users = {} as Record<Role, TestUser>;
  // Another instance: the same keys (tokens and encrypted fields), the users already made.
  if (first) {
    cpSync(path.join(first.home, 'keys'), path.join(home, 'keys'), { recursive: true });
    Object.assign(users, first.users);
  }
  // The users are written on the server's own store when it opens (one store start, not two),
  // their password hashes made once per run (`testUserHashes`, global-setup.mjs).
  const hashes = JSON.parse(process.env.KAIROS_TEST_USER_HASHES ?? '{}') as Record<string, string>;
  const seed = async (store: Store, cipher: EnvelopeCipher) => {
    const repo = new UserRepository(store.db);
    for (const [role, username] of Object.entries(NAMES) as [Role, string][]) {
      const password = `a ${role} passphrase for tests`;
      const secret = totp.generateSecret();
      const made = hashes[password];
      const u = await repo.create({
        username,
        passwordHash:
          made !== undefined && !hasher.needsRehash(made) ? made : await hasher.hash(password),
        role,
        createdAt: Date.now(),
      });
      await repo.setTotpSecret(u.id, secret, cipher);
      users[role] = { id: u.id, username, password, secret };
    }
  };
  const logs: string[] = [];
  const serverOptions: ServerOptions = {
    data: btcSlice(path.join(dir, 'BTC-1m.json'), opts.bars ?? 50),
    instrument: opts.instrument ?? btcInstrument(),
    cash: '1000',
    speed: opts.speed ?? 1,
    host: '127.0.0.1',
    port: 0,
    // Every line the server logs, at the most verbose level (canary tests read them all).
    ...(opts.quiet
      ? {}
      : opts.asServed
        ? {
            logger: createLogger({
              level: 'info',
              format: 'json',
              write: devNull(),
              flush: 'turn',
            }),
          }
        : { logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }) }),
    rateLimitPerMinute: opts.rateLimitPerMinute ?? 1_000_000,
    ...(opts.authRateLimitPerMinute === undefined
      ? {}
      : { authRateLimitPerMinute: opts.authRateLimitPerMinute }),
    now,
    ...(opts.passwordHasher ? { passwordHasher: opts.passwordHasher } : {}),
    // The tests' venues are the local simulator: ccxt's spacing from EXCHANGE_RATE_LIMIT_MS and
    // the breaker's open time from EXCHANGE_CIRCUIT_HALF_OPEN_MS (global-setup.mjs), as
    // `kairos serve` takes them, unless the test gives its own.
    ...(opts.venues ? { venues: opts.venues.map((v) => ({ ...simulatorPace(), ...v })) } : {}),
    ...(opts.liveConfirmEveryMs === undefined
      ? {}
      : { liveConfirmEveryMs: opts.liveConfirmEveryMs }),
    ...(opts.ownership ? { ownership: opts.ownership } : {}),
    ...(opts.handOff ? { handOff: opts.handOff } : {}),
    ...(opts.eventLogPrefix === undefined ? {} : { eventLogPrefix: opts.eventLogPrefix }),
    ...(opts.wsSubscribeRetry ? { wsSubscribeRetry: opts.wsSubscribeRetry } : {}),
  };
  // A server on a schema made here holds it: the last one to close drops it (once per server).
  const held = (running: RunningServer): RunningServer => {
    const s = tracked === undefined ? undefined : ownSchemas.get(tracked);
    if (tracked === undefined || s === undefined) return running;
    s.open++;
    let closed: Promise<void> | undefined;
    return {
      ...running,
      close: () =>
        (closed ??= (async () => {
          try {
            await running.close();
          } finally {
            await release(tracked);
          }
        })()),
    };
  };
  // Every answer of every API test is checked against the OpenAPI document when the server
  // closes: a status, content type or body the document does not describe fails the test file.
  const checked = (started: RunningServer): RunningServer => {
    const running = held(started);
    if (opts.asServed) return running;
    const answers = recordAnswers(running.app.server);
    return {
      ...running,
      close: async () => {
        const doc = await (await fetch(`${running.url}/docs/json`)).json();
        const mismatches = conformance(doc, answers);
        await running.close();
        if (mismatches.length > 0) {
          throw new Error(
            `${mismatches.length} of ${answers.length} answers do not match /docs/json:\n` +
              [...new Set(mismatches.map((m) => m.replace(/\?\S*/, '')))].slice(0, 40).join('\n'),
          );
        }
      },
    };
  };
  const start = async (o: ServerOptions): Promise<RunningServer> => {
    try {
      return checked(await startTradingServer(config, o));
    } catch (e) {
      // A first server that did not start leaves no schema behind.
      if (tracked !== undefined && ownSchemas.get(tracked)?.open === 0) await release(tracked);
      throw e;
    }
  };
  const server = await start({ ...serverOptions, ...(first ? {} : { seed }) });
  // A restart reopens the same home and schema: the schema is held while the server is down.
  const restart = async (again: { speed?: number } = {}) => {
    const s = tracked === undefined ? undefined : ownSchemas.get(tracked);
    if (s) s.open++;
    try {
      await server.close();
      return await start({ ...serverOptions, ...again });
    } finally {
      if (s && tracked !== undefined) await release(tracked);
    }
  };
  const post = (url: string, body: unknown) =>
    fetch(`${server.url}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const login = async (username: string, password: string, secret: string) => {
    const first = await post('/auth/login', { username, password });
    if (first.status !== 200) throw new Error(`login ${username}: ${first.status}`);
    const { challenge } = (await first.json()) as { challenge: string };
    const code = await generate({ secret, epoch: Math.floor(now() / 1000) });
    const mfa = await post('/auth/mfa', { challenge, code });
    if (mfa.status !== 200) throw new Error(`second factor ${username}: ${mfa.status}`);
    return ((await mfa.json()) as { accessToken: string }).accessToken;
  };
  const tokens = { ...first?.tokens } as Record<Role, string>;
  for (const [role, u] of first ? [] : (Object.entries(users) as [Role, TestUser][]))
    tokens[role] = await login(u.username, u.password, u.secret);
  const another = () => start(serverOptions);
  return {
    server,
    token: tokens.trader,
    home,
    users,
    tokens,
    logs,
    login,
    restart,
    another,
    ...(schema === undefined ? {} : { schema }),
  };
}

/** Another trader on `t`'s server, made by its admin, logged in: their id and access token. */
export async function secondTrader(
  t: TestServer,
  url: string = t.server.url,
): Promise<{ id: string; token: string }> {
  const password = 'a second trader passphrase 42';
  const username = `tina${randomBytes(3).toString('hex')}`;
  const made = (await (
    await fetch(`${url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.admin}` },
      body: JSON.stringify({ username, password, role: 'trader' }),
    })
  ).json()) as { user: { id: string }; secret: string };
  return { id: made.user.id, token: await t.login(username, password, made.secret) };
}

/**
 * Writes lines to /dev/null, synchronously, as `kairos serve` writes its lines to stderr (with
 * `flush: 'turn'`, as it does: a turn's lines in one write).
 */
function devNull(): (line: string) => void {
  const fd = openSync('/dev/null', 'w');
  return (line) => void writeSync(fd, `${line}\n`);
}

/**
 * `rateLimitMs` from EXCHANGE_RATE_LIMIT_MS (unset: ccxt's own spacing of the venue) and
 * `circuitHalfOpenMs` from EXCHANGE_CIRCUIT_HALF_OPEN_MS (unset: 30 s).
 */
function simulatorPace(): { rateLimitMs?: number; circuitHalfOpenMs?: number } {
  const ms = process.env.EXCHANGE_RATE_LIMIT_MS;
  const open = process.env.EXCHANGE_CIRCUIT_HALF_OPEN_MS;
  return {
    ...(ms === undefined ? {} : { rateLimitMs: Number(ms) }),
    ...(open === undefined ? {} : { circuitHalfOpenMs: Number(open) }),
  };
}

/**
 * Waits for the replay's first bar (`GET /candles` answers one): before it, a market order has no
 * reference price and the gate denies it (422 `NO_REFERENCE_PRICE`); a fast machine sends its
 * first order before the first bar of a replay at 300x.
 */
export async function replayPriced(t: TestServer, instrumentId = 'BTC/X'): Promise<void> {
  await until(
    async () => {
      const r = await fetch(`${t.server.url}/candles?instrumentId=${instrumentId}&limit=1`, {
        headers: { authorization: `Bearer ${t.token}` },
      });
      return ((await r.json()) as { candles?: unknown[] }).candles?.length === 1;
    },
    30_000,
    'the replay’s first bar',
  );
}
