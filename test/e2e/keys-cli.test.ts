import { existsSync } from 'node:fs';
import path from 'node:path';
import { LocalKeyring } from '../../src/security/encryption/local-keyring.js';
import { CredentialRepository } from '../../src/store/credential-repository.js';
import type { Store } from '../../src/store/open-store.js';
import { FieldKeys } from '../../src/system/key-rotation.js';
import { runCli } from '../support/run-cli.js';
import { seedCredentials } from '../support/seed-credentials.js';
import { processSchema } from '../support/spawn-schema.js';
import { tempDir } from '../support/temp-dir.js';

// 30 credentials, 60 wrapped values: a rotation killed after 2 batches of 10 leaves 4 to resume.
const COUNT = 30;

interface KeyUse {
  keyId: string;
  status: string;
  values: number;
}

describe('kairos keys', () => {
  const home = path.join(tempDir('kairos-keys-cli-'), 'home');
  const keysDir = path.join(home, 'keys');
  // The store on a Postgres schema (the rotation, not the store's dialect, is the subject: PGlite
  // started in each process and each read); the keys stay in the home.
  const db = processSchema('keys_cli');
  const env = { KAIROS_HOME: home, ...db.env, KAIROS_FAILPOINT: '' };
  const secrets = new Map<string, string>();
  let oldKey = '';

  const withStore = async <T>(fn: (s: Store) => Promise<T>): Promise<T> => {
    const store = await db.open();
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };
  const status = (): KeyUse[] => {
    const r = runCli(['keys', 'status', '--json'], env);
    expect([r.code, r.stderr]).toEqual([0, '']);
    return JSON.parse(r.stdout) as KeyUse[];
  };

  beforeAll(async () => {
    const ring = await LocalKeyring.open(keysDir);
    oldKey = ring.current.keyId;
    await withStore(async (store) => {
      const seeded = await seedCredentials(store.db, ring.cipher(), COUNT, 'CANARY-CLI-');
      for (const [id, secret] of seeded) secrets.set(id, secret);
    });
  }, 120_000);

  it('status shows the current key and the values it wraps', () => {
    const r = runCli(['keys', 'status'], env);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(`${oldKey}  local  current   ${COUNT * 2} values\n`);
  }, 60_000);

  it('a rotation killed after two batches resumes on the next run, then retires the old key', async () => {
    const killed = runCli(['keys', 'rotate', '--batch-size', '10', '--actor', 'ops'], {
      ...env,
      KAIROS_FAILPOINT: 'after-rewrap-batch:2',
    });
    expect(killed.code).not.toBe(0);
    expect(killed.stderr).toContain('re-wrapped 20 values');
    const mid = status();
    const newKey = mid[0]!.keyId;
    expect(mid).toEqual([
      { keyId: newKey, provider: 'local', status: 'current', values: 20 },
      { keyId: oldKey, provider: 'local', status: 'previous', values: COUNT * 2 - 20 },
    ]);

    const refused = runCli(['keys', 'retire'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(`^kairos: ${oldKey} still wraps ${COUNT * 2 - 20} values`),
    );
    expect(existsSync(path.join(keysDir, 'master-previous', `${oldKey}.key`))).toBe(true);

    const done = runCli(
      ['keys', 'rotate', '--batch-size', '10', '--retire', '--actor', 'ops'],
      env,
    );
    expect([done.code, done.stderr.includes('kairos:')]).toEqual([0, false]);
    expect(done.stdout).toBe(
      `resumed: ${COUNT * 2 - 20} values re-wrapped from ${oldKey} to ${newKey}\nretired ${oldKey}\n`,
    );
    await withStore(async (store) => {
      expect(await new FieldKeys(store.db, keysDir).status()).toEqual([
        { keyId: newKey, provider: 'local', status: 'current', values: COUNT * 2 },
      ]);
      const creds = new CredentialRepository(store.db, (await LocalKeyring.open(keysDir)).cipher());
      for (const [id, secret] of secrets) expect((await creds.reveal(id)).secret).toBe(secret);
      const { rows } = await store.db
        .selectFrom('audit_log')
        .select(['action', 'actor', 'subject'])
        .where('action', 'like', 'keys.%')
        .orderBy('seq')
        .execute()
        .then((r) => ({ rows: r }));
      expect(rows).toEqual([
        { action: 'keys.rotation_started', actor: 'ops', subject: newKey },
        { action: 'keys.rotated', actor: 'ops', subject: newKey },
        { action: 'keys.retired', actor: 'ops', subject: oldKey },
      ]);
    });
  }, 120_000);

  it('refuses a bad batch size naming the flag', () => {
    const r = runCli(['keys', 'rotate', '--batch-size', 'ten'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('kairos: --batch-size: must be an integer from 1 to 10000 [USAGE]\n');
  }, 60_000);
});
