import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { PoolClient } from 'pg';
import { Kysely, Migrator, sql } from 'kysely';
import { KairosError } from '../trading/core/errors.js';
import type { Logger } from '../trading/core/logger.js';
import type { Metrics } from '../trading/core/metrics.js';
import { lockDataDir } from './data-dir-lock.js';
import { allowDeferredFlush, preparingClient } from './committed-statement.js';
import { instrumentedPool } from './instrumented-pool.js';
import { migrations } from './migrations/index.js';
import { OneSchemaDialect } from './one-schema-dialect.js';
import { pglitePool } from './pglite-pool.js';
import type { Schema } from './schema.js';

/** Where the store lives. */
export interface StoreOptions {
  /** A Postgres URL (RDS in production). When absent, PGlite is used. */
  readonly databaseUrl?: string;
  /** PGlite's data folder; absent means in memory. */
  readonly dataDir?: string;
  /** A Postgres schema to use (created when missing), e.g. one per test run. */
  readonly schema?: string;
  /**
   * Postgres: how long (ms) the server lets a session sit idle inside a transaction before it
   * ends the session and rolls the transaction back (default 10000; `DATABASE_IDLE_IN_TRANSACTION_MS`).
   */
  readonly idleInTransactionMs?: number;
  /**
   * What a new embedded database starts from instead of running initdb, several times faster
   * (the test suite makes one per run): a PGlite data-folder dump (`PGlite.dumpDataDir`, a tar
   * file), or a closed PGlite data folder, which is copied (a new `dataDir` only: faster again,
   * no unpacking through WebAssembly). Migrations run after it as after initdb, so a template of
   * an older schema is still right.
   */
  readonly template?: string;
  /** Where commit times and pool connections are reported (default: nowhere). */
  readonly metrics?: Metrics;
  /** Where the store says what it did (migrations applied, connections the server dropped). */
  readonly logger?: Logger;
  /** Postgres: the most connections the pool opens (default 10). */
  readonly poolSize?: number;
}

/** An open store. */
export interface Store {
  readonly db: Kysely<Schema>;
  /**
   * Postgres: connections of their own (at most `LEASE_POOL_SIZE`) for lease renewals
   * (`LeaseRepository`'s second argument), which must never wait in the pool's queue behind
   * the writes they keep fenced: a renewal held up there lets the lease run out under a live
   * owner. Absent on PGlite (one process, no leases).
   */
  readonly leaseDb?: Kysely<Schema>;
  readonly dialect: 'postgres' | 'pglite';
  close(): Promise<void>;
}

const INT8 = 20;
const POOL_SIZE = 10;
/** Connections the lease renewals have to themselves (`Store.leaseDb`). */
export const LEASE_POOL_SIZE = 2;
const IDLE_IN_TRANSACTION_MS = 10_000;
const NUMERIC = 1700;
const SAFE_SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens the store: Postgres when `databaseUrl` is set, else embedded PGlite; then runs the
 * migrations. Both dialects return `bigint` and `numeric` columns as strings, so repositories
 * see the same types whichever runs.
 *
 * @example
 * const store = await openStore({ dataDir: 'var/db' });
 */
