import pg from 'pg';
import { migrate, openStore } from '../../../src/store/open-store.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';

/**
 * Kysely's migrator looks at every schema of the database before it migrates ours
 * (`has_schema_privilege`, `pg_get_serial_sequence` by name): another schema dropped between
 * its catalog snapshot and those lookups failed our migration with "schema … does not exist"
 * (CI: a test's schema dropped by another worker while a server started). Other tenants of the
 * database come and go; opening ours must not depend on them.
 */
describe('migrating one schema while others are created and dropped', () => {
  const tag = `kairos_churn_${process.pid}`;
  const ours = `${tag}_ours`;

  afterAll(async () => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    const { rows } = await c.query<{ nspname: string }>(
      `select nspname from pg_namespace where nspname like '${tag}%'`,
    );
    for (const r of rows) await c.query(`drop schema if exists ${r.nspname} cascade`);
    await c.end();
  });

  it('never fails on a schema that is not ours', async () => {
    const store = await openStore({ databaseUrl: TEST_DATABASE_URL, schema: ours });
    const churn = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await churn.connect();
    let stop = false;
    let dropped = 0;
    // Schemas with a serial column, made and dropped as fast as the server allows.
    const churning = (async () => {
      for (let i = 0; !stop; i++) {
        const s = `${tag}_${i}`;
        await churn.query(`create schema ${s}; create table ${s}.t (id serial primary key)`);
        await churn.query(`drop schema ${s} cascade`);
        dropped++;
      }
    })();
    try {
      let runs = 0;
      // Enough runs to overlap hundreds of drops (each run reads the whole catalog).
      while (dropped < 300 || runs < 30) {
        await expect(migrate(store.db, ours)).resolves.toEqual([]);
        runs++;
      }
    } finally {
      stop = true;
      await churning;
      await churn.end();
      await store.close();
    }
  }, 120_000);
});
