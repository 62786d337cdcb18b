import type * as KmsSdk from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { FieldLocation, KeyProvider } from '../../security/encryption/key-provider.js';
import { KairosError } from '../../trading/core/errors.js';
import { kmsError } from './kms-errors.js';

/**
 * A `KeyProvider` over one AWS KMS symmetric key: `wrap` is KMS `Encrypt` of the data key and
 * `unwrap` is `Decrypt`, both with the field's location as the encryption context
 * (`{table, column, rowId}`). KMS binds the context to the ciphertext, so a wrapped key moved to
 * another row or column does not decrypt (`ENCRYPTION_DECRYPT_FAILED`), and a key policy can
 * condition `kms:Decrypt` on `kms:EncryptionContext:table`. `keyId` is the key's ARN (what KMS
 * answers, whatever id or alias was configured), so a stored value names the exact key and
 * region that unwraps it. Made by `KmsKeys` (`open` checks the key, `forArn` does not). The
 * client comes from `client()` at the first call: a process that only might read a KMS-wrapped
 * value does not load the AWS SDK's KMS client (~0.3 s) until it does.
 *
 * @example
 * const provider = await kmsKeys.open('alias/kairos');
 * const cipher = new EnvelopeCipher(provider);
 */
export class KmsKeyProvider implements KeyProvider {
  constructor(
    private readonly client: () => Promise<KMSClient>,
    /** The key ARN. */
    readonly keyId: string,
    private readonly region: string,
  ) {}

  async wrap(dataKey: Uint8Array, at: FieldLocation): Promise<Uint8Array> {
    const [client, { EncryptCommand }] = await Promise.all([this.client(), kmsSdk()]);
    let out;
    try {
      out = await client.send(
        new EncryptCommand({
          KeyId: this.keyId,
          Plaintext: dataKey,
          EncryptionContext: context(at),
        }),
      );
    } catch (e) {
      throw kmsError(e, `Encrypt with ${this.keyId}`, this.region);
    }
    if (!out.CiphertextBlob || out.CiphertextBlob.length === 0) {
      throw new KairosError(
        'KMS_FAILED',
        `kms: Encrypt with ${this.keyId}: no ciphertext in the answer`,
      );
    }
    return out.CiphertextBlob;
  }

  async unwrap(wrapped: Uint8Array, at: FieldLocation): Promise<Uint8Array> {
    const [client, { DecryptCommand }] = await Promise.all([this.client(), kmsSdk()]);
    let out;
    try {
      // KeyId pins the key: a ciphertext of another key is refused (IncorrectKeyException).
      out = await client.send(
        new DecryptCommand({
          KeyId: this.keyId,
          CiphertextBlob: wrapped,
          EncryptionContext: context(at),
        }),
      );
    } catch (e) {
      const name = (e as { name?: string })?.name;
      if (name === 'InvalidCiphertextException' || name === 'IncorrectKeyException') {
        throw new KairosError(
          'ENCRYPTION_DECRYPT_FAILED',
          `${at.table}/${at.column}/${at.rowId}: KMS refuses the data key (${name}: another row or column, or another key)`,
          { cause: e },
        );
      }
      throw kmsError(e, `Decrypt with ${this.keyId}`, this.region);
    }
    if (!out.Plaintext || out.Plaintext.length !== 32) {
      throw new KairosError(
        'ENCRYPTION_DECRYPT_FAILED',
        `${at.table}/${at.column}/${at.rowId}: KMS answered no 32-byte data key`,
      );
    }
    return out.Plaintext;
  }
}

/** The AWS SDK's KMS module, loaded on first use. */
export function kmsSdk(): Promise<typeof KmsSdk> {
  return import('@aws-sdk/client-kms');
}

/** The encryption context of a field: its location, which KMS also writes to CloudTrail. */
function context(at: FieldLocation): Record<string, string> {
  return { table: at.table, column: at.column, rowId: at.rowId };
}