export async function openStore(opts: StoreOptions = {}): Promise<Store> {
  if (opts.schema !== undefined && !SAFE_SCHEMA.test(opts.schema)) {
    throw new KairosError(
      'CONFIG_INVALID',
      `store schema "${opts.schema}": must be lower-case letters, digits and _`,
    );
  }
  let store: Store;
  if (opts.databaseUrl) {
    // Each driver loads when used: a process on PGlite does not load pg, nor one on Postgres
    // PGlite (a few tenths of a second of CPU each, paid by every short `kairos` command).
    const { default: pg } = await import('pg');
    const settings = {
      connectionString: opts.databaseUrl,
      // A database that does not answer (black-holed, failing over) refuses within 5 s instead
      // of holding a request, or an order, forever; TCP keepalive finds connections that died.
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      // A transaction left open by a paused or partitioned process (SIGSTOP, a GC pause, a lost
      // network) holds its row locks, and so would hold a lease takeover (the fence holds the
      // lease row) and every audited write (the audit chain's head): the server ends such a
      // session after 10 s idle and rolls it back. Each of the process's other transactions
      // that was waiting on that lock then gets it and sits idle as long in turn.
      options: [
        `-c idle_in_transaction_session_timeout=${opts.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS}`,
        ...(opts.schema ? [`-c search_path=${opts.schema}`] : []),
      ].join(' '),
    };
    const pool = new pg.Pool({
      ...settings,
      Client: preparingClient(pg.Client),
      max: opts.poolSize ?? POOL_SIZE,
    });
    // Opened at the first renewal (a process that holds no lease never connects it).
    const leasePool = new pg.Pool({ ...settings, max: LEASE_POOL_SIZE });
    // An idle connection the server drops (a restart, a failover) is an 'error' event on the
    // pool; unheard, it would crash the process. The pool discards that client and the next
    // query opens a new connection; a query that fails meanwhile rejects as usual.
    const dropped = (e: Error & { code?: string }) =>
      opts.logger?.warn('database dropped an idle connection; the next query reconnects', {
        component: 'store',
        code: e.code ?? null,
      });
    pool.on('error', dropped);
    leasePool.on('error', dropped);
    // The same for a connection in use (a transaction between two queries, its process paused
    // past the idle-in-transaction timeout: SIGSTOP, a long GC): the pool hears only its idle
    // connections, and an unheard 'error' crashed the whole instance (found by the failover
    // test). Heard here, the next query of that transaction fails (its writes roll back) and the
    // pool discards the connection when it comes back.
    const inUse = (client: PoolClient) =>
      client.on('error', (e: Error & { code?: string }) => {
        // Idle, the pool's own listener hears it too (and logs above).
        if (client.listenerCount('error') > 1) return;
        opts.logger?.warn('database ended a connection in use; its transaction fails', {
          component: 'store',
          code: e.code ?? null,
        });
      });
    pool.on('connect', inUse);
    leasePool.on('connect', inUse);
    try {
      const client = await pool.connect();
      client.release();
    } catch (e) {
      await pool.end();
      await leasePool.end();
      throw new KairosError(
        'STORE_UNAVAILABLE',
        `cannot connect to DATABASE_URL: ${(e as Error).message}`,
        { cause: e },
      );
    }
    store = {
      db: new Kysely<Schema>({
        dialect: new OneSchemaDialect({
          pool: opts.metrics ? instrumentedPool(pool, opts.metrics, () => pool.totalCount) : pool,
        }),
      }),
      leaseDb: new Kysely<Schema>({ dialect: new OneSchemaDialect({ pool: leasePool }) }),
      dialect: 'postgres',
      close: async () => {
        await store.db.destroy();
        await store.leaseDb?.destroy();
      },
    };
    allowDeferredFlush(store.db);
  } else {
    if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
    const release = opts.dataDir ? await lockDataDir(opts.dataDir) : async () => undefined;
    const lite = await openPglite(opts).catch(async (e: unknown) => {
      await release();
      throw e;
    });
    const pool = pglitePool(lite);
    store = {
      db: new Kysely<Schema>({
        dialect: new OneSchemaDialect({
          pool: opts.metrics ? instrumentedPool(pool, opts.metrics, () => 1) : pool,
        }),
      }),
      dialect: 'pglite',
      close: async () => {
        await store.db.destroy();
        await release();
      },
    };
  }
  if (opts.schema) await sql`create schema if not exists ${sql.id(opts.schema)}`.execute(store.db);
  if (opts.schema && store.dialect === 'pglite')
    await sql`set search_path to ${sql.id(opts.schema)}`.execute(store.db);
  const applied = await migrate(store.db, opts.schema);
  const fields = { component: 'store', dialect: store.dialect, schema: opts.schema ?? null };
  // A schema change is news (info); an ordinary open is not (debug: a command's stderr stays
  // the one line of its error).
  if (applied.length > 0)
    opts.logger?.info('migrations applied', { ...fields, migrations: applied });
  opts.logger?.debug('store open', fields);
  return store;
}

