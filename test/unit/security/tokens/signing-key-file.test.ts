import { mkdtemp, readFile, rm, stat, writeFile, access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalKeyring } from '../../../../src/security/encryption/local-keyring.js';
import {
  LEGACY_SIGNING_KEY_FILE,
  SIGNING_KEY_FILE,
  openSigningKey,
  rewrapSigningKey,
} from '../../../../src/security/tokens/signing-key-file.js';
import { SigningKeys } from '../../../../src/security/tokens/signing-keys.js';
import { fdsOn } from '../../../support/open-fds.js';

describe('the JWT signing key is encrypted at rest under the master key', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kairos-jwt-key-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const open = async () => {
    const ring = await LocalKeyring.open(dir);
    return { ring, key: await openSigningKey(dir, ring.cipher(), ring.current) };
  };
  const gone = (file: string) => expect(access(file)).rejects.toMatchObject({ code: 'ENOENT' });

  it('is made on first use as an envelope (no PEM on disk, mode 0600), the same key every open', async () => {
    const { key, ring } = await open();
    const file = path.join(dir, SIGNING_KEY_FILE);
    const text = await readFile(file, 'utf8');
    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(ring.cipher().keyIdOf(text.trim())).toBe(ring.current.keyId);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await open()).key.kid).toBe(key.kid);
  });

  it('encrypts a plain PEM from an older install, then deletes the PEM', async () => {
    const old = SigningKeys.generateKey();
    await writeFile(path.join(dir, LEGACY_SIGNING_KEY_FILE), SigningKeys.toPem(old), {
      mode: 0o600,
    });
    const { key } = await open();
    expect(key.kid).toBe(old.kid);
    await gone(path.join(dir, LEGACY_SIGNING_KEY_FILE));
    expect(await readFile(path.join(dir, SIGNING_KEY_FILE), 'utf8')).not.toMatch(/PRIVATE KEY/);
  });

  it('does not open under another master key, and moves to a rotated master key', async () => {
    const { key } = await open();
    const rotated = await LocalKeyring.rotate(dir);
    const again = await openSigningKey(dir, rotated.cipher(), rotated.current);
    expect(again.kid).toBe(key.kid);
    const text = (await readFile(path.join(dir, SIGNING_KEY_FILE), 'utf8')).trim();
    expect(rotated.cipher().keyIdOf(text)).toBe(rotated.current.keyId);

    const stranger = await mkdtemp(path.join(os.tmpdir(), 'kairos-jwt-other-'));
    try {
      const other = await LocalKeyring.open(stranger);
      await expect(openSigningKey(dir, other.cipher(), other.current)).rejects.toMatchObject({
        code: expect.stringMatching(/^ENCRYPTION_/),
      });
    } finally {
      await rm(stranger, { recursive: true, force: true });
    }
  });

  it('keeps a plain PEM that is not the encrypted key (it may be the only copy of another key)', async () => {
    const { key } = await open();
    const stray = SigningKeys.generateKey();
    await writeFile(path.join(dir, LEGACY_SIGNING_KEY_FILE), SigningKeys.toPem(stray), {
      mode: 0o600,
    });
    expect((await open()).key.kid).toBe(key.kid);
    expect(await readFile(path.join(dir, LEGACY_SIGNING_KEY_FILE), 'utf8')).toMatch(/PRIVATE KEY/);
  });

  it('re-wraps only when there is a key file not yet under the new master key', async () => {
    const empty = await LocalKeyring.open(dir);
    await expect(rewrapSigningKey(dir, empty.cipher(), empty.current)).resolves.toBe(false);
    const { ring } = await open();
    await expect(rewrapSigningKey(dir, ring.cipher(), ring.current)).resolves.toBe(false);
    const before = await readFile(path.join(dir, SIGNING_KEY_FILE), 'utf8');
    const rotated = await LocalKeyring.rotate(dir);
    await expect(rewrapSigningKey(dir, rotated.cipher(), rotated.current)).resolves.toBe(true);
    expect(await readFile(path.join(dir, SIGNING_KEY_FILE), 'utf8')).not.toBe(before);
    await expect(rewrapSigningKey(dir, rotated.cipher(), rotated.current)).resolves.toBe(false);
  });

  it('holds no file of the keys folder open after a re-wrap (a long-running server rotates keys)', async () => {
    await open();
    const rotated = await LocalKeyring.rotate(dir);
    await expect(rewrapSigningKey(dir, rotated.cipher(), rotated.current)).resolves.toBe(true);
    expect(fdsOn(path.join(dir, SIGNING_KEY_FILE))).toEqual([]);
  });

  it('reads a key file with a trailing newline (edited by hand)', async () => {
    const { key } = await open();
    const file = path.join(dir, SIGNING_KEY_FILE);
    await writeFile(file, `${await readFile(file, 'utf8')}\n`);
    expect((await open()).key.kid).toBe(key.kid);
  });
});
