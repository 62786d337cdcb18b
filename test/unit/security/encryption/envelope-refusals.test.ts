import { randomBytes } from 'node:crypto';
import { EnvelopeCipher } from '../../../../src/security/encryption/envelope-cipher.js';
import type {
  FieldLocation,
  KeyProvider,
} from '../../../../src/security/encryption/key-provider.js';
import { LocalKeyProvider } from '../../../../src/security/encryption/local-key-provider.js';

// What a stored secret that is not one of ours, or a key id that could break the format, gets:
// ENCRYPTION_FORMAT naming the part that is wrong, before any key is touched. And the data key
// does not stay in memory after use.

const at: FieldLocation = { table: 'exchange_credentials', column: 'secret', rowId: '42' };
const provider = LocalKeyProvider.fromKey(randomBytes(32));
const cipher = new EnvelopeCipher(provider);

/** A provider that remembers the data keys it was given to wrap. */
function recording(): KeyProvider & { seen: Uint8Array[] } {
  const seen: Uint8Array[] = [];
  const inner = LocalKeyProvider.fromKey(randomBytes(32));
  return {
    keyId: 'recording',
    seen,
    wrap: (k, where) => {
      seen.push(k);
      return inner.wrap(k, where);
    },
    unwrap: (w, where) => inner.unwrap(w, where),
  };
}

const replacePart = (envelope: string, i: number, value: string) => {
  const parts = envelope.split('.');
  parts[i] = value;
  return parts.join('.');
};

describe('envelope refusals', () => {
  it('names the part of a stored value that is not an envelope', async () => {
    const good = await cipher.encrypt('s', at);
    const b64 = (n: number) => randomBytes(n).toString('base64url');
    const cases: [string, string][] = [
      [replacePart(good, 0, 'kx2'), 'version "kx2", expected kx1'],
      [good.split('.').slice(0, 5).join('.'), '5 parts, expected 6'],
      [`${good}.x`, '7 parts, expected 6'],
      [replacePart(good, 1, 'a b'), 'key id'],
      [replacePart(good, 3, `${b64(12).slice(1)}*`), 'not base64url'],
      [replacePart(good, 5, `*${b64(16).slice(1)}`), 'not base64url'],
      [replacePart(good, 2, 'a*b'), 'not base64url'],
      [replacePart(good, 3, b64(11)), 'lengths'],
      [replacePart(good, 5, b64(15)), 'lengths'],
      [replacePart(good, 2, ''), 'lengths'],
    ];
    for (const [bad, why] of cases) {
      await expect(cipher.decrypt(bad, at)).rejects.toMatchObject({
        code: 'ENCRYPTION_FORMAT',
        message: `not an encrypted value (${why})`,
      });
    }
  });

  it('refuses a plain secret found in an encrypted column quoting only its first 8 characters', async () => {
    // A value written around the cipher (an API key pasted into the column by hand) must not be
    // copied whole into the error, and so into logs and problem details.
    const pasted = 'sk-live-0123456789abcdef.rest';
    const err = await cipher.decrypt(pasted, at).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ENCRYPTION_FORMAT',
      message: 'not an encrypted value (version "sk-live-", expected kx1)',
    });
    expect((err as Error).message).not.toContain('0123456789abcdef');
  });

  it('refuses a key id that could break the format, for the current, a previous or the next key', async () => {
    const named = (keyId: string): KeyProvider => ({
      keyId,
      wrap: (k, where) => provider.wrap(k, where),
      unwrap: (w, where) => provider.unwrap(w, where),
    });
    const refusal = {
      code: 'ENCRYPTION_FORMAT',
      message: 'key id "a b": letters, digits and :/_+=@- only',
    };
    expect(() => new EnvelopeCipher(named('a b'))).toThrow(expect.objectContaining(refusal));
    expect(() => new EnvelopeCipher(provider, [named('a b')])).toThrow(
      expect.objectContaining(refusal),
    );
    const stored = await cipher.encrypt('s', at);
    await expect(cipher.rewrap(stored, named('a b'), at)).rejects.toMatchObject(refusal);
  });

  it('says which master key is missing, and which location is malformed', async () => {
    const stored = await new EnvelopeCipher(LocalKeyProvider.fromKey(randomBytes(32))).encrypt(
      's',
      at,
    );
    const keyId = stored.split('.')[1]!;
    await expect(cipher.decrypt(stored, at)).rejects.toMatchObject({
      code: 'ENCRYPTION_KEY_UNKNOWN',
      message: `the value is wrapped by master key "${keyId}", which is not configured`,
    });
    await expect(cipher.encrypt('s', { ...at, column: 'a.b' })).rejects.toMatchObject({
      message: 'column "a.b": letters, digits, _ and - only',
    });
    await expect(cipher.encrypt('s', { ...at, rowId: '' })).rejects.toMatchObject({
      message: 'rowId: must not be empty',
    });
  });

  it('keeps the reason a value does not authenticate as the cause', async () => {
    const stored = await cipher.encrypt('s', at);
    const tag = stored.split('.')[5]!;
    const changed = replacePart(stored, 5, (tag[0] === 'A' ? 'B' : 'A') + tag.slice(1));
    const err = await cipher.decrypt(changed, at).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENCRYPTION_DECRYPT_FAILED' });
    expect((err as { cause?: unknown }).cause).toHaveProperty('message');
  });

  it('wipes the data key once it is wrapped, on encryption and on a re-wrap', async () => {
    const p = recording();
    const c = new EnvelopeCipher(p);
    const stored = await c.encrypt('secret', at);
    expect(p.seen).toHaveLength(1);
    expect(p.seen[0]!.every((b) => b === 0)).toBe(true);
    const next = recording();
    await c.rewrap(stored, next, at);
    expect(next.seen).toHaveLength(1);
    expect(next.seen[0]!.every((b) => b === 0)).toBe(true);
    expect(await new EnvelopeCipher(next).decryptText(await c.rewrap(stored, next, at), at)).toBe(
      'secret',
    );
  });
});
