import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { LocalKeyring } from '../../../src/security/encryption/local-keyring.js';
import { Totp } from '../../../src/security/totp/totp.js';
import {
  CredentialRepository,
  credentialLocation,
} from '../../../src/store/credential-repository.js';
import {
  ENCRYPTED_COLUMNS,
  EncryptedFieldRepository,
  type StoredEnvelope,
} from '../../../src/store/encrypted-field-repository.js';
import type { Store } from '../../../src/store/open-store.js';
import { UserRepository } from '../../../src/store/user-repository.js';
import { FieldKeys } from '../../../src/system/key-rotation.js';
import { DIALECTS, freshStore } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g';
const CREDENTIALS = 1_000;
const BY = { actor: 'ops', role: 'cli' };

/** Every row of every table of the store's schema, as text (what a database dump would show). */
async function dumpAll(db: Store['db']): Promise<string> {
  const { rows: tables } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  expect(tables.map((t) => t.table_name)).toEqual(
    expect.arrayContaining(['users', 'venue_credentials', 'audit_log']),
  );
  let out = '';
  for (const { table_name } of tables) {
    const { rows } = await sql`select * from ${sql.table(table_name)}`.execute(db);
    out += `${table_name}\n${JSON.stringify(rows)}\n`;
  }
  return out;
}

/** Every stored envelope, by column and row id. */
async function envelopes(db: Store['db']): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  const fields = new EncryptedFieldRepository(db);
  for (const c of ENCRYPTED_COLUMNS) {
    for (const v of await fields.notWrappedBy(c, 'no-such-key', '', 1_000_000)) {
      all.set(`${c.table}/${c.column}/${v.id}`, v.value);
    }
  }
  return all;
}

