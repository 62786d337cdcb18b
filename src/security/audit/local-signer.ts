import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KairosError } from '../../trading/core/errors.js';
import { readOrCreateSecretFile } from '../encryption/secret-file.js';
import { keyIdOf, type ManifestSigner } from './manifest-signer.js';

/** The private key file under the keys folder (PKCS#8 PEM, mode 0600). */
export const SIGNING_KEY_FILE = 'audit-signing.key';
/** The public key file beside it (SPKI PEM), the one to hand to auditors. */
export const PUBLIC_KEY_FILE = 'audit-signing.pub';

/**
 * An Ed25519 signer whose key pair lives in a folder (`$KAIROS_HOME/keys`), created on first use.
 *
 * @example
 * const signer = await LocalSigner.open(path.join(home, 'keys'));
 */
export class LocalSigner implements ManifestSigner {
  readonly algorithm = 'Ed25519' as const;

  private constructor(
    private readonly privateKey: ReturnType<typeof createPrivateKey>,
    readonly publicKeyPem: string,
    readonly keyId: string,
  ) {}

  /** Loads the key pair from `keysDir`, making it (and writing the public key) when missing. */
  static async open(keysDir: string): Promise<LocalSigner> {
    const file = path.join(keysDir, SIGNING_KEY_FILE);
    const pem = await readOrCreateSecretFile(file, () =>
      // Encoded by the key generation itself: no KeyObject shares the generating job's key (see
      // `SigningKeys.generateKey`, a deadlock of Node 20's).
      Buffer.from(
        generateKeyPairSync('ed25519', {
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
          publicKeyEncoding: { type: 'spki', format: 'pem' },
        }).privateKey,
      ),
    );
    let privateKey;
    try {
      privateKey = createPrivateKey(pem);
    } catch (e) {
      throw new KairosError('KEY_FILE_INVALID', `${file}: not a PEM private key`, { cause: e });
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      throw new KairosError('KEY_FILE_INVALID', `${file}: not an Ed25519 key`);
    }
    const publicKeyPem = createPublicKey(privateKey).export({
      type: 'spki',
      format: 'pem',
    }) as string;
    const pubFile = path.join(keysDir, PUBLIC_KEY_FILE);
    // Stryker disable next-line ArrowFunction: equivalent, a missing file is rewritten whether it reads as null or undefined
    const written = await readFile(pubFile, 'utf8').catch(() => null);
    // Stryker disable next-line ConditionalExpression: equivalent, writing the same public key again leaves the same file
    if (written !== publicKeyPem) await writeFile(pubFile, publicKeyPem, { mode: 0o644 });
    return new LocalSigner(privateKey, publicKeyPem, keyIdOf(publicKeyPem));
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return sign(null, data, this.privateKey);
  }
}
