import { hash as argon2Hash, parseOptions } from '@node-rs/argon2';
import type { Algorithm } from '@node-rs/argon2';
import {
  ARGON2ID_MIN,
  PasswordHasher,
} from '../../../../src/security/passwords/password-hasher.js';

const PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('hashes with argon2id m=19456 KiB, t=2, p=1 and a fresh salt each time', async () => {
    const a = await hasher.hash('correct horse battery staple');
    const b = await hasher.hash('correct horse battery staple');
    expect(a).toMatch(PHC);
    expect(a.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(b).not.toBe(a);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    await expect(hasher.verify(stored, 'correct horse battery staple')).resolves.toBe(true);
    await expect(hasher.verify(stored, 'correct horse battery stapl')).resolves.toBe(false);
    await expect(hasher.verify(stored, 'Correct horse battery staple')).resolves.toBe(false);
  });

  it('treats the two Unicode spellings of the same text as one password (NFKC)', async () => {
    const stored = await hasher.hash('caf\u00e9 au lait, s\u2019il vous pla\u00eet');
    await expect(
      hasher.verify(stored, 'cafe\u0301 au lait, s\u2019il vous plai\u0302t'),
    ).resolves.toBe(true);
  });

  it('unknown user: verifies against a dummy hash with the same parameters and says no', async () => {
    const p = parseOptions(hasher.dummyHash);
    expect(p).toMatchObject({ ...ARGON2ID_MIN, algorithm: 2, version: 1, outputLen: 32 });
    await expect(hasher.verifyOrDummy(undefined, 'whatever password')).resolves.toBe(false);
    await expect(hasher.verifyOrDummy(null, 'whatever password')).resolves.toBe(false);
    await expect(hasher.dummyVerify('kairos dummy password, never a real one')).resolves.toBe(
      false,
    );
    const stored = await hasher.hash('a real password here');
    await expect(hasher.verifyOrDummy(stored, 'a real password here')).resolves.toBe(true);
  });

  it('a stronger hasher makes its dummy hash with its own, stronger parameters', () => {
    const strong = new PasswordHasher({ memoryCost: 32_768, timeCost: 3, parallelism: 1 });
    expect(parseOptions(strong.dummyHash)).toMatchObject({ memoryCost: 32_768, timeCost: 3 });
  });

  it('refuses parameters below the OWASP minimum', () => {
    expect(() => new PasswordHasher({ memoryCost: 4096, timeCost: 2, parallelism: 1 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => new PasswordHasher({ memoryCost: 19_456, timeCost: 1, parallelism: 1 })).toThrow(
      /timeCost/,
    );
  });

  it('asks for a re-hash only when the stored parameters are weaker', async () => {
    const pw = 'rehash me please';
    const weak = await argon2Hash(pw, { algorithm: 2 as Algorithm, memoryCost: 8192, timeCost: 2 });
    const fewPasses = await argon2Hash(pw, { algorithm: 2 as Algorithm, timeCost: 1 });
    const argon2i = await argon2Hash(pw, { algorithm: 1 as Algorithm });
    const stronger = await argon2Hash(pw, { algorithm: 2 as Algorithm, memoryCost: 65_536 });
    expect(hasher.needsRehash(weak)).toBe(true);
    expect(hasher.needsRehash(fewPasses)).toBe(true);
    expect(hasher.needsRehash(argon2i)).toBe(true);
    expect(hasher.needsRehash('$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234')).toBe(
      true,
    );
    expect(hasher.needsRehash(stronger)).toBe(false);
    expect(hasher.needsRehash(await hasher.hash(pw))).toBe(false);
    // The old hash still verifies, so the re-hash can happen at the next login.
    await expect(hasher.verify(weak, pw)).resolves.toBe(true);
  });

  it('a stored hash that is not argon2 is PASSWORD_HASH_INVALID, not a wrong password', async () => {
    await expect(hasher.verify('plaintext!', 'plaintext!')).rejects.toMatchObject({
      code: 'PASSWORD_HASH_INVALID',
    });
    await expect(hasher.verify('$argon2id$v=19$garbage', 'x')).rejects.toMatchObject({
      code: 'PASSWORD_HASH_INVALID',
    });
  });
});
