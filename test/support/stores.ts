import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../../src/store/open-store.js';
import type { Metrics } from '../../src/trading/core/metrics.js';
import { TEST_DATABASE_URL } from './postgres.js';

/**
 * The PGlite template the global setup made, as a dump (`KAIROS_TEST_PGLITE_DUMP`: in memory or
 * in a folder, new databases start from it). Processes get the folder (`KAIROS_PGLITE_TEMPLATE`).
 */
export const pgliteTemplate = (): { template?: string } =>
  process.env.KAIROS_TEST_PGLITE_DUMP ? { template: process.env.KAIROS_TEST_PGLITE_DUMP } : {};

/**
 * The template for a store on a new data folder (`dataDir`): the closed data folder the global
 * setup made (`KAIROS_PGLITE_TEMPLATE`, copied: about 0.4 s of CPU less a store than unpacking
 * the dump), else the dump.
 */
export const pgliteFolderTemplate = (): { template?: string } =>
  process.env.KAIROS_PGLITE_TEMPLATE
    ? { template: process.env.KAIROS_PGLITE_TEMPLATE }
    : pgliteTemplate();

/**
 * Where a test's PGlite data folder goes: tmpfs (/dev/shm) when the machine has one. On a /tmp
 * mounted with `discard` (this machine's ext4), removing a data folder PGlite has written blocks
 * the test 1.5–1.7 s (each file's blocks discarded; ~80 ms of it CPU); on tmpfs, ~30 ms.
 */
export const STORE_ROOT = (() => {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
})();

let schemaScript: { readonly file: string; readonly text: string } | undefined;

/**
 * Makes `schema` on the test Postgres as every migration leaves it, from the global setup's
 * script (`KAIROS_TEST_PG_SCHEMA_SQL`: pg_dump of a migrated schema, sent as one query; about
 * half the CPU of the migrations, the worker's and Postgres's), so the store opened on it has
 * nothing to apply. Without the script, nothing: the store's open migrates it.
 */
export async function migratedSchema(schema: string): Promise<void> {
  const file = process.env.KAIROS_TEST_PG_SCHEMA_SQL;
  if (!file) return;
  // Read once a worker (a run's script never changes), not once a store.
  if (schemaScript?.file !== file) schemaScript = { file, text: readFileSync(file, 'utf8') };
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query(schemaScript.text.replaceAll('__kairos_test_schema__', schema));
  } finally {
    await c.end();
  }
}

/** The two dialects every repository test runs on. */
export const DIALECTS = ['pglite', 'postgres'] as const;

/**
 * Opens a fresh store: PGlite, or a new schema of the test Postgres (made by `migratedSchema`,
 * dropped by `drop`). PGlite runs on a copy of the template's data folder in a temp folder
 * (`STORE_ROOT`, removed by `drop`), as `kairos` runs it: about 0.7 s of CPU less per store than
 * unpacking the dump into memory (in memory from the dump, or new, when the global setup made no
 * template).
 */
export async function freshStore(
  dialect: (typeof DIALECTS)[number],
  /** Where the store reports commit times and pool connections (default none). */
  metrics?: Metrics,
): Promise<Store & { readonly schema?: string; drop(): Promise<void> }> {
  const m = metrics ? { metrics } : {};
  if (dialect === 'pglite') {
    const folder = process.env.KAIROS_PGLITE_TEMPLATE;
    if (!folder) {
      const s = await openStore({ ...m, ...pgliteTemplate() });
      return { ...s, drop: () => s.close() };
    }
    const dir = mkdtempSync(path.join(STORE_ROOT, 'kairos-store-'));
    const s = await openStore({ ...m, dataDir: path.join(dir, 'db'), template: folder });
    return {
      ...s,
      drop: async () => {
        await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `kairos_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  await migratedSchema(schema);
  const s = await openStore({ databaseUrl: TEST_DATABASE_URL, schema, ...m });
  return {
    ...s,
    schema,
    drop: async () => {
      await s.close();
      // pg loads here, as openStore loads it: a PGlite-only test file never loads it.
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

/**
 * A store for a test whose dialect is not what it tests (a node, a host, a lease over the real
 * store): a new schema of the test Postgres (`freshStore('postgres')`, dropped by `drop`), about
 * 0.5 s of CPU less than a PGlite store and no PGlite loaded in the file (its WebAssembly is
 * compiled again in every Jest file). `KAIROS_TEST_STORE=pglite` puts them on PGlite, as test
 * servers. Tests about a dialect name it (`freshStore`, `DIALECTS`).
 */
export const anyStore = (metrics?: Metrics): ReturnType<typeof freshStore> =>
  freshStore(process.env.KAIROS_TEST_STORE === 'pglite' ? 'pglite' : 'postgres', metrics);
