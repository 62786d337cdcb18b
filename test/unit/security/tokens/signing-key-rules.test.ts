import { generateKeyPairSync } from 'node:crypto';
import { SigningKeys } from '../../../../src/security/tokens/signing-keys.js';

// Which keys may sign and verify access tokens: a P-256 key pair with the halves the right way
// round, current or previous alike; a rotation back to a retiring key makes it current only.

const MIN = 60_000;

describe('signing key rules', () => {
  it('refuses a key pair whose halves are swapped or not private/public, naming the key', () => {
    const a = SigningKeys.generateKey();
    for (const bad of [
      { ...a, privateKey: a.publicKey },
      { ...a, publicKey: a.privateKey },
    ]) {
      expect(() => new SigningKeys(() => 0, bad)).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: `signing key ${a.kid}: must be an EC P-256 key pair`,
        }),
      );
    }
  });

  it('checks previous keys as well as the current one', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const old = { kid: 'old', privateKey: p384.privateKey, publicKey: p384.publicKey };
    expect(
      () => new SigningKeys(() => 0, SigningKeys.generateKey(), [{ key: old, retiresAt: MIN }]),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('does not list the current key among the retiring ones, when rebuilt or rotated back', () => {
    let t = 0;
    const a = SigningKeys.generateKey();
    const b = SigningKeys.generateKey();
    const rebuilt = new SigningKeys(() => t, a, [{ key: a, retiresAt: MIN }]);
    expect(rebuilt.retiring()).toEqual([]);
    const keys = new SigningKeys(() => t, a);
    keys.rotate(b, 10 * MIN);
    t = MIN;
    keys.rotate(a, 10 * MIN); // back to a while it was still retiring
    expect(keys.current().kid).toBe(a.kid);
    expect(keys.retiring().map((r) => [r.key.kid, r.retiresAt])).toEqual([[b.kid, 11 * MIN]]);
  });

  it('allows an overlap of 0 (the old key stops at once), and says what is wrong otherwise', () => {
    const a = SigningKeys.generateKey();
    const keys = new SigningKeys(() => 0, a);
    const b = SigningKeys.generateKey();
    keys.rotate(b, 0);
    expect(keys.verificationKey(a.kid)).toBeUndefined();
    // A configuration error, with its code (what the operator's tooling and the API match on).
    const refusal = (message: string) =>
      expect.objectContaining({ code: 'CONFIG_INVALID', message });
    expect(() => keys.rotate(a, -1)).toThrow(refusal('signing key overlap: must be ≥ 0 ms'));
    expect(() => keys.rotate(a, Number.NaN)).toThrow(
      refusal('signing key overlap: must be ≥ 0 ms'),
    );
    expect(() => keys.rotate(b, MIN)).toThrow(
      refusal('signing key: the new key is the current key'),
    );
  });

  it('keeps the parse error of a bad PEM as the cause', () => {
    let err: unknown;
    try {
      SigningKeys.keyFromPem('not a key');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'signing key: not a PEM private key',
    });
    expect((err as { cause?: unknown }).cause).toHaveProperty('message'); // node's own error
  });
});
