import { mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { KairosError } from '../../trading/core/errors.js';
import { writeNewFile } from '../write-new-file.js';

/**
 * Reads a secret file (a key), creating it first when it is missing: owner-only (`0600`, folder
 * `0700`), written to a temporary file, synced, then hard-linked into place so two processes
 * starting together end up with the same key. An existing file that group or others can read is
 * refused with `KEY_FILE_INSECURE` (on POSIX systems).
 *
 * @example
 * const key = await readOrCreateSecretFile('var/keys/master.key', () => randomBytes(32));
 */
export async function readOrCreateSecretFile(file: string, make: () => Buffer): Promise<Buffer> {
  const existing = await readSecret(file);
  if (existing) return existing;
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const bytes = make();
  await writeNewFile(file, bytes, 0o600); // another process may have won: its key is read below
  await syncDir(dir);
  bytes.fill(0);
  const created = await readSecret(file);
  if (!created) throw new KairosError('KEY_FILE_INVALID', `${file}: could not be created`);
  return created;
}

/**
 * A private file's bytes, or null when missing; one readable by group or others is
 * `KEY_FILE_INSECURE`.
 */
export async function readSecret(file: string): Promise<Buffer | null> {
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KairosError('KEY_FILE_INVALID', `${file}: ${(e as Error).message}`, { cause: e });
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new KairosError(
      'KEY_FILE_INSECURE',
      `${file}: readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`,
    );
  }
  return readFile(file);
}

// Stryker disable all: durability only (an fsync of the folder), not observable in a test
/** Flushes a folder's entries (a created, renamed or deleted file) to disk; nothing on Windows. */
export async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
// Stryker restore all
