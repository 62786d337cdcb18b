// Jest global setup: make sure the test Postgres answers, starting the local cluster if it is
// down, or fail with a message that says how to start it. Redis (6379) and Memcached (11211)
// get the same treatment: installed with apt-get if missing, started as daemons if down. nginx
// is only installed (never started here): the cluster tests run their own as a child process.
import { execFileSync, execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

const url = process.env.KAIROS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable() {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup() {
  // Every venue the tests reach is the local Binance simulator: ccxt's own spacing of requests
  // (Binance's 50 ms per unit of cost: 250 ms after each signed trades query) would pace every
  // `kairos live`/`serve` process for nothing (live-parity waited ~250 ms a bar). Kairos's own
  // request budget, the venue's advertised limits, still applies. Inherited by the workers and
  // every process they start; a test that wants ccxt's default unsets it.
  process.env.EXCHANGE_RATE_LIMIT_MS ??= '1';
  // A venue's circuit breaker, open after repeated failures, tries again after 30 s: a test that
  // kills its simulator and starts it again waited those 30 s for its accounts to be UP again
  // (`serve-two-traders-live`: 29 s of its 60). The simulator is back in about a second.
  process.env.EXCHANGE_CIRCUIT_HALF_OPEN_MS ??= '500';
  // The network's part first, with nothing else on this thread: building the PGlite template
  // (WASM, on this thread) can hold the event loop for seconds on a loaded machine, and a
  // timeout then fires before the answer it waits for is heard: a running Redis looked down, a
  // Postgres connection failed mid-migration (fresh clones' CI at load 7-8). One after another:
  // an install (apt-get, synchronous) holds the loop as well.
  await ensurePostgres();
  await ensureService(REDIS);
  await ensureService(MEMCACHED);
  ensureInstalled(NGINX);
  await Promise.all([asyncCommitDatabase().then(postgresSchemaScript), testUserHashes()]);
  await pgliteTemplate();
}

/**
 * The password hashes of the users every test server makes (`startTestServer`,
 * test/support/api-server.ts: five a start, ~40 ms of argon2id each at the minimum cost), made
 * once a run and inherited by the workers as `KAIROS_TEST_USER_HASHES` (password → PHC hash).
 * Tests about hashing and logins make their own users; these users still log in for real.
 */
async function testUserHashes() {
  if (process.env.KAIROS_TEST_USER_HASHES) return;
  const { hash } = await import('@node-rs/argon2');
  // `ARGON2ID_MIN` (src/security/passwords/password-hasher.ts), algorithm 2: argon2id. A hash
  // the server's hasher would rehash is not used (api-server.ts hashes the password itself).
  const options = { algorithm: 2, outputLen: 32, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
  const passwords = ['trader', 'admin', 'risk', 'quant', 'auditor'].map(
    (role) => `a ${role} passphrase for tests`,
  );
  const hashes = await Promise.all(passwords.map((p) => hash(p, options)));
  process.env.KAIROS_TEST_USER_HASHES = JSON.stringify(
    Object.fromEntries(passwords.map((p, i) => [p, hashes[i]])),
  );
}

/**
 * Settings the template's postgresql.conf gets, so every test database starts with them.
 * Postgres zeroes its whole shared memory at each start (emscripten's mmap, a memset in
 * WebAssembly on V8's baseline tier: ~4 ms of CPU a MB). initdb's shared_buffers = 128MB made
 * that ~0.9 s a PGlite start; a test database holds a few MB, so 4MB of buffers serves it, and
 * PGlite is one backend, so max_connections = 10 (not 100) only sizes the per-backend arrays and
 * lock table smaller: 24MB of shared memory → 8MB, ~0.1 s less a start (in-process stores,
 * test servers, every `kairos` process the tests run). Production (`kairos` without a template)
 * keeps initdb's defaults.
 */
const TEMPLATE_CONF = ['shared_buffers = 4MB', 'max_connections = 10'];

/**
 * A new PGlite database runs initdb and the migrations, seconds of CPU; hundreds of tests
 * (servers, CLI processes) make one. They start from one template made here instead, inherited
 * by the workers and every process they spawn: a dump (`KAIROS_TEST_PGLITE_DUMP`, for databases
 * in memory) and the same database as a closed data folder (`KAIROS_PGLITE_TEMPLATE`: a new data
 * folder is a copy of it, no unpacking). Migrated when the build (`dist/`) is there, else a bare
 * initdb (the migrations then run per database). Kept per PGlite version, migration list and
 * TEMPLATE_CONF, so a changed migration makes new ones.
 */
async function pgliteTemplate() {
  if (process.env.KAIROS_PGLITE_TEMPLATE && process.env.KAIROS_TEST_PGLITE_DUMP) return;
  const require = createRequire(import.meta.url);
  const { version } = JSON.parse(
    readFileSync(
      path.join(path.dirname(require.resolve('@electric-sql/pglite')), '../package.json'),
      'utf8',
    ),
  );
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const built = path.join(root, 'dist/store/open-store.js');
  const store = existsSync(built) ? await import(pathToFileURL(built).href) : null;
  const migrations = store
    ? Object.keys(
        await (
          await import(pathToFileURL(path.join(root, 'dist/store/migrations/index.js')).href)
        ).migrations.getMigrations(),
      )
    : [];
  const key = createHash('sha256')
    .update(JSON.stringify([version, migrations, TEMPLATE_CONF]))
    .digest('hex');
  // Kept between runs where `npm test` says (its run's own temp folder is removed at the end).
  const cache = process.env.KAIROS_TEST_CACHE_DIR ?? os.tmpdir();
  const file = path.join(cache, `kairos-pglite-template-${key.slice(0, 16)}.tar`);
  const folder = file.replace(/\.tar$/, '.d');
  if (!existsSync(file) || !existsSync(path.join(folder, 'PG_VERSION'))) {
    let dump;
    if (store) {
      dump = await store.migratedPgliteDump();
    } else {
      const lite = await PGlite.create();
      dump = await lite.dumpDataDir('none');
      await lite.close();
    }
    // The folder first (the dump unpacked, the settings added), then the dump made from it, so
    // both carry the settings.
    const partial = `${folder}.${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    await (await PGlite.create({ dataDir: partial, loadDataDir: dump })).close();
    appendFileSync(path.join(partial, 'postgresql.conf'), `\n${TEMPLATE_CONF.join('\n')}\n`);
    const lite = await PGlite.create({ dataDir: partial });
    const tar = await lite.dumpDataDir('none');
    await lite.close();
    writeFileSync(`${file}.${process.pid}`, Buffer.from(await tar.arrayBuffer()));
    renameSync(`${file}.${process.pid}`, file);
    if (!existsSync(path.join(folder, 'PG_VERSION')))
      rmSync(folder, { recursive: true, force: true });
    try {
      renameSync(partial, folder);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another run made it first
    }
  }
  process.env.KAIROS_TEST_PGLITE_DUMP = file;
  process.env.KAIROS_PGLITE_TEMPLATE = folder;
}

/** What the schema script (`KAIROS_TEST_PG_SCHEMA_SQL`) says where a new schema's name goes. */
const SCHEMA_PLACEHOLDER = '__kairos_test_schema__';

/**
 * A test store on Postgres (`freshStore('postgres')`, test/support/stores.ts) is a new schema
 * of the test database, and each ran every migration through kysely's migrator: ~115
 * statements, ~0.1 s of the worker's CPU and ~0.2 s of Postgres's. The setup migrates one schema
 * instead, once per migration list and server version, and keeps pg_dump's script of it (tables,
 * constraints, triggers, functions and rows: kysely's own migration rows too, so a store opened
 * on the copy finds nothing to apply), with a placeholder for the schema's name. A new schema
 * is that script, sent as one query. Built from dist/ as the PGlite template is; without the
 * build or pg_dump there is none, and stores migrate as before.
 */
async function postgresSchemaScript() {
  if (process.env.KAIROS_TEST_PG_SCHEMA_SQL) return;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const built = path.join(root, 'dist/store/open-store.js');
  const folder = path.join(root, 'dist/store/migrations');
  if (!existsSync(built)) return;
  const databaseUrl = process.env.KAIROS_TEST_DATABASE_URL ?? url;
  let dumpVersion;
  try {
    dumpVersion = execFileSync('pg_dump', ['--version'], { encoding: 'utf8' });
  } catch {
    return; // no pg_dump here: each store migrates
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query('show server_version_num');
    const hash = createHash('sha256').update(`${rows[0].server_version_num} ${dumpVersion}`);
    for (const f of readdirSync(folder)
      .filter((f) => f.endsWith('.js'))
      .sort())
      hash.update(f).update(readFileSync(path.join(folder, f)));
    const key = hash.digest('hex').slice(0, 16);
    const cache = process.env.KAIROS_TEST_CACHE_DIR ?? os.tmpdir();
    const file = path.join(cache, `kairos-pg-schema-${key}.sql`);
    if (!existsSync(file)) {
      const schema = `kairos_template_${key}_${process.pid}`;
      const { openStore } = await import(pathToFileURL(built).href);
      try {
        await (await openStore({ databaseUrl, schema })).close();
        let dump;
        try {
          dump = execFileSync(
            'pg_dump',
            [
              '--dbname',
              databaseUrl,
              '--schema',
              schema,
              '--inserts',
              '--no-owner',
              '--no-privileges',
            ],
            { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] },
          );
        } catch (e) {
          // E.g. a pg_dump older than the server: stores migrate.
          process.stderr.write(`no Postgres schema script (stores migrate): ${e.message}\n`);
          return;
        }
        // psql's own commands (`\restrict`) are not SQL.
        const script = dump
          .split('\n')
          .filter((line) => !line.startsWith('\\'))
          .join('\n')
          .replaceAll(schema, SCHEMA_PLACEHOLDER);
        if (!/INSERT INTO __kairos_test_schema__\.kysely_migration /.test(script))
          throw new Error(`pg_dump of ${schema}: no migration rows`);
        writeFileSync(`${file}.${process.pid}`, script);
        renameSync(`${file}.${process.pid}`, file);
      } finally {
        await client.query(`drop schema if exists ${schema} cascade`);
      }
    }
    process.env.KAIROS_TEST_PG_SCHEMA_SQL = file;
  } finally {
    await client.end();
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(5000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function run(command) {
  execSync(command, {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function installed(binary) {
  try {
    run(`command -v ${binary}`);
    return true;
  } catch {
    return false;
  }
}

const asRoot = process.getuid?.() === 0;

const REDIS = {
  name: 'Redis',
  port: 6379,
  binary: 'redis-server',
  aptPackage: 'redis-server',
  start: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
};

const MEMCACHED = {
  name: 'Memcached',
  port: 11211,
  binary: 'memcached',
  aptPackage: 'memcached',
  // memcached refuses to run as root without -u; the Debian package creates the memcache user.
  get start() {
    let user = '';
    if (asRoot) {
      try {
        run('id memcache');
        user = '-u memcache';
      } catch {
        user = '-u root';
      }
    }
    return `memcached -d ${user} -l 127.0.0.1 -p 11211`;
  },
};

/** nginx for `scripts/cluster.ts` (Debian's `nginx-light`; `/usr/sbin` is not on every PATH). */
const NGINX = {
  name: 'nginx',
  binary: 'nginx',
  path: '/usr/sbin/nginx',
  aptPackage: 'nginx-light',
};

/** Installs `service`'s package with apt-get when its binary is missing; `fix` says what to do by hand. */
function ensureInstalled(
  service,
  fix = `${service.name} is not installed: run "apt-get install -y ${service.aptPackage}".`,
) {
  if (installed(service.binary) || (service.path && existsSync(service.path))) return;
  try {
    run(`apt-get install -y ${service.aptPackage}`);
  } catch {
    try {
      run(`apt-get update && apt-get install -y ${service.aptPackage}`);
    } catch (cause) {
      throw new Error(`${fix} (apt-get install failed: ${cause.message})`, { cause });
    }
  }
}

/** Starts `service` if nothing listens on its port (installing it first if needed), then waits. */
async function ensureService(service) {
  if (await listening(service.port)) return;
  const fix =
    `${service.name} is not reachable at 127.0.0.1:${service.port}. Install it ` +
    `("apt-get install -y ${service.aptPackage}") and start it ("${service.start}").`;
  ensureInstalled(service, fix);
  // A start can fail because the service was running after all and the first connect only
  // timed out (a loaded machine): the port in use. So a failed start still waits for the port.
  let failed;
  try {
    run(service.start);
  } catch (cause) {
    failed = cause;
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await listening(service.port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (failed) throw new Error(`${fix} (start failed: ${failed.message})`, { cause: failed });
  throw new Error(fix);
}

/**
 * The tests' Postgres database, unless `KAIROS_TEST_DATABASE_URL` names one: `kairos_test_async`
 * on the same server, made here once, with `synchronous_commit = off` as its own setting (no
 * other database, and nothing outside the tests, is changed). Every commit otherwise waits for
 * its WAL flush: 3.9–4.8 ms a one-row commit on this machine under load, 1.1–1.4 ms without
 * (`docs/testing.md`), and the suite commits tens of thousands of times (migrations, journals,
 * audit rows). A commit is still atomic and seen by every other session at once; only a crash of
 * the Postgres server itself, which no test makes, could lose the last few. Inherited by the
 * workers and every process they start (`TEST_DATABASE_URL`, `test/support/postgres.ts`).
 */
async function asyncCommitDatabase() {
  if (process.env.KAIROS_TEST_DATABASE_URL) return;
  const name = 'kairos_test_async';
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount === 0) {
      // Another run's setup may make it at the same moment: that one's is as good.
      await client.query(`create database ${name}`).catch((e) => {
        if (e.code !== '42P04' && e.code !== '23505') throw e;
      });
    }
    await client.query(`alter database ${name} set synchronous_commit = off`);
  } finally {
    await client.end();
  }
  const async = new URL(url);
  async.pathname = `/${name}`;
  process.env.KAIROS_TEST_DATABASE_URL = async.toString();
}

async function ensurePostgres() {
  if (await reachable()) return;
  let versions = [];
  try {
    versions = readdirSync('/etc/postgresql');
  } catch {
    // No Debian cluster on this machine.
  }
  for (const v of versions) {
    try {
      execSync(`pg_ctlcluster --skip-systemctl-redirect ${v} main start`, { stdio: 'ignore' });
    } catch {
      // Try the next version, then report.
    }
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await reachable()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `Postgres is not reachable at ${url}. Start it with "pg_ctlcluster --skip-systemctl-redirect <version> main start" ` +
      'or set KAIROS_TEST_DATABASE_URL to a server whose database the tests may create schemas in.',
  );
}
