import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AccessTokens } from '../../../../src/security/tokens/access-tokens.js';
import { SigningKeys } from '../../../../src/security/tokens/signing-keys.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

function setup(ttlMs?: number) {
  const clock = { t: T0 };
  const now = () => clock.t;
  const keys = new SigningKeys(now, SigningKeys.generateKey());
  const access = new AccessTokens({ keys, now, issuer: 'kairos', audience: 'kairos-api', ttlMs });
  const kid = keys.current().kid;
  const nowS = () => Math.floor(clock.t / 1000);
  const claims = () => ({
    iss: 'kairos',
    aud: 'kairos-api',
    sub: 'u1',
    role: 'trader',
    sid: 's1',
    typ: 'access',
    iat: nowS(),
    exp: nowS() + 300,
  });
  /** Signs arbitrary claims/header with the real current key: only the contents are wrong. */
  const forge = (payload: object, header: object = {}) =>
    jwt.sign(payload, keys.current().privateKey, {
      algorithm: 'ES256',
      header: { alg: 'ES256', typ: 'at+jwt', kid, ...header },
    });
  return { clock, keys, access, kid, claims, forge };
}

const refused = (code = 'AUTH_INVALID_TOKEN') => expect.objectContaining({ code });

describe('AccessTokens', () => {
  it('signs ES256 tokens with kid, typ at+jwt and the claims, and verifies them', () => {
    const { access, kid } = setup();
    const { token, expiresAt } = access.sign({ sub: 'u1', role: 'trader', sid: 's1' });
    const { header, payload } = jwt.decode(token, { complete: true }) as jwt.Jwt;
    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid });
    expect(payload).toEqual({
      sub: 'u1',
      role: 'trader',
      sid: 's1',
      typ: 'access',
      iat: T0 / 1000,
      exp: T0 / 1000 + 300,
      iss: 'kairos',
      aud: 'kairos-api',
    });
    expect(expiresAt).toBe(T0 + 5 * MIN);
    expect(access.verify(token)).toEqual(payload);
  });

  it('caps the lifetime at 10 minutes and at the session end', () => {
    expect(() => setup(11 * MIN)).toThrow(refused('CONFIG_INVALID'));
    expect(() => setup(1500)).toThrow(refused('CONFIG_INVALID'));
    expect(setup(10 * MIN).access.ttlMs).toBe(10 * MIN);
    const { access } = setup();
    expect(access.sign({ sub: 'u', role: 'quant', sid: 's' }, T0 + MIN).expiresAt).toBe(T0 + MIN);
  });

  it('refuses alg none', () => {
    const { access, kid, claims } = setup();
    const none = `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(claims())}.`;
    expect(() => access.verify(none)).toThrow(refused());
    expect(() => access.verify(none)).toThrow('access token: algorithm none is not accepted');
    const noneNoKid = `${b64({ alg: 'none' })}.${b64(claims())}.`;
    expect(() => access.verify(noneNoKid)).toThrow(refused());
    const noneUpper = `${b64({ alg: 'NONE', typ: 'at+jwt', kid })}.${b64(claims())}.`;
    expect(() => access.verify(noneUpper)).toThrow(refused());
  });

  it('refuses HS256 signed with the public key as the HMAC secret (key confusion)', () => {
    const { access, keys, kid, claims } = setup();
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${b64(claims())}`;
    for (const secret of [
      keys.current().publicKey.export({ type: 'spki', format: 'pem' }),
      keys.current().publicKey.export({ type: 'spki', format: 'der' }),
    ]) {
      const sig = createHmac('sha256', secret).update(input).digest('base64url');
      expect(() => access.verify(`${input}.${sig}`)).toThrow(refused());
      expect(() => access.verify(`${input}.${sig}`)).toThrow(/algorithm HS256 is not accepted/);
    }
  });

  it('refuses any other algorithm, even with a valid signature by another key', () => {
    const { access, kid, claims } = setup();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const rs256 = jwt.sign(claims(), rsa, { algorithm: 'RS256', header: { alg: 'RS256', kid } });
    const es384 = jwt.sign(claims(), p384, { algorithm: 'ES384', header: { alg: 'ES384', kid } });
    expect(() => access.verify(rs256)).toThrow(refused());
    expect(() => access.verify(es384)).toThrow(refused());
  });

  it('refuses an unknown kid, a missing kid, and a token signed by a foreign key', () => {
    const { access, kid, claims } = setup();
    const attacker = SigningKeys.generateKey();
    const sign = (header: object) =>
      jwt.sign(claims(), attacker.privateKey, {
        algorithm: 'ES256',
        header: { alg: 'ES256', typ: 'at+jwt', ...header },
      });
    expect(() => access.verify(sign({ kid: attacker.kid }))).toThrow(/unknown or retired kid/);
    expect(() => access.verify(sign({}))).toThrow(/no kid/);
    // Our kid, their key: the signature fails.
    expect(() => access.verify(sign({ kid }))).toThrow(refused());
    // Key-source headers are ignored: the key comes only from our key set.
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    expect(() => access.verify(sign({ kid, jwk }))).toThrow(refused());
    expect(() =>
      access.verify(sign({ kid: attacker.kid, jku: 'https://attacker.example/jwks.json' })),
    ).toThrow(refused());
  });

  it('refuses a wrong audience or issuer', () => {
    const { access, claims, forge } = setup();
    expect(() => access.verify(forge({ ...claims(), aud: 'kairos-ws' }))).toThrow(refused());
    expect(() => access.verify(forge({ ...claims(), aud: ['kairos-api', 'other'] }))).toThrow(
      refused(),
    );
    expect(() => access.verify(forge({ ...claims(), iss: 'evil' }))).toThrow(refused());
    const { iss: _iss, ...noIss } = claims();
    expect(() => access.verify(forge(noIss))).toThrow(refused());
  });

  it('refuses a wrong type: header typ, claim typ, a refresh token', () => {
    const { access, claims, forge } = setup();
    expect(() => access.verify(forge(claims(), { typ: 'JWT' }))).toThrow(/header typ/);
    expect(() => access.verify(forge({ ...claims(), typ: 'refresh' }))).toThrow(
      /typ must be access/,
    );
    const { typ: _typ, ...noTyp } = claims();
    expect(() => access.verify(forge(noTyp))).toThrow(refused());
    expect(() => access.verify(`krt_${'A'.repeat(43)}`)).toThrow(refused());
  });

  it('refuses an expired token (exp one second ago) as AUTH_TOKEN_EXPIRED', () => {
    const { access, clock } = setup();
    const { token, expiresAt } = access.sign({ sub: 'u1', role: 'trader', sid: 's1' });
    clock.t = expiresAt - 1000;
    expect(access.verify(token).sub).toBe('u1');
    clock.t = expiresAt;
    expect(() => access.verify(token)).toThrow(refused('AUTH_TOKEN_EXPIRED'));
    clock.t = expiresAt + 1000;
    expect(() => access.verify(token)).toThrow(refused('AUTH_TOKEN_EXPIRED'));
  });

  it('refuses nbf or iat in the future, a missing exp, and a lifetime over 10 minutes', () => {
    const { access, claims, forge } = setup();
    const now = T0 / 1000;
    expect(() => access.verify(forge({ ...claims(), nbf: now + 60 }))).toThrow(refused());
    expect(access.verify(forge({ ...claims(), nbf: now })).sub).toBe('u1');
    expect(() => access.verify(forge({ ...claims(), iat: now + 60, exp: now + 120 }))).toThrow(
      /issued in the future/,
    );
    const { exp: _exp, ...noExp } = claims();
    expect(() => access.verify(forge(noExp))).toThrow(/no iat or exp/);
    expect(() => access.verify(forge({ ...claims(), exp: now + 3600 }))).toThrow(/lifetime/);
  });

  it('refuses missing subject or session, an unknown role, and a tampered payload', () => {
    const { access, claims, forge } = setup();
    expect(() => access.verify(forge({ ...claims(), role: 'root' }))).toThrow(/unknown role/);
    expect(() => access.verify(forge({ ...claims(), sid: '' }))).toThrow(/no sid/);
    const { sub: _sub, ...noSub } = claims();
    expect(() => access.verify(forge(noSub))).toThrow(/no sub/);
    const [h, , s] = forge(claims()).split('.');
    const tampered = `${h}.${b64({ ...claims(), role: 'admin' })}.${s}`;
    expect(() => access.verify(tampered)).toThrow(refused());
    for (const junk of ['', 'a.b', 'a.b.c', 'x'.repeat(5000)]) {
      expect(() => access.verify(junk)).toThrow(refused());
    }
  });

  it('after a key rotation, old tokens verify during the overlap and fail after it', () => {
    const { access, keys, clock } = setup(10 * MIN);
    const old = access.sign({ sub: 'u1', role: 'trader', sid: 's1' }).token;
    const oldKid = keys.current().kid;
    keys.rotate(SigningKeys.generateKey(), 2 * MIN);
    const fresh = access.sign({ sub: 'u1', role: 'trader', sid: 's1' }).token;
    expect(jwt.decode(fresh, { complete: true })?.header.kid).toBe(keys.current().kid);
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([keys.current().kid, oldKid]);

    clock.t = T0 + 2 * MIN - 1000;
    expect(access.verify(old).sub).toBe('u1');
    clock.t = T0 + 2 * MIN;
    expect(() => access.verify(old)).toThrow(/unknown or retired kid/);
    expect(access.verify(fresh).sub).toBe('u1');
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([keys.current().kid]);
  });

  it('refuses a bearer token over 4 KiB unread, even when validly signed; one of exactly 4 KiB is read', () => {
    const { access, claims, forge } = setup();
    const sized = (length: number) => {
      // A sub of n characters adds about 4n/3 to the token: start just below, then step up.
      for (let n = Math.floor(((length - 400) * 3) / 4); n < length; n++) {
        const token = forge({ ...claims(), sub: 'u'.repeat(n) });
        if (token.length === length) return token;
      }
      throw new Error(`no token of ${length} characters`);
    };
    expect(access.verify(sized(4096)).sub).toMatch(/^u{2000,}$/);
    expect(() => access.verify(sized(4100))).toThrow(
      expect.objectContaining({ code: 'AUTH_INVALID_TOKEN', message: 'access token: malformed' }),
    );
  });

  it('refuses a bearer token that is not a string, even one wrapping a valid token, as malformed', () => {
    // An untyped caller (a JSON body or header parsed by hand) may hand over an array or an object.
    const { access } = setup();
    const { token } = access.sign({ sub: 'u1', role: 'trader', sid: 's1' });
    expect(access.verify(token).sub).toBe('u1');
    // A missing header read by hand is null or undefined: the same refusal, never a TypeError.
    for (const wrapped of [
      [token],
      new String(token),
      { toString: () => token },
      null,
      undefined,
      42,
    ]) {
      expect(() => access.verify(wrapped as unknown as string)).toThrow(
        expect.objectContaining({ code: 'AUTH_INVALID_TOKEN', message: 'access token: malformed' }),
      );
    }
  });

  it('a token remembered as valid is refused again when the clock steps back before its not-before time', () => {
    const { access, claims, forge, clock } = setup();
    const c = claims();
    const token = forge({ ...c, nbf: c.iat + 30 });
    expect(() => access.verify(token)).toThrow(refused());
    clock.t += 30_000;
    expect(access.verify(token).sub).toBe('u1'); // remembered from here on
    clock.t -= 10_000;
    expect(() => access.verify(token)).toThrow(
      expect.objectContaining({
        code: 'AUTH_INVALID_TOKEN',
        message: 'access token: jwt not active',
      }),
    );
  });
});
