import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import { startLocalKms, type LocalKms } from '../../support/local-kms.js';

/** The test endpoint behaves as KMS documents it, to the real SDK. */
describe('local KMS endpoint (AWS JSON 1.1) with @aws-sdk/client-kms', () => {
  let kms: LocalKms;
  let client: KMSClient;
  const at = { table: 'venue_credentials', column: 'secret_ciphertext', rowId: '7' };

  beforeAll(async () => {
    kms = await startLocalKms();
    client = new KMSClient({
      region: 'us-east-1',
      endpoint: kms.url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await kms.close();
  });

  const fault = async (p: Promise<unknown>) => {
    const e = (await p.then(
      () => undefined,
      (err: unknown) => err,
    )) as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
    return [e?.name, e?.$metadata?.httpStatusCode];
  };

  it('encrypts and decrypts under the same context; answers the key ARN', async () => {
    const key = kms.createKey('alias/unit');
    const enc = await client.send(
      new EncryptCommand({
        KeyId: 'alias/unit',
        Plaintext: Buffer.from('data key'),
        EncryptionContext: at,
      }),
    );
    expect(enc.KeyId).toBe(key.arn);
    expect(key.arn).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]{36}$/);
    const dec = await client.send(
      new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: at }),
    );
    expect([dec.KeyId, Buffer.from(dec.Plaintext!).toString()]).toEqual([key.arn, 'data key']);
  });

  it('refuses a Decrypt with another encryption context (InvalidCiphertextException, 400)', async () => {
    kms.createKey('alias/ctx');
    const enc = await client.send(
      new EncryptCommand({
        KeyId: 'alias/ctx',
        Plaintext: Buffer.from('k'),
        EncryptionContext: at,
      }),
    );
    for (const other of [{ ...at, rowId: '8' }, { ...at, column: 'api_key_ciphertext' }, {}]) {
      expect(
        await fault(
          client.send(
            new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: other }),
          ),
        ),
      ).toEqual(['InvalidCiphertextException', 400]);
    }
    // A changed byte is refused too.
    const blob = Buffer.from(enc.CiphertextBlob!);
    blob[blob.length - 1]! ^= 1;
    expect(
      await fault(client.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: at }))),
    ).toEqual(['InvalidCiphertextException', 400]);
  });

  it('unknown key: NotFoundException; disabled: DisabledException; another key: IncorrectKeyException', async () => {
    expect(
      await fault(
        client.send(new EncryptCommand({ KeyId: 'alias/none', Plaintext: Buffer.from('k') })),
      ),
    ).toEqual(['NotFoundException', 400]);
    expect(await fault(client.send(new DescribeKeyCommand({ KeyId: 'alias/none' })))).toEqual([
      'NotFoundException',
      400,
    ]);
    const key = kms.createKey();
    const other = kms.createKey();
    const enc = await client.send(
      new EncryptCommand({ KeyId: key.arn, Plaintext: Buffer.from('k'), EncryptionContext: at }),
    );
    expect(
      await fault(
        client.send(
          new DecryptCommand({
            KeyId: other.arn,
            CiphertextBlob: enc.CiphertextBlob,
            EncryptionContext: at,
          }),
        ),
      ),
    ).toEqual(['IncorrectKeyException', 400]);
    kms.setEnabled(key.keyId, false);
    expect(
      await fault(
        client.send(
          new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: at }),
        ),
      ),
    ).toEqual(['DisabledException', 400]);
    const d = await client.send(new DescribeKeyCommand({ KeyId: key.keyId }));
    expect([d.KeyMetadata?.KeyState, d.KeyMetadata?.Arn]).toEqual(['Disabled', key.arn]);
    kms.setEnabled(key.keyId, true);
    const back = await client.send(
      new DecryptCommand({
        KeyId: key.arn,
        CiphertextBlob: enc.CiphertextBlob,
        EncryptionContext: at,
      }),
    );
    expect(Buffer.from(back.Plaintext!).toString()).toBe('k');
  });

  it('GenerateDataKey gives a key and its blob; a request signed for another region is refused', async () => {
    const key = kms.createKey();
    const g = await client.send(
      new GenerateDataKeyCommand({ KeyId: key.keyId, KeySpec: 'AES_256', EncryptionContext: at }),
    );
    expect([g.KeyId, g.Plaintext?.length]).toEqual([key.arn, 32]);
    const dec = await client.send(
      new DecryptCommand({ CiphertextBlob: g.CiphertextBlob, EncryptionContext: at }),
    );
    expect(Buffer.from(dec.Plaintext!)).toEqual(Buffer.from(g.Plaintext!));

    const west = new KMSClient({
      region: 'eu-west-1',
      endpoint: kms.url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    try {
      expect(await fault(west.send(new DescribeKeyCommand({ KeyId: key.keyId })))).toEqual([
        'InvalidSignatureException',
        400,
      ]);
    } finally {
      west.destroy();
    }
  });
});
