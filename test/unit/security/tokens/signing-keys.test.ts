import { generateKeyPairSync } from 'node:crypto';
import { SigningKeys } from '../../../../src/security/tokens/signing-keys.js';

const MIN = 60_000;

describe('SigningKeys', () => {
  it('names a key by its RFC 7638 thumbprint, stable across a PEM round trip', () => {
    const key = SigningKeys.generateKey();
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = SigningKeys.keyFromPem(SigningKeys.toPem(key));
    expect(again.kid).toBe(key.kid);
    expect(SigningKeys.generateKey().kid).not.toBe(key.kid);
  });

  it('accepts only EC P-256 keys', () => {
    const pem = (k: ReturnType<typeof generateKeyPairSync>['privateKey']) =>
      k.export({ type: 'pkcs8', format: 'pem' }).toString();
    const ed = generateKeyPairSync('ed25519').privateKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    expect(() => SigningKeys.keyFromPem(pem(ed))).toThrow(/EC P-256/);
    expect(() => SigningKeys.keyFromPem(pem(p384))).toThrow(/EC P-256/);
    expect(() => SigningKeys.keyFromPem('not a key')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('keeps previous keys verifying until their overlap ends, then drops them', () => {
    let t = 0;
    const a = SigningKeys.generateKey();
    const b = SigningKeys.generateKey();
    const c = SigningKeys.generateKey();
    const keys = new SigningKeys(() => t, a);
    keys.rotate(b, 10 * MIN);
    expect(keys.current().kid).toBe(b.kid);
    expect(keys.verificationKey(a.kid)).toBe(a.publicKey);
    t = 5 * MIN;
    keys.rotate(c, 10 * MIN);
    expect(keys.retiring().map((r) => [r.key.kid, r.retiresAt])).toEqual([
      [a.kid, 10 * MIN],
      [b.kid, 15 * MIN],
    ]);
    t = 10 * MIN;
    expect(keys.verificationKey(a.kid)).toBeUndefined();
    expect(keys.verificationKey(b.kid)).toBe(b.publicKey);
    t = 15 * MIN;
    expect(keys.verificationKey(b.kid)).toBeUndefined();
    expect(keys.verificationKey(c.kid)).toBe(c.publicKey);
    expect(() => keys.rotate(c, MIN)).toThrow(/is the current key/);
    expect(() => keys.rotate(a, -1)).toThrow(/overlap/);
  });

  it('can be rebuilt from stored state and publishes only public keys', () => {
    const a = SigningKeys.generateKey();
    const b = SigningKeys.generateKey();
    const keys = new SigningKeys(() => 0, b, [{ key: a, retiresAt: MIN }]);
    const jwks = keys.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual([b.kid, a.kid]);
    for (const k of jwks.keys) {
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(k).not.toHaveProperty('d');
    }
  });
});
