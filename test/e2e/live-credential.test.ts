import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { BinanceSim } from '../../src/simulators/binance/server.js';
import { LIVE_ARGS, spawnLive, startLiveSim, until } from '../support/ccxt-sim.js';
import { ROOT, runCli, KAIROS_ARGV } from '../support/run-cli.js';
import { processSchema } from '../support/spawn-schema.js';
import { tempDir } from '../support/temp-dir.js';

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('kairos live with a stored, encrypted credential', () => {
  // Canaries: a key pair seen nowhere but the simulator and the encrypted store.
  const apiKey = `canary-key-${randomBytes(12).toString('hex')}`;
  const secret = `canary-secret-${randomBytes(12).toString('hex')}`;
  const home = path.join(tempDir('kairos-live-cred-'), 'home');
  // The store on a Postgres schema (its dialect is not the subject: PGlite started in each of the
  // eleven processes); the canary check below reads every row of it besides the home's files.
  const db = processSchema('live_cred');
  const env = { KAIROS_HOME: home, ...db.env, EXCHANGE_API_KEY: '', EXCHANGE_SECRET: '' };
  const outputs: string[] = [];
  const cli = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [...KAIROS_ARGV, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env, ...extra },
      ...(input === undefined ? {} : { input }),
      timeout: 120_000,
    });
    outputs.push(r.stdout, r.stderr);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  let sim: BinanceSim;

  beforeAll(async () => {
    sim = await startLiveSim({ apiKey, secret });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('stores a key pair from stdin, encrypted, and lists it without secrets', () => {
    const user = runCli(['user', 'create', 'alice', '--role', 'trader'], {
      ...env,
      KAIROS_USER_PASSWORD: 'violet-harbour-lantern-42',
    });
    expect(user.code).toBe(0);
    const add = cli(
      ['credential', 'add', '--user', 'alice', '--venue', 'binance', '--label', 'main'],
      `${apiKey}\n${secret}\n`,
    );
    expect(add.stderr).toBe('');
    expect(add.stdout).toMatch(/^stored binance credential "main" of alice \(id [0-9a-f-]{36}\)/);
    // Another venue's credential, from the environment this time.
    const kraken = cli(
      ['credential', 'add', '--user', 'alice', '--venue', 'kraken', '--label', 'kr'],
      undefined,
      { EXCHANGE_API_KEY: `${apiKey}-kraken`, EXCHANGE_SECRET: `${secret}-kraken` },
    );
    expect(kraken.code).toBe(0);
    const badVenue = cli(
      ['credential', 'add', '--user', 'alice', '--venue', 'binanse', '--label', 'x'],
      `${apiKey}\n${secret}\n`,
    );
    expect(badVenue.code).toBe(2);
    expect(badVenue.stderr).toMatch(/^kairos: --venue: must be a ccxt exchange id/);
    const noSecret = cli(
      ['credential', 'add', '--user', 'alice', '--venue', 'binance', '--label', 'x'],
      `${apiKey}\n`,
    );
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/^kairos: secret: /);
    const list = cli(['credential', 'list', '--json']);
    const rows = JSON.parse(list.stdout) as { owner: string; venue: string; label: string }[];
    expect(rows.map((r) => [r.owner, r.venue, r.label])).toEqual([
      ['alice', 'binance', 'main'],
      ['alice', 'kraken', 'kr'],
    ]);
  }, 120_000);

  it('refuses a missing credential or one for another venue, naming --credential', () => {
    const base = [
      'live',
      'examples/strategies/sma-cross.ts',
      '--exchange',
      'binance',
      '--symbol',
      'BTC/USDT',
      '--exchange-url',
      sim.url,
      '--cash',
      '1000',
    ];
    const missing = cli([...base, '--credential', 'nope', '--user', 'alice']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'kairos: --credential: no stored credential "nope" of user "alice" (see kairos credential list) [CREDENTIAL_NOT_FOUND]\n',
    );
    // EXCHANGE_CREDENTIAL gives the flag from the environment.
    const fromEnv = cli([...base, '--user', 'alice'], undefined, { EXCHANGE_CREDENTIAL: 'nope' });
    expect(fromEnv.stderr).toBe(missing.stderr);
    const other = cli([...base, '--credential', 'kr']);
    expect(other.code).toBe(2);
    expect(other.stderr).toBe(
      'kairos: --credential: "kr" is a credential for kraken, not binance [CREDENTIAL_WRONG_VENUE]\n',
    );
    const noUser = cli([...base, '--credential', 'main', '--user', 'bob']);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toBe('kairos: --user: no user "bob" [USER_NOT_FOUND]\n');
  }, 120_000);

  it('trades with the decrypted key, which wins over EXCHANGE_*, and never prints it', async () => {
    const wrongKey = `env-key-${randomBytes(6).toString('hex')}`;
    const { child, output, exited } = spawnLive(sim, home, [...LIVE_ARGS, '--credential', 'main'], {
      ...db.env,
      EXCHANGE_API_KEY: wrongKey,
      EXCHANGE_SECRET: 'env-secret',
    });
    await until(() => /trading from/.test(output()), 60_000, 'the node to start');
    await until(() => sim.state.orders().length >= 2, 60_000, 'two orders at the venue');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    outputs.push(output());
    expect(output()).toMatch(/credential: stored binance "main" \(id [0-9a-f-]{36}\)/);
    expect(output()).toMatch(/EXCHANGE_API_KEY\/EXCHANGE_SECRET are set but ignored/);
    // The stored key is what reached the venue (signed requests, orders); the env's never did.
    expect(sim.state.apiKeys.get(apiKey)).toBeGreaterThan(0);
    expect(sim.state.apiKeys.has(wrongKey)).toBe(false);
    expect(sim.state.orders().every((o) => /^sma-cross-\d+$/.test(o.clientOrderId))).toBe(true);

    // The use is audited (venue, label, owner; no secret).
    const store = await db.open();
    // Every row of every table of the store, as text (a bytea column in hex).
    let rows: { table: string; text: string }[] = [];
    try {
      const used = await store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'credential.used')
        .execute();
      expect(used).toHaveLength(1);
      expect(JSON.stringify(used[0])).toMatch(/"label\\?":\\?"main\\?"/);
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables
        where table_schema = ${db.schema} and table_type = 'BASE TABLE'`.execute(store.db);
      for (const { table_name: t } of tables.rows) {
        const r = await sql<{ text: string }>`select r::text as text from ${sql.table(
          `${db.schema}.${t}`,
        )} r`.execute(store.db);
        rows = rows.concat(r.rows.map(({ text }) => ({ table: t, text })));
      }
    } finally {
      await store.close();
    }
    // The credential's row is among them (encrypted), so the check below reads real rows.
    expect(rows.filter((r) => r.table === 'venue_credentials').length).toBe(2);

    // Canary: no output of any command, no row of the store and no file of the install holds the
    // key or secret in clear.
    const everything = outputs.join('\n');
    expect(everything.length).toBeGreaterThan(0);
    for (const canary of [apiKey, secret]) {
      expect(everything).not.toContain(canary);
      const hex = Buffer.from(canary).toString('hex');
      for (const { table, text } of rows) {
        const found = text.includes(canary) || text.includes(hex);
        expect({ table, found }).toEqual({ table, found: false });
      }
      for (const f of files(home)) {
        expect({ f, found: readFileSync(f).includes(canary) }).toEqual({ f, found: false });
      }
    }
  }, 180_000);
});
