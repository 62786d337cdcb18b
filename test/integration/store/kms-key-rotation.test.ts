import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { LocalKeyring } from '../../../src/security/encryption/local-keyring.js';
import { openSigningKey, SIGNING_KEY_FILE } from '../../../src/security/tokens/signing-key-file.js';
import { Totp } from '../../../src/security/totp/totp.js';
import { CredentialRepository } from '../../../src/store/credential-repository.js';
import {
  ENCRYPTED_COLUMNS,
  EncryptedFieldRepository,
} from '../../../src/store/encrypted-field-repository.js';
import type { Store } from '../../../src/store/open-store.js';
import { UserRepository } from '../../../src/store/user-repository.js';
import { openFieldKeys, type KmsConfig } from '../../../src/system/field-cipher.js';
import { FieldKeys } from '../../../src/system/key-rotation.js';
import { startLocalKms, type LocalKms } from '../../support/local-kms.js';
import { DIALECTS, freshStore } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g';
// 60 credentials (138 values with their passphrases and the TOTP seeds): batches of 20 and 25
// interrupted and resumed, each value a KMS call on its way in and out (120 took twice the CPU).
const CREDENTIALS = 60;
const BY = { actor: 'ops', role: 'cli' };

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

describe.each(DIALECTS)('key rotation between local keys and KMS on %s', (dialect) => {
  let store: Store & { drop(): Promise<void> };
  let kms: LocalKms;
  let keysDir: string;
  let localKey = '';
  let kmsArn = '';
  let toKms: KmsConfig;
  let toLocal: KmsConfig;
  const canaries = new Map<string, { apiKey: string; secret: string; passphrase?: string }>();
  const totpSecrets = new Map<string, string>();
  let total = 0;

  beforeAll(async () => {
    kms = await startLocalKms();
    kmsArn = kms.createKey('alias/kairos').arn;
    toKms = { keyId: 'alias/kairos', region: 'us-east-1', endpoint: kms.url };
    toLocal = { keyId: undefined, region: 'us-east-1', endpoint: kms.url };
    store = await freshStore(dialect);
    keysDir = path.join(tempDir('kairos-kms-keys-'), 'keys');
    const ring = await LocalKeyring.open(keysDir);
    localKey = ring.current.keyId;
    const cipher = ring.cipher();
    await openSigningKey(keysDir, cipher, ring.current);
    const users = new UserRepository(store.db);
    const totp = new Totp(Date.now);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const u = await users.create({
        username: `k${i}`,
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
      const tag = `${i}-${randomBytes(4).toString('hex')}`;
      const secrets = {
        apiKey: `CANARY-KEY-${tag}`,
        secret: `CANARY-SECRET-${tag}`,
        ...(i % 4 === 0 ? { passphrase: `CANARY-PASS-${tag}` } : {}),
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
    total = CREDENTIALS * 2 + Math.ceil(CREDENTIALS / 4) + totpSecrets.size;
  }, 300_000);
  afterAll(async () => {
    await store?.drop();
    await kms?.close();
  });

  /** Decrypts every stored secret with the keys of `config`, opened afresh. */
  async function expectAllDecrypt(config: KmsConfig): Promise<void> {
    const keys = await openFieldKeys(keysDir, config);
    try {
      const cipher = keys.cipher();
      const creds = new CredentialRepository(store.db, cipher);
      for (const [id, secrets] of canaries) expect(await creds.reveal(id)).toEqual(secrets);
      const users = new UserRepository(store.db);
      for (const [id, s] of totpSecrets) expect(await users.totpSecret(id, cipher)).toBe(s);
    } finally {
      keys.close();
    }
  }
  const signingKeyId = () =>
    readFileSync(path.join(keysDir, SIGNING_KEY_FILE), 'utf8').split('.')[1];

  it('moves local -> KMS, interrupted after two batches and resumed; every value reads in between', async () => {
    const keys = new FieldKeys(store.db, keysDir, toKms);
    expect(await keys.status()).toEqual([
      { keyId: kmsArn, provider: 'kms', status: 'current', values: 0 },
      { keyId: localKey, provider: 'local', status: 'previous', values: total },
    ]);
    const start = await envelopes(store.db);
    let batches = 0;
    let moved = 0;
    await expect(
      keys.rotate({
        by: BY,
        batchSize: 20,
        onBatch: (n) => {
          moved = n;
          if (++batches === 2) throw new Error('crashed');
        },
      }),
    ).rejects.toThrow('crashed');
    expect(moved).toBe(3 + 20); // the TOTP seeds, then a batch of API keys
    expect(await keys.status()).toEqual([
      { keyId: kmsArn, provider: 'kms', status: 'current', values: moved },
      { keyId: localKey, provider: 'local', status: 'previous', values: total - moved },
    ]);
    await expectAllDecrypt(toKms);
    await expectAllDecrypt(toLocal); // a process without KMS_KEY_ID still reads the KMS values

    const report = await keys.rotate({ by: BY, batchSize: 20 });
    expect(report).toEqual({
      resumed: true,
      toKeyId: kmsArn,
      fromKeyIds: [localKey],
      rewrapped: total - moved,
      remaining: 0,
    });
    expect((await keys.status())[0]).toEqual({
      keyId: kmsArn,
      provider: 'kms',
      status: 'current',
      values: total,
    });
    const end = await envelopes(store.db);
    for (const [where, value] of end) {
      const [v, keyId, wrapped, ...body] = value.split('.');
      const [v0, , wrapped0, ...body0] = start.get(where)!.split('.');
      expect([v, keyId, body]).toEqual([v0, kmsArn, body0]); // nonce, ciphertext and tag stay
      expect(wrapped).not.toBe(wrapped0);
    }
    expect(signingKeyId()).toBe(kmsArn);
    await expectAllDecrypt(toKms);
    // Every KMS call carried the field's location as its encryption context.
    expect(kms.calls.filter((c) => c.operation === 'Encrypt').every((c) => c.context?.rowId)).toBe(
      true,
    );

    // Nothing left to move: a KMS key is not re-made (KMS rotates its own material).
    expect(await keys.rotate({ by: BY })).toEqual({
      resumed: false,
      toKeyId: kmsArn,
      fromKeyIds: [],
      rewrapped: 0,
      remaining: 0,
    });
    // The local master.key is not retired: nothing to retire, the way back stays open.
    expect(await keys.retire(BY)).toEqual([]);
  }, 300_000);

  it('a KMS-wrapped ciphertext copied to another row or column does not decrypt', async () => {
    const fields = new EncryptedFieldRepository(store.db);
    const col = ENCRYPTED_COLUMNS.find((c) => c.column === 'secret_ciphertext')!;
    const rows = await fields.notWrappedBy(col, 'no-such-key', '', 2);
    const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]];
    expect(a.value.split('.')[1]).toBe(kmsArn);
    const keys = await openFieldKeys(keysDir, toKms);
    try {
      const creds = new CredentialRepository(store.db, keys.cipher());
      expect(await fields.replace(col, b.id, b.value, a.value)).toBe(true);
      await expect(creds.reveal(b.id)).rejects.toMatchObject({ code: 'ENCRYPTION_DECRYPT_FAILED' });
      expect(kms.calls.at(-1)).toMatchObject({
        operation: 'Decrypt',
        error: 'InvalidCiphertextException',
      });
      expect(await fields.replace(col, b.id, a.value, b.value)).toBe(true);
      const apiCol = ENCRYPTED_COLUMNS.find((c) => c.column === 'api_key_ciphertext')!;
      const [k] = await fields.notWrappedBy(apiCol, 'no-such-key', '', 1);
      await expect(keys.cipher().decrypt(a.value, apiCol.at(k!.id))).rejects.toMatchObject({
        code: 'ENCRYPTION_DECRYPT_FAILED',
      });
      expect(await creds.reveal(b.id)).toEqual(canaries.get(b.id));
    } finally {
      keys.close();
    }
  });

  it('moves KMS -> local, interrupted and resumed; then nothing needs KMS', async () => {
    const keys = new FieldKeys(store.db, keysDir, toLocal);
    expect(await keys.status()).toEqual([
      { keyId: localKey, provider: 'local', status: 'current', values: 0 },
      { keyId: kmsArn, provider: 'kms', status: 'previous', values: total },
    ]);
    let batches = 0;
    let moved = 0;
    await expect(
      keys.rotate({
        by: BY,
        batchSize: 25,
        onBatch: (n) => {
          moved = n;
          if (++batches === 3) throw new Error('crashed');
        },
      }),
    ).rejects.toThrow('crashed');
    expect(await keys.status()).toEqual([
      { keyId: localKey, provider: 'local', status: 'current', values: moved },
      { keyId: kmsArn, provider: 'kms', status: 'previous', values: total - moved },
    ]);
    await expectAllDecrypt(toLocal);
    expect(await keys.rotate({ by: BY, batchSize: 25 })).toEqual({
      resumed: true,
      toKeyId: localKey,
      fromKeyIds: [kmsArn],
      rewrapped: total - moved,
      remaining: 0,
    });
    expect(signingKeyId()).toBe(localKey);
    // KMS gone (an endpoint nothing answers): every value still reads.
    await kms.close();
    await expectAllDecrypt({
      keyId: undefined,
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
    });

    const { rows } = await sql<{ action: string; subject: string; payload: string }>`
      select action, subject, payload from audit_log where action like 'keys.%' order by seq`.execute(
      store.db,
    );
    expect(rows.map((r) => [r.action, r.subject, JSON.parse(r.payload).resumed])).toEqual([
      ['keys.rotation_started', kmsArn, undefined],
      ['keys.rotated', kmsArn, true],
      ['keys.rotated', kmsArn, false],
      ['keys.rotation_started', localKey, undefined],
      ['keys.rotated', localKey, true],
    ]);
  }, 300_000);
});