describe.each(DIALECTS)('key rotation on %s', (dialect) => {
  let store: Store & { drop(): Promise<void> };
  let keysDir: string;
  const canaries = new Map<string, { apiKey: string; secret: string; passphrase?: string }>();
  const totpSecrets = new Map<string, string>();

  beforeAll(async () => {
    store = await freshStore(dialect);
    keysDir = path.join(tempDir('kairos-keys-'), 'keys');
    const cipher = (await LocalKeyring.open(keysDir)).cipher();
    const users = new UserRepository(store.db);
    const totp = new Totp(Date.now);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const u = await users.create({
        username: `u${i}`,
        passwordHash: HASH,
        role: 'admin',
        createdAt: 1,
      });
      const secret = totp.generateSecret();
      await users.setTotpSecret(u.id, secret, cipher);
      totpSecrets.set(u.id, secret);
      ids.push(u.id);
    }
    const creds = new CredentialRepository(store.db, cipher);
    for (let i = 0; i < CREDENTIALS; i++) {
      const tag = `${i}-${randomBytes(6).toString('hex')}`;
      const secrets = {
        apiKey: `CANARY-KEY-${tag}`,
        secret: `CANARY-SECRET-${tag}`,
        ...(i % 3 === 0 ? { passphrase: `CANARY-PASS-${tag}` } : {}),
      };
      const c = await creds.add({
        ownerUserId: ids[i % ids.length] as string,
        venue: 'binance',
        label: `key ${i}`,
        ...secrets,
        createdAt: i,
      });
      canaries.set(c.id, secrets);
    }
  }, 300_000);
  afterAll(async () => {
    await store?.drop();
  });

  /**
   * Decrypts every stored secret with a keyring opened afresh from the folder: each row's values
   * at their own row and field, all rows read in one query (on PGlite 1,000 `reveal`s, a query
   * each, took ~1.2 s of CPU a check; this, under 0.15 s), or through `CredentialRepository.reveal`.
   */
  async function expectAllDecrypt(through: 'rows' | 'reveal' = 'rows'): Promise<void> {
    const cipher = (await LocalKeyring.open(keysDir)).cipher();
    // One expect over all of them: an expect call costs a stack capture, thousands of them seconds.
    const revealed = new Map<string, unknown>();
    if (through === 'reveal') {
      const creds = new CredentialRepository(store.db, cipher);
      for (const id of canaries.keys()) revealed.set(id, await creds.reveal(id));
    } else {
      // Every row, so a row the test does not know of fails the check too.
      for (const r of await store.db.selectFrom('venue_credentials').selectAll().execute()) {
        const dec = (field: 'api_key' | 'secret' | 'passphrase', value: string) =>
          cipher.decryptText(value, credentialLocation(r.id, field));
        revealed.set(r.id, {
          apiKey: await dec('api_key', r.api_key_ciphertext),
          secret: await dec('secret', r.secret_ciphertext),
          ...(r.passphrase_ciphertext === null
            ? {}
            : { passphrase: await dec('passphrase', r.passphrase_ciphertext) }),
        });
      }
    }
    expect(revealed).toEqual(canaries);
    const users = new UserRepository(store.db);
    const seeds = new Map<string, unknown>();
    for (const id of totpSecrets.keys()) seeds.set(id, await users.totpSecret(id, cipher));
    expect(seeds).toEqual(totpSecrets);
  }

  it('lists every encrypted column of the schema (each column with a kx1. check)', async () => {
    const { rows } = await sql<{ relname: string; def: string }>`
      select c.relname, pg_get_constraintdef(k.oid) as def
      from pg_constraint k join pg_class c on c.oid = k.conrelid
      join pg_namespace n on n.oid = c.relnamespace
      where k.contype = 'c' and n.nspname = current_schema()`.execute(store.db);
    const checked = rows
      .filter((r) => r.def.includes("'kx1.%'"))
      .map((r) => `${r.relname}.${/(\w+) ~~ 'kx1\.%'/.exec(r.def)?.[1]}`)
      .sort();
    expect(checked).toEqual(ENCRYPTED_COLUMNS.map((c) => `${c.table}.${c.column}`).sort());
  });

  it('an interrupted rotation resumes; bodies stay, every value moves; then the old key retires', async () => {
    const keys = new FieldKeys(store.db, keysDir);
    const [before] = await keys.status();
    const total = CREDENTIALS * 2 + Math.ceil(CREDENTIALS / 3) + totpSecrets.size;
    expect(before).toEqual({
      keyId: expect.any(String),
      provider: 'local',
      status: 'current',
      values: total,
    });
    const oldKey = before!.keyId;
    const start = await envelopes(store.db);
    expect(start.size).toBe(total);

    // Stopped after three batches of up to 100, as by a crash: the 5 TOTP secrets, then 200 API keys.
    let batches = 0;
    let moved = 0;
    await expect(
      keys.rotate({
        by: BY,
        batchSize: 100,
        onBatch: (n) => {
          moved = n;
          if (++batches === 3) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    expect(moved).toBe(totpSecrets.size + 200);
    const mid = await keys.status();
    const newKey = mid[0]!.keyId;
    expect(newKey).not.toBe(oldKey);
    expect(mid).toEqual([
      { keyId: newKey, provider: 'local', status: 'current', values: moved },
      { keyId: oldKey, provider: 'local', status: 'previous', values: total - moved },
    ]);
    await expectAllDecrypt(); // half-way, every value reads
    await expect(keys.retire(BY)).rejects.toMatchObject({
      code: 'KEY_IN_USE',
      message: expect.stringContaining(`${oldKey} still wraps ${total - moved} values`),
    });
    expect(existsSync(path.join(keysDir, 'master-previous', `${oldKey}.key`))).toBe(true);

    // Run again: it finishes moving to the key it made, and makes no other.
    const report = await keys.rotate({ by: BY, batchSize: 100 });
    expect(report).toEqual({
      resumed: true,
      toKeyId: newKey,
      fromKeyIds: [oldKey],
      rewrapped: total - moved,
      remaining: 0,
    });
    expect(await keys.status()).toEqual([
      { keyId: newKey, provider: 'local', status: 'current', values: total },
      { keyId: oldKey, provider: 'local', status: 'previous', values: 0 },
    ]);
    const end = await envelopes(store.db);
    expect([...end.keys()].sort()).toEqual([...start.keys()].sort());
    // Each value: the new key, its data key wrapped anew, its nonce, ciphertext and tag as they
    // were (one expect over all of them: the values that break the rule, none).
    const wrong = [...end].filter(([where, value]) => {
      const [v, keyId, wrapped, ...body] = value.split('.');
      const [v0, keyId0, wrapped0, ...body0] = start.get(where)!.split('.');
      return !(
        v === v0 &&
        keyId === newKey &&
        keyId0 === oldKey &&
        wrapped !== wrapped0 &&
        body.join('.') === body0.join('.')
      );
    });
    expect(wrong).toEqual([]);
    await expectAllDecrypt();

    expect(await keys.retire(BY)).toEqual([oldKey]);
    expect(existsSync(path.join(keysDir, 'master-previous', `${oldKey}.key`))).toBe(false);
    expect((await LocalKeyring.open(keysDir)).versions()).toEqual([
      { keyId: newKey, status: 'current' },
    ]);
    await expectAllDecrypt('reveal'); // without the old key, through the repository's reveal

    const dump = await dumpAll(store.db);
    expect(dump).toContain(`kx1.${newKey}.`);
    expect(dump).not.toContain('CANARY');
    for (const secret of totpSecrets.values()) expect(dump).not.toContain(secret);

    const { rows: audit } = await sql<{ action: string; subject: string; payload: string }>`
      select action, subject, payload from audit_log where action like 'keys.%' order by seq`.execute(
      store.db,
    );
    expect(audit.map((a) => [a.action, a.subject])).toEqual([
      ['keys.rotation_started', newKey],
      ['keys.rotated', newKey],
      ['keys.retired', oldKey],
    ]);
    expect(JSON.parse(audit[1]!.payload)).toEqual({
      toKeyId: newKey,
      fromKeyIds: [oldKey],
      rewrapped: total - moved,
      remaining: 0,
      resumed: true,
    });
  }, 300_000);

  it('a second rotation makes another key and also moves a value written on the old key meanwhile', async () => {
    const keys = new FieldKeys(store.db, keysDir);
    const [{ keyId: first } = { keyId: '' }] = await keys.status();
    const someId = [...canaries.keys()][0]!;
    const creds = new CredentialRepository(store.db, (await LocalKeyring.open(keysDir)).cipher());
    let swapped = false;
    const report = await keys.rotate({
      by: BY,
      batchSize: 400,
      onBatch: async () => {
        if (swapped) return;
        swapped = true;
        // A process still on the first key replaces a credential while the job runs: it is
        // wrapped by the old key, and the next pass of the job moves it.
        await creds.remove(someId);
        const c = await creds.add({
          ownerUserId: [...totpSecrets.keys()][0]!,
          venue: 'okx',
          label: 'replaced',
          apiKey: 'CANARY-KEY-replaced',
          secret: 'CANARY-SECRET-replaced',
          createdAt: 5,
        });
        canaries.delete(someId);
        canaries.set(c.id, { apiKey: 'CANARY-KEY-replaced', secret: 'CANARY-SECRET-replaced' });
      },
    });
    expect(report).toMatchObject({ resumed: false, fromKeyIds: [first], remaining: 0 });
    expect(report.toKeyId).not.toBe(first);
    const status = await keys.status();
    expect(status[0]).toMatchObject({
      keyId: report.toKeyId,
      provider: 'local',
      status: 'current',
    });
    expect(status.slice(1)).toEqual([
      { keyId: first, provider: 'local', status: 'previous', values: 0 },
    ]);
    await expectAllDecrypt();
    expect(await keys.retire(BY)).toEqual([first]);
    await expectAllDecrypt();

    // The swap is a compare-and-set: a value that changed since it was read is left alone.
    const fields = new EncryptedFieldRepository(store.db);
    const col = ENCRYPTED_COLUMNS.find((c) => c.column === 'secret_ciphertext')!;
    const id = [...canaries.keys()][1]!;
    const [row] = await fields
      .notWrappedBy(col, 'no-such-key', '', 1_000_000)
      .then((r) => r.filter((v) => v.id === id));
    expect(await fields.replace(col, id, `${row!.value}x`, 'kx1.other')).toBe(false);
    expect(await fields.replace(col, id, row!.value, row!.value)).toBe(true);
    // The same per row in one statement (the rotation's batches): the stale one is left alone.
    const [a, b] = (await fields.notWrappedBy(col, 'no-such-key', '', 2)) as [
      StoredEnvelope,
      StoredEnvelope,
    ];
    expect(
      await fields.replaceMany(col, [
        { id: a.id, before: a.value, next: a.value },
        { id: b.id, before: `${b.value}x`, next: 'kx1.other' },
      ]),
    ).toBe(1);
    await expectAllDecrypt();
  }, 300_000);

  it('refuses to rotate when a value names a key the keyring does not hold', async () => {
    const other = path.join(tempDir('kairos-keys-'), 'keys');
    const keys = new FieldKeys(store.db, other);
    await expect(keys.rotate({ by: BY })).rejects.toMatchObject({
      code: 'ENCRYPTION_KEY_UNKNOWN',
      message: expect.stringContaining('master-previous/<keyId>.key'),
    });
    expect((await keys.status()).map((s) => s.status)).toEqual(['current', 'missing']);
    await expect(keys.rotate({ by: BY, batchSize: 0 })).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(/^--batch-size: /),
    });
  });
});
