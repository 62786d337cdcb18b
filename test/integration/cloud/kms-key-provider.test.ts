import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { KmsKeys } from '../../../src/cloud/kms/kms-keys.js';
import { EnvelopeCipher } from '../../../src/security/encryption/envelope-cipher.js';
import { LocalKeyProvider } from '../../../src/security/encryption/local-key-provider.js';
import { startLocalKms, type LocalKms } from '../../support/local-kms.js';

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('KmsKeyProvider against a local KMS endpoint (real @aws-sdk/client-kms)', () => {
  let kms: LocalKms;
  let keys: KmsKeys;
  const at = { table: 'venue_credentials', column: 'secret_ciphertext', rowId: '42' };

  beforeAll(async () => {
    kms = await startLocalKms();
    keys = new KmsKeys({ region: 'us-east-1', endpoint: kms.url });
  });
  afterAll(async () => {
    keys.destroy();
    await kms.close();
  });

  it('a KMS-wrapped secret round-trips; the location is the encryption context; keyId is the ARN', async () => {
    const key = kms.createKey('alias/kairos');
    const provider = await keys.open('alias/kairos');
    expect(provider.keyId).toBe(key.arn);
    const cipher = new EnvelopeCipher(provider);
    const stored = await cipher.encrypt('CANARY-s3cr3t', at);
    expect(stored.startsWith(`kx1.${key.arn}.`)).toBe(true);
    expect(stored).not.toContain('CANARY');
    expect(await cipher.decryptText(stored, at)).toBe('CANARY-s3cr3t');
    const used = kms.calls.filter((c) => c.operation === 'Encrypt' || c.operation === 'Decrypt');
    expect(used.map((c) => [c.operation, c.keyId, c.context, c.error])).toEqual([
      ['Encrypt', key.arn, at, undefined],
      ['Decrypt', key.arn, at, undefined],
    ]);
    // A cipher that knows only a local key reads it through a resolver, as the composition root does.
    const reader = new EnvelopeCipher(LocalKeyProvider.fromKey(Buffer.alloc(32, 1)), [], (id) =>
      id === key.arn ? keys.forArn(id) : undefined,
    );
    expect(await reader.decryptText(stored, at)).toBe('CANARY-s3cr3t');
  });

  it('a ciphertext moved to another row or column does not decrypt: KMS refuses the context', async () => {
    kms.createKey('alias/moved');
    const cipher = new EnvelopeCipher(await keys.open('alias/moved'));
    const stored = await cipher.encrypt('CANARY-moved', at);
    for (const where of [
      { ...at, rowId: '43' },
      { ...at, column: 'api_key_ciphertext' },
      { ...at, table: 'users', column: 'totp_secret_ciphertext' },
    ]) {
      const before = kms.calls.length;
      await expect(cipher.decrypt(stored, where)).rejects.toMatchObject({
        code: 'ENCRYPTION_DECRYPT_FAILED',
        message: expect.stringContaining(
          `${where.table}/${where.column}/${where.rowId}: KMS refuses`,
        ),
      });
      expect(kms.calls.slice(before).map((c) => [c.operation, c.error])).toEqual([
        ['Decrypt', 'InvalidCiphertextException'],
      ]);
    }
    expect(await cipher.decryptText(stored, at)).toBe('CANARY-moved');
  });

  it('bad input gives one clear line with a stable code', async () => {
    const oneLine = (code: string, text: RegExp) =>
      expect.objectContaining({ code, message: expect.stringMatching(text) });
    const noNewline = (e: unknown) => expect((e as Error).message).not.toContain('\n');

    await expect(keys.open('alias/nope')).rejects.toEqual(
      oneLine(
        'KMS_KEY_NOT_FOUND',
        /^kms: DescribeKey alias\/nope: no such key in us-east-1 \(check KMS_KEY_ID and AWS_REGION/,
      ),
    );
    await expect(keys.open('not a key')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });

    const off = kms.createKey('alias/off');
    kms.setEnabled(off.keyId, false);
    await expect(keys.open('alias/off')).rejects.toEqual(
      oneLine('KMS_KEY_DISABLED', /alias\/off .* is Disabled; enable it/),
    );
    // Disabled after values were wrapped: reading them says so.
    const later = kms.createKey('alias/later');
    const cipher = new EnvelopeCipher(await keys.open('alias/later'));
    const stored = await cipher.encrypt('x', at);
    kms.setEnabled(later.keyId, false);
    const e1 = await cipher.decrypt(stored, at).catch((e: unknown) => e);
    expect(e1).toEqual(
      oneLine('KMS_KEY_DISABLED', /^kms: Decrypt with arn:aws:kms:.*: the key is disabled/),
    );
    noNewline(e1);

    kms.createKey('alias/denied');
    const denied = await keys.open('alias/denied');
    kms.deny('Encrypt');
    const e2 = await new EnvelopeCipher(denied).encrypt('x', at).catch((e: unknown) => e);
    expect(e2).toEqual(
      oneLine(
        'KMS_DENIED',
        /^kms: Encrypt with arn:aws:kms:.*: access denied \(AccessDeniedException\)/,
      ),
    );
    noNewline(e2);

    const west = new KmsKeys({ region: 'eu-west-1', endpoint: kms.url });
    try {
      await expect(west.open('alias/kairos')).rejects.toEqual(
        oneLine('KMS_WRONG_REGION', /signed for the wrong region \(eu-west-1\); set AWS_REGION/),
      );
    } finally {
      west.destroy();
    }

    const down = new KmsKeys({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${await deadPort()}`,
    });
    try {
      const e3 = await down.open('alias/kairos').catch((e: unknown) => e);
      expect(e3).toEqual(
        oneLine(
          'KMS_UNREACHABLE',
          /^kms: DescribeKey alias\/kairos: cannot reach KMS \(ECONNREFUSED\); is AWS_ENDPOINT_URL_KMS right/,
        ),
      );
      noNewline(e3);
    } finally {
      down.destroy();
    }
  });
});
