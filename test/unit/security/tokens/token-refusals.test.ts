import { MemoryCache } from '../../../../src/scalability/cache/memory-cache.js';
import jwt from 'jsonwebtoken';
import { AccessTokens } from '../../../../src/security/tokens/access-tokens.js';
import { MemorySessionStore } from '../../../../src/security/tokens/memory-session-store.js';
import { RefreshTokens, refreshTokenHash } from '../../../../src/security/tokens/refresh-tokens.js';
import type { SessionStore } from '../../../../src/security/tokens/session-ports.js';
import { SigningKeys } from '../../../../src/security/tokens/signing-keys.js';
import { TokenService } from '../../../../src/security/tokens/token-service.js';

// The refusals an operator reads in the log and a client gets as a code: each names what was
// wrong with the token or the setting, and keeps the library's error as its cause.

const T0 = 1_700_000_000_000;

function accessSetup(ttlMs?: number) {
  const clock = { t: T0 };
  const now = () => clock.t;
  const keys = new SigningKeys(now, SigningKeys.generateKey());
  const access = new AccessTokens({ keys, now, issuer: 'kairos', audience: 'kairos-api', ttlMs });
  const nowS = Math.floor(T0 / 1000);
  const claims = {
    iss: 'kairos',
    aud: 'kairos-api',
    sub: 'u1',
    role: 'trader',
    sid: 's1',
    typ: 'access',
    iat: nowS,
    exp: nowS + 300,
  };
  const forge = (payload: string | object) =>
    jwt.sign(payload, keys.current().privateKey, {
      algorithm: 'ES256',
      header: { alg: 'ES256', typ: 'at+jwt', kid: keys.current().kid },
    });
  return { clock, access, claims, forge };
}

function thrown(f: () => unknown): { code?: string; message?: string; cause?: unknown } {
  try {
    f();
  } catch (e) {
    return e as { code: string; message: string; cause: unknown };
  }
  throw new Error('did not throw');
}

describe('access token refusals', () => {
  it('accepts a lifetime of whole seconds from 1 s to 10 min, and names the rule otherwise', () => {
    const { keys } = { keys: new SigningKeys(() => T0, SigningKeys.generateKey()) };
    const make = (ttlMs: number) =>
      new AccessTokens({ keys, now: () => T0, issuer: 'i', audience: 'a', ttlMs });
    expect(make(1000).ttlMs).toBe(1000);
    expect(make(600_000).ttlMs).toBe(600_000);
    for (const bad of [999, 1500, 600_001, 0, -1000]) {
      expect(thrown(() => make(bad))).toMatchObject({
        code: 'CONFIG_INVALID',
        message: 'access token TTL: must be whole seconds between 1 s and 10 min',
      });
    }
  });

  it('refuses a token over 4096 characters, even one correctly signed', () => {
    const { access, claims, forge } = accessSetup();
    const big = forge({ ...claims, pad: 'x'.repeat(4100) });
    expect(thrown(() => access.verify(big))).toMatchObject({
      code: 'AUTH_INVALID_TOKEN',
      message: 'access token: malformed',
    });
    expect(thrown(() => access.verify(42 as unknown as string))).toMatchObject({
      code: 'AUTH_INVALID_TOKEN',
      message: 'access token: malformed',
    });
  });

  it('refuses a signed token whose payload is not a claims object', () => {
    const { access, forge } = accessSetup();
    expect(thrown(() => access.verify(forge('just text')))).toMatchObject({
      code: 'AUTH_INVALID_TOKEN',
      message: 'access token: malformed',
    });
  });

  it('refuses an audience list that merely contains the API', () => {
    const { access, claims, forge } = accessSetup();
    expect(
      thrown(() => access.verify(forge({ ...claims, aud: ['kairos-api', 'other'] }))),
    ).toMatchObject({
      code: 'AUTH_INVALID_TOKEN',
      message: 'access token: aud must be exactly the API audience',
    });
  });

  it('refuses an empty or missing subject or session', () => {
    const { access, claims, forge } = accessSetup();
    const { sid: _sid, ...noSid } = claims;
    expect(thrown(() => access.verify(forge({ ...claims, sub: '' })))).toMatchObject({
      message: 'access token: no sub',
    });
    expect(thrown(() => access.verify(forge(noSid)))).toMatchObject({
      message: 'access token: no sid',
    });
  });

  it("keeps the library's error as the cause: expired, and a bad signature", () => {
    const { access, clock, forge, claims } = accessSetup();
    const token = forge(claims);
    clock.t += 301_000;
    const expired = thrown(() => access.verify(token));
    expect(expired).toMatchObject({
      code: 'AUTH_TOKEN_EXPIRED',
      message: 'access token: expired',
    });
    expect(expired.cause).toBeInstanceOf(jwt.TokenExpiredError);
    clock.t = T0;
    const [h, p, s] = token.split('.');
    const badSig = `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`;
    const bad = thrown(() => access.verify(badSig));
    expect(bad).toMatchObject({ code: 'AUTH_INVALID_TOKEN' });
    expect(bad.cause).toBeInstanceOf(jwt.JsonWebTokenError);
  });
});

