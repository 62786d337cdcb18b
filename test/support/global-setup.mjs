// Jest global setup: make sure the test Postgres answers, starting the local cluster if it is
// down, or fail with a message that says how to start it.
import { execSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
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
