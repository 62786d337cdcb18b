// The benchmark's own Postgres database: created for the run and dropped after, so `npm run
// bench` never writes into the shared `test` database the test suite uses.
import pg from 'pg';

const SERVER = process.env.KAIROS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `postgres://…/<name>` on the same server as the test database. */
function urlFor(name: string): string {
  const u = new URL(SERVER);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: urlFor('postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates `kairos_bench_<pid>` and returns its URL and a `drop` that removes it. */
export async function createBenchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `kairos_bench_${process.pid}`;
  await admin((c) => c.query(`create database ${name}`));
  const drop = () =>
    admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined);
  return { url: urlFor(name), drop };
}
