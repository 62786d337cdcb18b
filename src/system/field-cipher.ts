import path from 'node:path';
import { EnvelopeCipher } from '../security/encryption/envelope-cipher.js';
import { LocalKeyProvider } from '../security/encryption/local-key-provider.js';
import type { Config } from './config.js';

/**
 * The field cipher of this install: envelope encryption under the local master key in
 * `$KAIROS_HOME/keys/master.key` (AWS KMS takes its place when `KMS_KEY_ID` is supported).
 */
export async function openFieldCipher(config: Config): Promise<EnvelopeCipher> {
  return new EnvelopeCipher(
    await LocalKeyProvider.open(path.join(config.home, 'keys', 'master.key')),
  );
}
