import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
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
 * region that unwraps it. Made by `KmsKeys` (`open` checks the key, `forArn` does not).
 *
 * @example
 * const provider = await kmsKeys.open('alias/kairos');
 * const cipher = new EnvelopeCipher(provider);
 */
export class KmsKeyProvider implements KeyProvider {
  constructor(
    private readonly client: KMSClient,
    /** The key ARN. */
    readonly keyId: string,
    private readonly region: string,
  ) {}

  async wrap(dataKey: Uint8Array, at: FieldLocation): Promise<Uint8Array> {
    let out;
    try {
      out = await this.client.send(
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
    let out;
    try {
      // KeyId pins the key: a ciphertext of another key is refused (IncorrectKeyException).
      out = await this.client.send(
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

/** The encryption context of a field: its location, which KMS also writes to CloudTrail. */
function context(at: FieldLocation): Record<string, string> {
  return { table: at.table, column: at.column, rowId: at.rowId };
}
