import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { KairosError } from '../../trading/core/errors.js';
import { writeNewFile } from '../write-new-file.js';
import { EnvelopeCipher } from './envelope-cipher.js';
import { LocalKeyProvider } from './local-key-provider.js';
import { syncDir } from './secret-file.js';

/** The current master key, in the keys folder. */
const CURRENT = 'master.key';
/** A new master key being put in place (a rotation interrupted here adopts it). */
const NEXT = 'master.key.next';
/** Older master keys, `<keyId>.key` each: they still unwrap until retired. */
const PREVIOUS = 'master-previous';

/** One master key of the keyring. */
export interface KeyVersion {
  readonly keyId: string;
  readonly status: 'current' | 'previous';
}

/**
 * The local master keys, by version: `keys/master.key` is the current key (new values are
 * wrapped by it) and `keys/master-previous/<keyId>.key` are older keys that still unwrap the
 * values a re-wrap job has not moved yet. `rotate` makes a new current key and keeps the old
 * one as a previous version; `retire` deletes a previous key once no value needs it. Every file
 * is owner-only (`0600`, folders `0700`), written whole (temporary file, sync, link or rename),
 * so a rotation interrupted at any point leaves a keyring that opens and decrypts everything.
 *
 * @example
 * const ring = await LocalKeyring.open(path.join(home, 'keys'));
 * const cipher = ring.cipher(); // encrypts with the current key, decrypts with any version
 */
export class LocalKeyring {
  private constructor(
    readonly dir: string,
    readonly current: LocalKeyProvider,
    readonly previous: readonly LocalKeyProvider[],
  ) {}

  /** Loads the keyring in `dir`, creating the current master key on first use. */
  static async open(dir: string): Promise<LocalKeyring> {
    const current = await LocalKeyProvider.open(path.join(dir, CURRENT));
    const previous: LocalKeyProvider[] = [];
    // Stryker disable next-line MethodExpression: equivalent under Node on POSIX, readdir answers names sorted already (libuv's scandir sorts them)
    for (const name of (await listPrevious(dir)).sort()) {
      const file = path.join(dir, PREVIOUS, name);
      const p = await LocalKeyProvider.open(file);
      if (`${p.keyId}.key` !== name) {
        throw new KairosError(
          'KEY_FILE_INVALID',
          `${file}: holds key ${p.keyId}; a previous master key file is named <keyId>.key`,
        );
      }
      if (p.keyId !== current.keyId) previous.push(p);
    }
    return new LocalKeyring(dir, current, previous);
  }

  /**
   * Makes a new current master key and keeps the old one as a previous version; answers the
   * keyring after. Steps, each safe to interrupt: copy the current key to `master-previous/`,
   * write the new key to `master.key.next` (or adopt one an interrupted rotation left), then
   * rename it over `master.key`.
   */
  static async rotate(dir: string): Promise<LocalKeyring> {
    const before = await LocalKeyring.open(dir);
    const previousDir = path.join(dir, PREVIOUS);
    await mkdir(previousDir, { recursive: true, mode: 0o700 });
    const currentBytes = await readFile(path.join(dir, CURRENT));
    await writeNewFile(path.join(previousDir, `${before.current.keyId}.key`), currentBytes, 0o600);
    currentBytes.fill(0);
    await syncDir(previousDir);
    const next = path.join(dir, NEXT);
    const fresh = Buffer.from(`${randomBytes(32).toString('base64')}\n`);
    await writeNewFile(next, fresh, 0o600); // false: an interrupted rotation's key, adopted
    fresh.fill(0);
    await LocalKeyProvider.open(next); // refuses a damaged or insecure file before it is current
    await rename(next, path.join(dir, CURRENT));
    await syncDir(dir);
    return LocalKeyring.open(dir);
  }

  /** The versions, current first. */
  versions(): KeyVersion[] {
    return [
      { keyId: this.current.keyId, status: 'current' },
      ...this.previous.map((p) => ({ keyId: p.keyId, status: 'previous' as const })),
    ];
  }

  /** A field cipher: new values under the current key, old ones readable with any version. */
  cipher(): EnvelopeCipher {
    return new EnvelopeCipher(this.current, this.previous);
  }

  /**
   * Deletes a previous master key: values it still wraps become unreadable, so call it only
   * when none is left (`kairos keys retire` checks). The current key cannot be retired
   * (`KEY_IN_USE`); an id that is not a previous version is `ENCRYPTION_KEY_UNKNOWN`.
   */
  async retire(keyId: string): Promise<void> {
    if (keyId === this.current.keyId) {
      throw new KairosError('KEY_IN_USE', `key ${keyId}: the current master key cannot be retired`);
    }
    if (!this.previous.some((p) => p.keyId === keyId)) {
      throw new KairosError('ENCRYPTION_KEY_UNKNOWN', `key ${keyId}: not a previous master key`);
    }
    await unlink(path.join(this.dir, PREVIOUS, `${keyId}.key`));
    await syncDir(path.join(this.dir, PREVIOUS));
  }
}

async function listPrevious(dir: string): Promise<string[]> {
  try {
    return (await readdir(path.join(dir, PREVIOUS))).filter((n) => n.endsWith('.key'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
