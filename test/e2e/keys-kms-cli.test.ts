import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { LocalKeyring } from '../../src/security/encryption/local-keyring.js';
import { CredentialRepository } from '../../src/store/credential-repository.js';
import { openFieldKeys } from '../../src/system/field-cipher.js';
import { startLocalKms, type LocalKms } from '../support/local-kms.js';
import { TEST_DATABASE_URL } from '../support/postgres.js';
import { runCliAsync } from '../support/run-cli.js';
import { seedCredentials } from '../support/seed-credentials.js';
import { freshStore } from '../support/stores.js';
import { tempDir } from '../support/temp-dir.js';

const COUNT = 30;
const TOTAL = COUNT * 2;

// The commands share the test's Postgres schema: PGlite would start in each process that opens
// the store (~0.5 s of CPU each). `keys-cli.test.ts` runs the same commands on PGlite.
describe('kairos keys with KMS_KEY_ID (local KMS endpoint)', () => {
  const home = path.join(tempDir('kairos-keys-kms-'), 'home');
  const keysDir = path.join(home, 'keys');
  let kms: LocalKms;
  let store: Awaited<ReturnType<typeof freshStore>>;
  let arn = '';
  let localKey = '';
  const secrets = new Map<string, string>();
  const base = () => ({
    KAIROS_HOME: home,
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: store.schema!,
    KAIROS_FAILPOINT: '',
    KMS_KEY_ID: '',
    AWS_REGION: '',
    AWS_ENDPOINT_URL: '',
    AWS_ENDPOINT_URL_KMS: kms.url,
  });
  const onKms = () => ({ ...base(), KMS_KEY_ID: 'alias/kairos' });
  const kairos = (args: string[], env: NodeJS.ProcessEnv) => runCliAsync(args, env);

  beforeAll(async () => {
    kms = await startLocalKms();
    arn = kms.createKey('alias/kairos').arn;
    const ring = await LocalKeyring.open(keysDir);
    localKey = ring.current.keyId;
    store = await freshStore('postgres');
    const seeded = await seedCredentials(store.db, ring.cipher(), COUNT, 'CANARY-KMS-');
    for (const [id, secret] of seeded) secrets.set(id, secret);
  }, 120_000);
  afterAll(async () => {
    await kms?.close();
    await store?.drop();
  });

  it('status names each key provider; rotate moves local -> KMS -> local, each resumed after a kill', async () => {
    let r = await kairos(['keys', 'status'], onKms());
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(
      `${arn}  kms    current   0 values\n${localKey}  local  previous  ${TOTAL} values\n`,
    );

    const killed = await kairos(['keys', 'rotate', '--batch-size', '10'], {
      ...onKms(),
      KAIROS_FAILPOINT: 'after-rewrap-batch:2',
    });
    expect(killed.code).not.toBe(0);
    expect(killed.stderr).toContain('re-wrapped 20 values');
    r = await kairos(['keys', 'status', '--json'], onKms());
    expect(JSON.parse(r.stdout)).toEqual([
      { keyId: arn, provider: 'kms', status: 'current', values: 20 },
      { keyId: localKey, provider: 'local', status: 'previous', values: TOTAL - 20 },
    ]);
    r = await kairos(['keys', 'rotate', '--batch-size', '10'], onKms());
    expect([r.code, r.stderr.includes('kairos:')]).toEqual([0, false]);
    expect(r.stdout).toBe(`resumed: ${TOTAL - 20} values re-wrapped from ${localKey} to ${arn}\n`);
    r = await kairos(['keys', 'rotate'], onKms());
    expect([r.code, r.stdout]).toEqual([
      0,
      `every value is on ${arn} already (KMS rotates its own key material; set KMS_KEY_ID to another key to move)\n`,
    ]);

    // Back to local keys: KMS_KEY_ID unset (KMS still reachable to unwrap).
    const killedBack = await kairos(['keys', 'rotate', '--batch-size', '10'], {
      ...base(),
      KAIROS_FAILPOINT: 'after-rewrap-batch:3',
    });
    expect(killedBack.code).not.toBe(0);
    r = await kairos(['keys', 'status'], base());
    expect(r.stdout).toBe(
      `${localKey}  local  current   30 values\n${arn}  kms    previous  ${TOTAL - 30} values\n`,
    );
    r = await kairos(['keys', 'rotate', '--batch-size', '10'], base());
    expect([r.code, r.stdout]).toEqual([
      0,
      `resumed: ${TOTAL - 30} values re-wrapped from ${arn} to ${localKey}\n`,
    ]);

    const keys = await openFieldKeys(keysDir, {
      keyId: undefined,
      region: 'us-east-1',
      endpoint: undefined,
    });
    try {
      const creds = new CredentialRepository(store.db, keys.cipher());
      for (const [id, secret] of secrets) expect((await creds.reveal(id)).secret).toBe(secret);
    } finally {
      keys.close();
    }
  }, 180_000);

  it('bad input: an unknown key, a disabled key, a bad KMS_KEY_ID, an endpoint that is down', async () => {
    // Four refusals, each before the store is opened, so they run at once (one home's store
    // is never opened by two of them).
    const fresh = path.join(tempDir('kairos-keys-kms-'), 'home');
    const off = kms.createKey('alias/off');
    kms.setEnabled(off.keyId, false);
    const s = createServer();
    await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((res) => s.close(() => res()));
    const [unknown, disabled, bad, down] = await Promise.all([
      kairos(['keys', 'rotate'], {
        ...base(),
        KAIROS_HOME: fresh,
        DATABASE_URL: '',
        KMS_KEY_ID: 'alias/none',
      }),
      kairos(['keys', 'status'], { ...base(), KMS_KEY_ID: 'alias/off' }),
      kairos(['keys', 'status'], { ...base(), KMS_KEY_ID: 'my key' }),
      kairos(['keys', 'rotate'], { ...onKms(), AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${port}` }),
    ]);
    // In a new embedded home: refused before the store is opened (no database made).
    expect([unknown.code, unknown.stdout]).toEqual([2, '']);
    expect(unknown.stderr).toBe(
      "kairos: kms: DescribeKey alias/none: no such key in us-east-1 (check KMS_KEY_ID and AWS_REGION, or the key ARN's region) [KMS_KEY_NOT_FOUND]\n",
    );
    expect(existsSync(path.join(fresh, 'db'))).toBe(false);
    expect(disabled.code).toBe(2);
    expect(disabled.stderr).toMatch(
      /^kairos: kms: alias\/off \(arn:aws:kms:[^)]+\) is Disabled; enable it[^\n]*\n$/,
    );
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'kairos: KMS_KEY_ID: must be a KMS key id, key ARN, alias name (alias/…) or alias ARN, was "my key" [CONFIG_INVALID]\n',
    ]);
    expect(down.code).toBe(2);
    expect(down.stderr).toBe(
      'kairos: kms: DescribeKey alias/kairos: cannot reach KMS (ECONNREFUSED); is AWS_ENDPOINT_URL_KMS right and the endpoint up? [KMS_UNREACHABLE]\n',
    );
  }, 120_000);
});
