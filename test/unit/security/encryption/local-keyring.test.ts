import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FieldLocation } from '../../../../src/security/encryption/key-provider.js';
import { LocalKeyProvider } from '../../../../src/security/encryption/local-key-provider.js';
import { LocalKeyring } from '../../../../src/security/encryption/local-keyring.js';
import { tempDir } from '../../../support/temp-dir.js';

const at: FieldLocation = { table: 'venue_credentials', column: 'secret', rowId: '7' };
const freshDir = async () => path.join(tempDir('kairos-ring-'), 'keys');

describe('LocalKeyring', () => {
  it('starts with one current key, master.key, as LocalKeyProvider made it', async () => {
    const dir = await freshDir();
    const ring = await LocalKeyring.open(dir);
    const single = await LocalKeyProvider.open(path.join(dir, 'master.key'));
    expect(ring.versions()).toEqual([{ keyId: single.keyId, status: 'current' }]);
    const stored = await ring.cipher().encrypt('s', at);
    expect(ring.cipher().keyIdOf(stored)).toBe(single.keyId);
  });

  it('rotate makes a new current key and keeps the old one as a readable previous version', async () => {
    const dir = await freshDir();
    const before = await LocalKeyring.open(dir);
    const old = await before.cipher().encrypt('old value', at);
    const after = await LocalKeyring.rotate(dir);
    expect(after.current.keyId).not.toBe(before.current.keyId);
    expect(after.versions()).toEqual([
      { keyId: after.current.keyId, status: 'current' },
      { keyId: before.current.keyId, status: 'previous' },
    ]);
    const cipher = after.cipher();
    expect(await cipher.decryptText(old, at)).toBe('old value');
    expect(cipher.keyIdOf(await cipher.encrypt('new value', at))).toBe(after.current.keyId);
    const moved = await cipher.rewrap(old, after.current, at);
    expect(cipher.keyIdOf(moved)).toBe(after.current.keyId);
    expect(await cipher.decryptText(moved, at)).toBe('old value');
    // Every key file stays owner-only.
    const prevFile = path.join(dir, 'master-previous', `${before.current.keyId}.key`);
    expect((await stat(prevFile)).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'master.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(prevFile))).mode & 0o777).toBe(0o700);
    // A second rotation keeps both older versions.
    const third = await LocalKeyring.rotate(dir);
    expect(third.previous.map((p) => p.keyId).sort()).toEqual(
      [before.current.keyId, after.current.keyId].sort(),
    );
    expect(await third.cipher().decryptText(old, at)).toBe('old value');
  });

  it('retire deletes a previous key (its values no longer unwrap); never the current one', async () => {
    const dir = await freshDir();
    const first = await LocalKeyring.open(dir);
    const old = await first.cipher().encrypt('x', at);
    const ring = await LocalKeyring.rotate(dir);
    const moved = await ring.cipher().rewrap(old, ring.current, at);
    await expect(ring.retire(ring.current.keyId)).rejects.toMatchObject({ code: 'KEY_IN_USE' });
    await expect(ring.retire('local-0000000000000000')).rejects.toMatchObject({
      code: 'ENCRYPTION_KEY_UNKNOWN',
    });
    await ring.retire(first.current.keyId);
    const after = await LocalKeyring.open(dir);
    expect(after.versions()).toEqual([{ keyId: ring.current.keyId, status: 'current' }]);
    expect(await after.cipher().decryptText(moved, at)).toBe('x');
    await expect(after.cipher().decrypt(old, at)).rejects.toMatchObject({
      code: 'ENCRYPTION_KEY_UNKNOWN',
    });
  });

  it('a rotation interrupted at any step leaves a keyring that opens and reads everything', async () => {
    const dir = await freshDir();
    const first = await LocalKeyring.open(dir);
    const old = await first.cipher().encrypt('kept', at);
    // Interrupted after copying the current key to master-previous: the copy is the same key.
    await mkdir(path.join(dir, 'master-previous'), { mode: 0o700 });
    await copyFile(
      path.join(dir, 'master.key'),
      path.join(dir, 'master-previous', `${first.current.keyId}.key`),
    );
    const copied = await LocalKeyring.open(dir);
    expect(copied.versions()).toEqual([{ keyId: first.current.keyId, status: 'current' }]);
    // Interrupted after writing the next key, before putting it in place: it is adopted.
    const next = randomBytes(32);
    await writeFile(path.join(dir, 'master.key.next'), `${next.toString('base64')}\n`, {
      mode: 0o600,
    });
    expect((await LocalKeyring.open(dir)).current.keyId).toBe(first.current.keyId);
    const ring = await LocalKeyring.rotate(dir);
    expect(ring.current.keyId).toBe(LocalKeyProvider.fromKey(next).keyId);
    expect(ring.previous.map((p) => p.keyId)).toEqual([first.current.keyId]);
    expect(await ring.cipher().decryptText(old, at)).toBe('kept');
    expect((await readdir(dir)).sort()).toEqual(['master-previous', 'master.key']);
  });

  it('refuses a previous key file whose name is not its key id', async () => {
    const dir = await freshDir();
    const first = await LocalKeyring.open(dir);
    await LocalKeyring.rotate(dir);
    const prev = path.join(dir, 'master-previous');
    const bytes = await readFile(path.join(prev, `${first.current.keyId}.key`));
    await writeFile(path.join(prev, 'local-0123456789abcdef.key'), bytes, { mode: 0o600 });
    await expect(LocalKeyring.open(dir)).rejects.toMatchObject({
      code: 'KEY_FILE_INVALID',
      message: expect.stringContaining('local-0123456789abcdef.key'),
    });
  });
});