/** PGlite on `dataDir` (in memory without), a new database from `template` when one is given. */
async function openPglite(opts: StoreOptions): Promise<PGlite> {
  const fresh = !opts.dataDir || !existsSync(path.join(opts.dataDir, 'PG_VERSION'));
  const folder = fresh && opts.template !== undefined && statSync(opts.template).isDirectory();
  if (folder && !opts.dataDir) {
    throw new KairosError(
      'CONFIG_INVALID',
      `PGlite template ${opts.template}: a data folder is copied into a data folder; an in-memory database needs a dump (tar)`,
    );
  }
  if (folder) copyTemplate(opts.template!, opts.dataDir!);
  const template =
    fresh && !folder && opts.template ? new Blob([await readFile(opts.template)]) : undefined;
  const { PGlite } = await import('@electric-sql/pglite');
  return PGlite.create({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(template ? { loadDataDir: template } : {}),
    parsers: { [INT8]: (v: string) => v, [NUMERIC]: (v: string) => v },
  });
}

/**
 * Copies a closed PGlite data folder into the new `dataDir`, PG_VERSION last: a copy cut short
 * leaves a folder without it, which the next open treats as new again (and copies over). Folders
 * and files keep their modes. One listing and a `copyFile` per file (~1,100 files, 40 MB): what
 * `fs.cp` did with several `stat`s per file in JavaScript, at ~0.2 s more of a start's CPU.
 */
function copyTemplate(template: string, dataDir: string): void {
  const entries = readdirSync(template, { recursive: true, withFileTypes: true });
  const folders = [template, ...entries.filter((e) => e.isDirectory()).map(at)];
  // Parents before their children.
  for (const folder of folders.sort((a, b) => a.length - b.length)) {
    const to = path.join(dataDir, path.relative(template, folder));
    mkdirSync(to, { recursive: true });
    chmodSync(to, statSync(folder).mode & 0o7777);
  }
  const version = path.join(template, 'PG_VERSION');
  for (const e of entries) {
    if (e.isDirectory()) continue;
    if (!e.isFile())
      throw new KairosError(
        'CONFIG_INVALID',
        `PGlite template ${template}: ${at(e)} is not a file`,
      );
    const from = at(e);
    if (from !== version) copyFileSync(from, path.join(dataDir, path.relative(template, from)));
  }
  copyFileSync(version, path.join(dataDir, 'PG_VERSION'));
}

/** The path of an entry of a recursive listing. */
function at(e: { name: string; parentPath: string }): string {
  return path.join(e.parentPath, e.name);
}

/**
 * A dump of a new embedded database with every migration applied: what `template` takes. The
 * test suite makes one per run, so its hundreds of new databases skip initdb and the migrations.
 *
 * @example
 * writeFileSync('template.tar', Buffer.from(await (await migratedPgliteDump()).arrayBuffer()));
 */
export async function migratedPgliteDump(): Promise<Blob> {
  const { PGlite } = await import('@electric-sql/pglite');
  const lite = await PGlite.create();
  const db = new Kysely<Schema>({ dialect: new OneSchemaDialect({ pool: pglitePool(lite) }) });
  try {
    await migrate(db);
    return await lite.dumpDataDir('none');
  } finally {
    await db.destroy();
  }
}

/**
 * Runs every pending migration; throws `STORE_MIGRATION` naming the one that failed.
 *
 * @example
 * await migrate(store.db);
 */
export async function migrate(db: Kysely<Schema>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: migrations,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new KairosError(
      'STORE_MIGRATION',
      `migration ${failed?.migrationName ?? '?'} failed: ${(error as Error)?.message ?? 'unknown error'}`,
      { cause: error },
    );
  }
  return (results ?? []).map((r) => r.migrationName);
}
