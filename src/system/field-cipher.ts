import path from 'node:path';
import type { EnvelopeCipher } from '../security/encryption/envelope-cipher.js';
import { LocalKeyring } from '../security/encryption/local-keyring.js';
import type { Config } from './config.js';

/**
 * The field cipher of this install: envelope encryption under the local keyring in
 * `$KAIROS_HOME/keys` (the current `master.key` wraps new values; previous versions, kept until
 * `kairos keys retire`, still unwrap old ones). AWS KMS takes its place when `KMS_KEY_ID` is
 * supported.
 */
export async function openFieldCipher(config: Config): Promise<EnvelopeCipher> {
  return (await LocalKeyring.open(fieldKeysDir(config))).cipher();
}

/** The folder of the local master keys. */
export function fieldKeysDir(config: Config): string {
  return path.join(config.home, 'keys');
}