describe('refresh token refusals', () => {
  function refreshSetup() {
    const clock = { t: T0 };
    const store = new MemorySessionStore();
    return { clock, store, refresh: new RefreshTokens({ store, now: () => clock.t }) };
  }

  it('accepts a session lifetime of whole positive ms only', () => {
    const store = new MemorySessionStore();
    expect(new RefreshTokens({ store, now: () => T0, sessionTtlMs: 1 }).sessionTtlMs).toBe(1);
    for (const bad of [0, -1, 1.5]) {
      expect(
        thrown(() => new RefreshTokens({ store, now: () => T0, sessionTtlMs: bad })),
      ).toMatchObject({
        code: 'CONFIG_INVALID',
        message: 'session TTL: must be a positive integer of ms',
      });
    }
  });

  it('tells a malformed token from an unknown one, anchored at both ends', async () => {
    const { refresh } = refreshSetup();
    const { refreshToken } = await refresh.start('u1');
    for (const bad of [`x${refreshToken}`, `${refreshToken}x`, refreshToken.slice(0, -1)]) {
      await expect(refresh.rotate(bad)).rejects.toMatchObject({
        code: 'AUTH_INVALID_TOKEN',
        message: 'refresh token: malformed',
      });
    }
    await expect(refresh.rotate(`krt_${'A'.repeat(43)}`)).rejects.toMatchObject({
      code: 'AUTH_INVALID_TOKEN',
      message: 'refresh token: unknown',
    });
  });

  it('refuses a refresh token that is not a string, even one wrapping a live token, as malformed', async () => {
    const { refresh } = refreshSetup();
    const { refreshToken } = await refresh.start('u1');
    for (const wrapped of [
      [refreshToken],
      new String(refreshToken),
      { toString: () => refreshToken },
    ]) {
      await expect(refresh.rotate(wrapped as unknown as string)).rejects.toMatchObject({
        code: 'AUTH_INVALID_TOKEN',
        message: 'refresh token: malformed',
      });
    }
    // The session was not touched: the real token still rotates.
    await expect(refresh.rotate(refreshToken)).resolves.toMatchObject({
      refreshToken: expect.any(String),
    });
  });

  it('says why a session cannot continue: reused, revoked, over', async () => {
    const { refresh, clock } = refreshSetup();
    const a = await refresh.start('u1');
    await refresh.rotate(a.refreshToken);
    await expect(refresh.rotate(a.refreshToken)).rejects.toMatchObject({
      code: 'AUTH_REFRESH_REUSED',
      message: 'refresh token: already used; the session is revoked',
    });
    await expect(refresh.usable(a.session.sessionId)).rejects.toMatchObject({
      code: 'AUTH_SESSION_REVOKED',
      message: 'session: revoked or unknown',
    });
    const b = await refresh.start('u1');
    clock.t += refresh.sessionTtlMs;
    await expect(refresh.usable(b.session.sessionId)).rejects.toMatchObject({
      code: 'AUTH_TOKEN_EXPIRED',
      message: 'session: expired; log in again',
    });
  });

  it('keeps the first revocation time and reason', async () => {
    const { refresh, store, clock } = refreshSetup();
    const a = await refresh.start('u1');
    await refresh.revokeSession(a.session.sessionId, 'LOGOUT');
    clock.t += 1000;
    await refresh.revokeSession(a.session.sessionId, 'ADMIN');
    expect(await store.findSession(a.session.sessionId)).toMatchObject({
      revokedAt: T0,
      revokedReason: 'LOGOUT',
    });
    expect(await store.findRefreshToken(refreshTokenHash(a.refreshToken))).not.toBeNull();
  });
});

describe('the live-session cache of write requests', () => {
  function serviceSetup(liveCheckMs: number) {
    const clock = { t: T0 };
    const now = () => clock.t;
    const store = new MemorySessionStore();
    let reads = 0;
    const counted: SessionStore = Object.assign(Object.create(store) as MemorySessionStore, {
      findSession: (id: string) => {
        reads++;
        return store.findSession(id);
      },
    });
    const tokens = new TokenService({
      keys: new SigningKeys(now, SigningKeys.generateKey()),
      store: counted,
      now,
      issuer: 'kairos',
      audience: 'kairos-api',
      roleOf: async () => 'trader',
      liveCheckMs,
      liveCache: new MemoryCache({ now }),
    });
    return { clock, store, tokens, reads: () => reads };
  }

  it('trusts a live session for liveCheckMs without asking the store, then asks again', async () => {
    const { clock, store, tokens, reads } = serviceSetup(1_000);
    const a = await tokens.startSession('u1', 'trader');
    const b = await tokens.startSession('u1', 'trader');
    await tokens.verifyAccessLive(a.accessToken);
    await tokens.verifyAccessLive(b.accessToken);
    expect(reads()).toBe(2);
    // Another instance revokes a; this one trusts its cache until the second is over.
    await store.revokeSession(a.sessionId, T0, 'ADMIN');
    clock.t += 999;
    await tokens.verifyAccessLive(a.accessToken);
    await tokens.verifyAccessLive(b.accessToken);
    expect(reads()).toBe(2);
    clock.t += 1;
    await expect(tokens.verifyAccessLive(a.accessToken)).rejects.toMatchObject({
      code: 'AUTH_SESSION_REVOKED',
    });
    expect(reads()).toBe(3);
  });

  it('asks the store on every write when no cache is set', async () => {
    const { store, tokens, reads } = serviceSetup(0);
    const a = await tokens.startSession('u1', 'trader');
    await tokens.verifyAccessLive(a.accessToken);
    await tokens.verifyAccessLive(a.accessToken);
    expect(reads()).toBe(2);
    await store.revokeSession(a.sessionId, T0, 'ADMIN');
    await expect(tokens.verifyAccessLive(a.accessToken)).rejects.toMatchObject({
      code: 'AUTH_SESSION_REVOKED',
    });
  });
});
