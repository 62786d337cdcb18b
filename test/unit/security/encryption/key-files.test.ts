import { randomBytes } from 'node:crypto';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FieldLocation } from '../../../../src/security/encryption/key-provider.js';
import { LocalKeyProvider } from '../../../../src/security/encryption/local-key-provider.js';
import { LocalKeyring } from '../../../../src/security/encryption/local-keyring.js';
import { readSecret } from '../../../../src/security/encryption/secret-file.js';
import { tempDir } from '../../../support/temp-dir.js';

// What an operator sees when a master key file is wrong: the file, what is wrong and what to do.

const at: FieldLocation = { table: 'venue_credentials', column: 'secret', rowId: '7' };
const freshDir = async () => tempDir('kairos-keyfiles-');

describe('master key files', () => {
  it('names the file and the rule: size, permissions, an unreadable path', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'master.key');
    await writeFile(file, randomBytes(16).toString('base64'), { mode: 0o600 });
    await expect(LocalKeyProvider.open(file)).rejects.toMatchObject({
      code: 'KEY_FILE_INVALID',
      message: `${file}: must hold 32 bytes in base64`,
    });
    await chmod(file, 0o640);
    await expect(readSecret(file)).rejects.toMatchObject({
      code: 'KEY_FILE_INSECURE',
      message: `${file}: readable by group or others (mode 640); run chmod 600 on it`,
    });
    // A path through a regular file is not "missing": it is an error, never a new key.
    const through = path.join(file, 'master.key');
    const err = await readSecret(through).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KEY_FILE_INVALID' });
    expect((err as Error).message.startsWith(`${through}: `)).toBe(true);
    expect((err as { cause?: { code?: string } }).cause?.code).toBe('ENOTDIR');
    await expect(LocalKeyProvider.open(through)).rejects.toMatchObject({
      code: 'KEY_FILE_INVALID',
    });
  });

  it('refuses a master key path that is a dangling link instead of taking it as created', async () => {
    // master.key linked to a volume that is not mounted: the new key cannot land there, and
    // opening must say so rather than go on without a key.
    const dir = await freshDir();
    const file = path.join(dir, 'master.key');
    await symlink(path.join(dir, 'unmounted', 'master.key'), file);
    await expect(LocalKeyProvider.open(file)).rejects.toMatchObject({
      code: 'KEY_FILE_INVALID',
      message: `${file}: could not be created`,
    });
  });

  it('names a master key the same way in every version: stored values carry this id', () => {
    expect(LocalKeyProvider.fromKey(Buffer.alloc(32, 1)).keyId).toBe('local-6f0c2847fa47ef97');
  });

  it('takes only 32-byte keys in memory', () => {
    expect(() => LocalKeyProvider.fromKey(randomBytes(16))).toThrow(
      expect.objectContaining({ code: 'KEY_FILE_INVALID', message: 'a master key is 32 bytes' }),
    );
  });

  it('says which location a data key does not unwrap for, keeping the cause', async () => {
    const p = LocalKeyProvider.fromKey(randomBytes(32));
    const wrapped = await p.wrap(randomBytes(32), at);
    const err = await p.unwrap(wrapped, { ...at, rowId: '8' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ENCRYPTION_DECRYPT_FAILED',
      message:
        'venue_credentials/secret/8: the data key does not unwrap (another row or column, or another master key)',
    });
    expect((err as { cause?: unknown }).cause).toHaveProperty('message');
  });
});

describe('keyring retirement', () => {
  it('retires one of several previous keys, and names the key it refuses', async () => {
    const dir = await freshDir();
    const first = await LocalKeyring.open(dir);
    const second = await LocalKeyring.rotate(dir);
    const ring = await LocalKeyring.rotate(dir);
    expect(ring.versions().map((v) => v.status)).toEqual(['current', 'previous', 'previous']);
    await expect(ring.retire(ring.current.keyId)).rejects.toMatchObject({
      message: `key ${ring.current.keyId}: the current master key cannot be retired`,
    });
    await expect(ring.retire('local-0000000000000000')).rejects.toMatchObject({
      message: 'key local-0000000000000000: not a previous master key',
    });
    await ring.retire(second.current.keyId);
    const after = await LocalKeyring.open(dir);
    expect(after.versions()).toEqual([
      { keyId: ring.current.keyId, status: 'current' },
      { keyId: first.current.keyId, status: 'previous' },
    ]);
  });

  it('lists the previous master keys in key-id order, not in the order they were made', async () => {
    const dir = await freshDir();
    await LocalKeyring.open(dir);
    for (let i = 0; i < 3; i++) await LocalKeyring.rotate(dir);
    const previous = (await LocalKeyring.open(dir)).versions().slice(1);
    expect(previous).toHaveLength(3);
    const ids = previous.map((v) => v.keyId);
    expect(ids).toEqual([...ids].sort());
  });

  it('does not open when the previous-keys folder cannot be read, rather than forget those keys', async () => {
    // Values still wrapped by a previous key would then fail later, one by one, as unknown keys.
    const dir = await freshDir();
    await LocalKeyring.open(dir);
    await writeFile(path.join(dir, 'master-previous'), 'not a folder', { mode: 0o600 });
    const err = await LocalKeyring.open(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENOTDIR' });
  });

  it('ignores files in the previous-keys folder that are not keys', async () => {
    const dir = await freshDir();
    await LocalKeyring.open(dir);
    const ring = await LocalKeyring.rotate(dir);
    const folder = path.join(dir, 'master-previous');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'README.txt'), 'not a key', { mode: 0o600 });
    expect((await LocalKeyring.open(dir)).versions()).toEqual(ring.versions());
  });
});
