import path from 'node:path';
import type { KmsSettings } from '../cloud/kms/kms-client.js';
import { isKmsKeyArn } from '../cloud/kms/kms-key-id.js';
import { KmsKeys } from '../cloud/kms/kms-keys.js';
import { EnvelopeCipher } from '../security/encryption/envelope-cipher.js';
import type { KeyProvider } from '../security/encryption/key-provider.js';
import { LocalKeyring } from '../security/encryption/local-keyring.js';
import type { Config } from './config.js';

/** Where a master key lives: a file of the local keyring, or AWS KMS. */
export type KeyProviderKind = 'local' | 'kms';

/** `Config.kms`: the configured KMS key (if any) and where KMS is. */
export type KmsConfig = KmsSettings & { readonly keyId: string | undefined };

/** The master keys of this install: the one that wraps new values, and every one that unwraps. */
export interface FieldKeySet {
  /** The local keyring in `$KAIROS_HOME/keys` (always there: `rotate` goes back to it). */
  readonly ring: LocalKeyring;
  /** Wraps new values: the KMS key when `KMS_KEY_ID` is set, else the local current key. */
  readonly current: KeyProvider;
  /** The provider that unwraps values of `keyId`: a local version, or KMS for a key ARN. */
  provider(keyId: string): KeyProvider | undefined;
  /** A field cipher: new values under `current`, any known key readable. */
  cipher(): EnvelopeCipher;
  /** Closes the KMS clients (a command's end; a server keeps them). */
  close(): void;
}

/** Which kind of provider a stored key id names (KMS: a key ARN; local: `local-…`). */
export function keyProviderKind(keyId: string): KeyProviderKind {
  return isKmsKeyArn(keyId) ? 'kms' : 'local';
}

/**
 * Opens the master keys: the local keyring in `keysDir` and, when `kms.keyId` is set, that KMS
 * key (checked with `DescribeKey`) as the current one. A value wrapped by any KMS key ARN stays
 * readable (KMS is asked with that ARN), so moving from KMS back to local keys needs no setting
 * but the endpoint and credentials.
 */
export async function openFieldKeys(keysDir: string, kms: KmsConfig): Promise<FieldKeySet> {
  const ring = await LocalKeyring.open(keysDir);
  const keys = new KmsKeys({ region: kms.region, endpoint: kms.endpoint });
  let current: KeyProvider;
  try {
    current = kms.keyId === undefined ? ring.current : await keys.open(kms.keyId);
  } catch (e) {
    keys.destroy();
    throw e;
  }
  const local = [ring.current, ...ring.previous];
  const provider = (keyId: string): KeyProvider | undefined =>
    keyId === current.keyId
      ? current
      : (local.find((p) => p.keyId === keyId) ??
        (isKmsKeyArn(keyId) ? keys.forArn(keyId) : undefined));
  return {
    ring,
    current,
    provider,
    cipher: () =>
      new EnvelopeCipher(
        current,
        local.filter((p) => p.keyId !== current.keyId),
        provider,
      ),
    close: () => keys.destroy(),
  };
}

/**
 * The field cipher of this install: envelope encryption under the KMS key `KMS_KEY_ID` when set,
 * else the local keyring in `$KAIROS_HOME/keys` (the current `master.key` wraps new values;
 * previous versions, kept until `kairos keys retire`, still unwrap old ones). Values wrapped by
 * any local version or KMS key stay readable.
 */
export async function openFieldCipher(config: Config): Promise<EnvelopeCipher> {
  return (await openFieldKeys(fieldKeysDir(config), config.kms)).cipher();
}

/** The folder of the local master keys. */
export function fieldKeysDir(config: Config): string {
  return path.join(config.home, 'keys');
}
