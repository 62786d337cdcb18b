import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { EnvelopeCipher } from '../encryption/envelope-cipher.js';
import type { FieldLocation, KeyProvider } from '../encryption/key-provider.js';
import { readSecret, syncDir } from '../encryption/secret-file.js';
import { writeNewFile } from '../write-new-file.js';
import { SigningKeys, type SigningKey } from './signing-keys.js';

/** The access-token signing key under `$KAIROS_HOME/keys`, encrypted (an envelope, as text). */
export const SIGNING_KEY_FILE = 'jwt-es256.key.enc';
/** Where earlier versions kept it as plain PEM; moved into `SIGNING_KEY_FILE` on first open. */
export const LEGACY_SIGNING_KEY_FILE = 'jwt-es256.pem';

/** The envelope is bound to this location: it decrypts nowhere else. */
const AT: FieldLocation = { table: 'keys', column: 'jwt_signing_key', rowId: 'es256' };

/**
 * Opens the access-token signing key: a PKCS#8 PEM encrypted with the field cipher (envelope
 * encryption under the master key provider: the local keyring, KMS when configured), never on
 * disk in the clear. Made on first use; a plain key from an older install is encrypted and its
 * PEM file deleted; a key wrapped by a previous master key is re-wrapped under the current one.
 *
 * @example
 * const key = await openSigningKey(path.join(home, 'keys'), cipher, ring.current);
 */
export async function openSigningKey(
  keysDir: string,
  cipher: EnvelopeCipher,
  current: KeyProvider,
): Promise<SigningKey> {
  const file = path.join(keysDir, SIGNING_KEY_FILE);
  const legacy = path.join(keysDir, LEGACY_SIGNING_KEY_FILE);
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  let envelope = await readText(file);
  // Stryker disable next-line ConditionalExpression: equivalent, writeNewFile never replaces an existing file and the envelope is read back from it
  if (envelope === null) {
    const plain = await readText(legacy);
    const pem = plain ?? SigningKeys.toPem(SigningKeys.generateKey());
    await writeNewFile(file, Buffer.from(await cipher.encrypt(pem, AT)), 0o600);
    await syncDir(keysDir);
    envelope = (await readText(file))!; // another process may have won the race: its key
  }
  const key = SigningKeys.keyFromPem(await cipher.decryptText(envelope, AT));
  // Only once the encrypted copy is known to hold the same key does the plain one go.
  const plain = await readText(legacy);
  if (plain !== null && SigningKeys.keyFromPem(plain).kid === key.kid) {
    await unlink(legacy);
    await syncDir(keysDir);
  }
  // Stryker disable next-line ConditionalExpression: equivalent, rewrapSigningKey itself does nothing when the file is already under `current`
  if (cipher.keyIdOf(envelope) !== current.keyId) await rewrapSigningKey(keysDir, cipher, current);
  return key;
}

/**
 * Re-wraps the signing key file under `next` (master-key rotation: run before the previous key
 * is retired). Replaces the file atomically; no-op when there is none or it is already there.
 */
export async function rewrapSigningKey(
  keysDir: string,
  cipher: EnvelopeCipher,
  next: KeyProvider,
): Promise<boolean> {
  const file = path.join(keysDir, SIGNING_KEY_FILE);
  const envelope = await readText(file);
  if (envelope === null || cipher.keyIdOf(envelope) === next.keyId) return false;
  const rewrapped = await cipher.rewrap(envelope, next, AT);
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(rewrapped);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await syncDir(keysDir);
  return true;
}

/** The private file as text, or null when missing. */
async function readText(file: string): Promise<string | null> {
  return (await readSecret(file))?.toString('utf8').trim() ?? null;
}
