import { mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { KairosError } from '../../trading/core/errors.js';
import { writeNewFile } from '../write-new-file.js';
import {
  keyFileProblem,
  restrictWindowsFolder,
  windowsSddl,
  type KeyFileAccess,
} from './key-file-access.js';

/** The platform a key file is checked for, and how its Windows ACL is read (tests inject both). */
export interface KeyFilePlatform {
  readonly platform: NodeJS.Platform;
  readonly sddl: (file: string) => Promise<string>;
}

const HOST: KeyFilePlatform = { platform: process.platform, sddl: windowsSddl };

/**
 * Reads a secret file (a key), creating it first when it is missing: owner-only (`0600`, folder
 * `0700`), written to a temporary file, synced, then hard-linked into place so two processes
 * starting together end up with the same key. An existing file that others can read is refused
 * with `KEY_FILE_INSECURE`: on POSIX a bit for group or others; on Windows an ACL entry for anyone
 * but the owner, SYSTEM and Administrators (a keys folder this creates there is made its owner's
 * alone first): `keyFileProblem`, docs/encryption.md.
 *
 * @example
 * const key = await readOrCreateSecretFile('var/keys/master.key', () => randomBytes(32));
 */
export async function readOrCreateSecretFile(file: string, make: () => Buffer): Promise<Buffer> {
  const existing = await readSecret(file);
  if (existing) return existing;
  const dir = path.dirname(file);
  const made = await mkdir(dir, { recursive: true, mode: 0o700 });
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: Windows only, not run here
  if (made !== undefined && HOST.platform === 'win32') await restrictWindowsFolder(dir);
  const bytes = make();
  await writeNewFile(file, bytes, 0o600); // another process may have won: its key is read below
  await syncDir(dir);
  bytes.fill(0);
  const created = await readSecret(file);
  if (!created) throw new KairosError('KEY_FILE_INVALID', `${file}: could not be created`);
  return created;
}

/**
 * A private file's bytes, or null when missing; one others can read (`keyFileProblem`) is
 * `KEY_FILE_INSECURE`, one whose Windows ACL cannot be read `KEY_FILE_INVALID`.
 */
export async function readSecret(
  file: string,
  host: KeyFilePlatform = HOST,
): Promise<Buffer | null> {
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KairosError('KEY_FILE_INVALID', `${file}: ${(e as Error).message}`, { cause: e });
  }
  let access: KeyFileAccess = { platform: 'posix', mode };
  if (host.platform === 'win32') {
    try {
      access = { platform: 'win32', sddl: await host.sddl(file) };
    } catch (e) {
      throw new KairosError(
        'KEY_FILE_INVALID',
        `${file}: its access control list could not be read: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
  const problem = keyFileProblem(access);
  if (problem !== null) throw new KairosError('KEY_FILE_INSECURE', `${file}: ${problem}`);
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
