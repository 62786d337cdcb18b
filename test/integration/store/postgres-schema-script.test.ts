import pg from 'pg';
import { openStore } from '../../../src/store/open-store.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';
import { freshStore } from '../../support/stores.js';

/** Everything a schema holds that the migrations make, as text without the schema's name. */
async function shape(c: pg.Client, schema: string) {
  const q = async (text: string) =>
    JSON.parse(
      JSON.stringify((await c.query(text, [schema])).rows).replaceAll(schema, 'S'),
    ) as unknown[];
  const tables = (
    await c.query<{ t: string }>(
      `select table_name as t from information_schema.tables
     where table_schema = $1 and table_type = 'BASE TABLE' order by 1`,
      [schema],
    )
  ).rows.map((r) => r.t);
  const rows: unknown[] = [];
  for (const t of tables) {
    // kysely's migration rows carry the time each ran.
    const pick = t === 'kysely_migration' ? 'name' : `to_jsonb(x)`;
    rows.push([
      t,
      ...(await q(`select ${pick} as r from "${schema}"."${t}" x where $1 = $1 order by 1`)),
    ]);
  }
  return {
    columns: await q(
      `select table_name, column_name, ordinal_position, column_default, is_nullable, data_type,
         character_maximum_length, numeric_precision, numeric_scale, udt_name, is_identity
       from information_schema.columns where table_schema = $1 order by 1, 3`,
    ),
    constraints: await q(
      `select r.relname, c.conname, pg_get_constraintdef(c.oid) as def
       from pg_constraint c join pg_namespace n on n.oid = c.connamespace
       left join pg_class r on r.oid = c.conrelid where n.nspname = $1 order by 1, 2`,
    ),
    indexes: await q(`select indexname, indexdef from pg_indexes where schemaname = $1 order by 1`),
    triggers: await q(
      `select t.tgname, pg_get_triggerdef(t.oid) as def from pg_trigger t
       join pg_class r on r.oid = t.tgrelid join pg_namespace n on n.oid = r.relnamespace
       where n.nspname = $1 and not t.tgisinternal order by 1`,
    ),
    functions: await q(
      `select p.proname, pg_get_functiondef(p.oid) as def from pg_proc p
       join pg_namespace n on n.oid = p.pronamespace where n.nspname = $1 order by 1`,
    ),
    sequences: await q(
      `select sequencename, data_type, start_value, increment_by, last_value
       from pg_sequences where schemaname = $1 order by 1`,
    ),
    views: await q(`select viewname, definition from pg_views where schemaname = $1 order by 1`),
    rows,
  };
}

/**
 * A test store's Postgres schema is the global setup's script of a migrated schema
 * (`migratedSchema`, test/support/stores.ts), not the migrations themselves: it must be what they
 * make, or every Postgres test would run on another schema than users get.
 */
describe("a test store's Postgres schema", () => {
  it('is what the migrations make: tables, columns, constraints, indexes, triggers, functions, sequences and rows', async () => {
    const store = await freshStore('postgres');
    const migrated = `kairos_migrated_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    try {
      await (await openStore({ databaseUrl: TEST_DATABASE_URL, schema: migrated })).close();
      const made = await shape(c, migrated);
      expect(made.columns.length).toBeGreaterThan(100);
      expect(made.triggers.length).toBeGreaterThan(3);
      expect(await shape(c, store.schema!)).toEqual(made);
    } finally {
      await c.query(`drop schema if exists ${migrated} cascade`);
      await c.end();
      await store.drop();
    }
  });
});
