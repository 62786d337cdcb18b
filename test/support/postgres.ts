/**
 * The Postgres the tests use: `KAIROS_TEST_DATABASE_URL`, which the global setup sets to its
 * `kairos_test_async` database unless given; the machine's local server without the setup.
 */
export const TEST_DATABASE_URL =
  process.env.KAIROS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Drops a schema a test made on the test Postgres (and all it holds). */
export async function dropTestSchema(schema: string): Promise<void> {
  const pg = (await import('pg')).default;
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
  await db.query(`drop schema if exists ${schema} cascade`);
  await db.end();
}
