import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EnvelopeCipher } from '../../../../src/security/encryption/envelope-cipher.js';
import type {
  FieldLocation,
  KeyProvider,
} from '../../../../src/security/encryption/key-provider.js';
import { LocalKeyProvider } from '../../../../src/security/encryption/local-key-provider.js';
import { tempDir } from '../../../support/temp-dir.js';

const at: FieldLocation = { table: 'exchange_credentials', column: 'secret', rowId: '42' };

/** Replaces one character of the base64url part `index` (0 = version … 5 = tag). */
function tamper(envelope: string, index: number): string {
  const parts = envelope.split('.');
  const p = parts[index]!;
  parts[index] = (p[0] === 'A' ? 'B' : 'A') + p.slice(1);
  return parts.join('.');
}

/** A provider that does not bind the location, to show the field's own AAD binds it. */
function unboundProvider(): KeyProvider {
  const inner = LocalKeyProvider.fromKey(randomBytes(32));
  const fixed = { table: 't', column: 'c', rowId: 'r' };
  return {
    keyId: 'test-unbound',
    wrap: (k) => inner.wrap(k, fixed),
    unwrap: (w) => inner.unwrap(w, fixed),
  };
}

describe('EnvelopeCipher', () => {
  const cipher = new EnvelopeCipher(LocalKeyProvider.fromKey(randomBytes(32)));

  it('round-trips text, bytes and the empty string', async () => {
    const stored = await cipher.encrypt('api-secret-ü', at);
    expect(stored).toMatch(/^kx1\.local-[0-9a-f]{16}\.[\w-]+\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    expect(stored).not.toContain('api-secret');
    expect(await cipher.decryptText(stored, at)).toBe('api-secret-ü');
    const bytes = randomBytes(100);
    expect((await cipher.decrypt(await cipher.encrypt(bytes, at), at)).equals(bytes)).toBe(true);
    expect(await cipher.decryptText(await cipher.encrypt('', at), at)).toBe('');
  });

  it('refuses a value moved to another row, column or table', async () => {
    const stored = await cipher.encrypt('s', at);
    for (const other of [
      { ...at, rowId: '43' },
      { ...at, column: 'api_key' },
      { ...at, table: 'users' },
    ]) {
      await expect(cipher.decrypt(stored, other)).rejects.toMatchObject({
        code: 'ENCRYPTION_DECRYPT_FAILED',
      });
    }
  });

  it('binds the location in the field itself, whatever the key provider does', async () => {
    const c = new EnvelopeCipher(unboundProvider());
    const stored = await c.encrypt('s', at);
    expect(await c.decryptText(stored, at)).toBe('s');
    await expect(c.decrypt(stored, { ...at, rowId: '43' })).rejects.toMatchObject({
      code: 'ENCRYPTION_DECRYPT_FAILED',
      message: expect.stringContaining('exchange_credentials/secret/43'),
    });
  });

  it('refuses a changed tag, ciphertext, nonce or wrapped key', async () => {
    const stored = await cipher.encrypt('some secret value', at);
    for (const part of [5, 4, 3, 2]) {
      await expect(cipher.decrypt(tamper(stored, part), at)).rejects.toMatchObject({
        code: 'ENCRYPTION_DECRYPT_FAILED',
      });
    }
    const short = stored.split('.');
    short[5] = short[5]!.slice(0, 10);
    await expect(cipher.decrypt(short.join('.'), at)).rejects.toMatchObject({
      code: 'ENCRYPTION_FORMAT',
    });
    await expect(cipher.decrypt('kx9.a.b.c.d.e', at)).rejects.toMatchObject({
      code: 'ENCRYPTION_FORMAT',
    });
  });

  // 10,000 encryptions (NONCE_RUNS for more): no nonce repeats, and each of the 12 bytes of both
  // nonces takes all its 256 values, so every byte is drawn at random. This catches a short or
  // partly fixed nonce (a 32-bit one repeats within 100,000 draws only two times in three) and a
  // counter, at a tenth of the 100,000 draws the uniqueness check alone took. A random byte misses
  // one of its values in 10,000 draws with odds of about 3e-15.
  it('never repeats a nonce, and draws all 96 bits of each at random', async () => {
    const n = Math.max(10_000, Number(process.env.NONCE_RUNS ?? 0));
    const fieldNonces = new Set<string>();
    const wrapNonces = new Set<string>();
    const byteValues = (): Set<number>[] => Array.from({ length: 12 }, () => new Set<number>());
    const fieldBytes = byteValues();
    const wrapBytes = byteValues();
    for (let i = 0; i < n; i++) {
      const parts = (await cipher.encrypt('x', at)).split('.');
      const field = Buffer.from(parts[3]!, 'base64url');
      const wrap = Buffer.from(parts[2]!, 'base64url').subarray(0, 12);
      fieldNonces.add(field.toString('hex'));
      wrapNonces.add(wrap.toString('hex'));
      field.forEach((b, j) => fieldBytes[j]!.add(b));
      wrap.forEach((b, j) => wrapBytes[j]!.add(b));
    }
    expect(fieldNonces.size).toBe(n);
    expect(wrapNonces.size).toBe(n);
    for (const bytes of [fieldBytes, wrapBytes]) {
      expect(bytes.map((seen) => seen.size)).toEqual(Array(12).fill(256));
    }
  }, 60_000);

  it('rewraps the data key only; the plaintext survives a key rotation', async () => {
    const oldKey = LocalKeyProvider.fromKey(randomBytes(32));
    const newKey = LocalKeyProvider.fromKey(randomBytes(32));
    const before = new EnvelopeCipher(oldKey);
    const stored = await before.encrypt('rotate me', at);
    const moved = await before.rewrap(stored, newKey, at);
    const [, oldId, oldWrapped, ...oldRest] = stored.split('.');
    const [, newId, newWrapped, ...newRest] = moved.split('.');
    expect([oldId, newId]).toEqual([oldKey.keyId, newKey.keyId]);
    expect(newWrapped).not.toBe(oldWrapped);
    expect(newRest).toEqual(oldRest);
    const after = new EnvelopeCipher(newKey, [oldKey]);
    expect(after.keyIdOf(moved)).toBe(newKey.keyId);
    expect(await after.decryptText(moved, at)).toBe('rotate me');
    expect(await after.decryptText(stored, at)).toBe('rotate me');
    await expect(before.decrypt(moved, at)).rejects.toMatchObject({
      code: 'ENCRYPTION_KEY_UNKNOWN',
    });
    await expect(before.rewrap(stored, newKey, { ...at, rowId: '1' })).rejects.toMatchObject({
      code: 'ENCRYPTION_DECRYPT_FAILED',
    });
  });

  it('reads a key only a resolver knows (a KMS key ARN), and refuses one it names wrongly', async () => {
    const other = LocalKeyProvider.fromKey(randomBytes(32));
    const stored = await new EnvelopeCipher(other).encrypt('resolved', at);
    const current = LocalKeyProvider.fromKey(randomBytes(32));
    const asked: string[] = [];
    const reader = new EnvelopeCipher(current, [], (id) => {
      asked.push(id);
      return id === other.keyId ? other : undefined;
    });
    expect(await reader.decryptText(stored, at)).toBe('resolved');
    expect(asked).toEqual([other.keyId]);
    // A resolver answering a provider of another id does not unwrap with it.
    const liar = new EnvelopeCipher(current, [], () => current);
    await expect(liar.decrypt(stored, at)).rejects.toMatchObject({
      code: 'ENCRYPTION_KEY_UNKNOWN',
    });
  });

  it('refuses a location that could be confused with another', async () => {
    await expect(cipher.encrypt('s', { ...at, table: 'a/b' })).rejects.toMatchObject({
      code: 'ENCRYPTION_FORMAT',
    });
    await expect(cipher.encrypt('s', { ...at, rowId: '' })).rejects.toMatchObject({
      code: 'ENCRYPTION_FORMAT',
    });
  });
});

describe('LocalKeyProvider', () => {
  it('creates the master key file owner-only, and reads the same key back', async () => {
    const dir = tempDir('kairos-keys-');
    const file = path.join(dir, 'keys', 'master.key');
    const [a, b] = await Promise.all([LocalKeyProvider.open(file), LocalKeyProvider.open(file)]);
    expect(a.keyId).toBe(b.keyId);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')).toHaveLength(32);
    const again = await LocalKeyProvider.open(file);
    const stored = await new EnvelopeCipher(a).encrypt('s', at);
    expect(await new EnvelopeCipher(again).decryptText(stored, at)).toBe('s');
    const other = LocalKeyProvider.fromKey(randomBytes(32));
    const imposter = {
      keyId: a.keyId,
      wrap: other.wrap.bind(other),
      unwrap: other.unwrap.bind(other),
    };
    await expect(new EnvelopeCipher(imposter).decrypt(stored, at)).rejects.toMatchObject({
      code: 'ENCRYPTION_DECRYPT_FAILED',
    });
  });

  it('refuses a key file others can read, or one of the wrong size', async () => {
    const dir = tempDir('kairos-keys-');
    const file = path.join(dir, 'master.key');
    await writeFile(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
    await chmod(file, 0o644);
    await expect(LocalKeyProvider.open(file)).rejects.toMatchObject({ code: 'KEY_FILE_INSECURE' });
    await chmod(file, 0o600);
    await expect(LocalKeyProvider.open(file)).resolves.toBeInstanceOf(LocalKeyProvider);
    await writeFile(file, randomBytes(16).toString('base64'));
    await expect(LocalKeyProvider.open(file)).rejects.toMatchObject({ code: 'KEY_FILE_INVALID' });
  });
});
