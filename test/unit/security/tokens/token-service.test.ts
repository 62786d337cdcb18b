import { MemoryCache } from '../../../../src/scalability/cache/memory-cache.js';
import type { Role } from '../../../../src/security/roles/permissions.js';
import { MemorySessionStore } from '../../../../src/security/tokens/memory-session-store.js';
import { refreshTokenHash } from '../../../../src/security/tokens/refresh-tokens.js';
import { SigningKeys } from '../../../../src/security/tokens/signing-keys.js';
import { TokenService } from '../../../../src/security/tokens/token-service.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const code = (c: string) => expect.objectContaining({ code: c });

function setup(liveCheckMs = 0) {
  const clock = { t: T0 };
  const now = () => clock.t;
  const store = new MemorySessionStore();
  const roles = new Map<string, Role>([
    ['u1', 'trader'],
    ['u2', 'quant'],
  ]);
  const liveCache = new MemoryCache({ now });
  const tokens = new TokenService({
    keys: new SigningKeys(now, SigningKeys.generateKey()),
    store,
    now,
    issuer: 'kairos',
    audience: 'kairos-api',
    roleOf: async (id) => roles.get(id) ?? null,
    liveCheckMs,
    liveCache,
  });
  return { clock, store, roles, tokens, liveCache };
}

describe('TokenService', () => {
  it('starts a session: access token for the user and role, opaque 256-bit refresh token', async () => {
    const { tokens } = setup();
    const pair = await tokens.startSession('u1', 'trader');
    expect(pair.refreshToken).toMatch(/^krt_[A-Za-z0-9_-]{43}$/);
    expect(pair.accessExpiresAt).toBe(T0 + 5 * MIN);
    expect(pair.refreshExpiresAt).toBe(T0 + 12 * HOUR);
    expect(tokens.verifyAccess(pair.accessToken)).toMatchObject({
      sub: 'u1',
      role: 'trader',
      sid: pair.sessionId,
    });
    await expect(tokens.verifyAccessLive(pair.accessToken)).resolves.toMatchObject({ sub: 'u1' });
  });

  it('stores only the SHA-256 of refresh tokens', async () => {
    const { tokens, store } = setup();
    const { refreshToken, sessionId } = await tokens.startSession('u1', 'trader');
    await expect(store.findRefreshToken(refreshToken)).resolves.toBeNull();
    await expect(store.findRefreshToken(refreshTokenHash(refreshToken))).resolves.toMatchObject({
      sessionId,
      rotatedAt: null,
    });
    expect(refreshTokenHash(refreshToken)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rotates the refresh token on every use, in the same session', async () => {
    const { tokens, clock } = setup();
    const first = await tokens.startSession('u1', 'trader');
    clock.t += 4 * MIN;
    const second = await tokens.refresh(first.refreshToken);
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessExpiresAt).toBe(clock.t + 5 * MIN);
    expect(second.refreshExpiresAt).toBe(first.refreshExpiresAt); // absolute, not sliding
    const third = await tokens.refresh(second.refreshToken);
    expect(tokens.verifyAccess(third.accessToken).sid).toBe(first.sessionId);
  });

  it('reuse of a spent refresh token revokes the whole session family', async () => {
    const { tokens, store } = setup();
    const first = await tokens.startSession('u1', 'trader');
    const second = await tokens.refresh(first.refreshToken);
    await expect(tokens.refresh(first.refreshToken)).rejects.toEqual(code('AUTH_REFRESH_REUSED'));
    await expect(store.findSession(first.sessionId)).resolves.toMatchObject({
      revokedReason: 'REFRESH_REUSED',
    });
    // The legitimate holder's newer token dies with it; writes stop at once.
    await expect(tokens.refresh(second.refreshToken)).rejects.toEqual(code('AUTH_SESSION_REVOKED'));
    await expect(tokens.verifyAccessLive(second.accessToken)).rejects.toEqual(
      code('AUTH_SESSION_REVOKED'),
    );
    // Other sessions of the same user are untouched.
    const other = await tokens.startSession('u1', 'trader');
    await expect(tokens.refresh(other.refreshToken)).resolves.toMatchObject({
      sessionId: other.sessionId,
    });
  });

  it('reuse stops the rotated access token writing at once, even with a live-check cache', async () => {
    const { tokens } = setup(1_000);
    const pair = await tokens.startSession('u1', 'trader');
    const next = await tokens.refresh(pair.refreshToken);
    await tokens.verifyAccessLive(next.accessToken); // now cached as live for 1 s
    await expect(tokens.refresh(pair.refreshToken)).rejects.toEqual(
      expect.objectContaining({
        code: 'AUTH_REFRESH_REUSED',
        sessionId: next.sessionId,
        userId: 'u1',
      }),
    );
    await expect(tokens.verifyAccessLive(next.accessToken)).rejects.toEqual(
      code('AUTH_SESSION_REVOKED'),
    );
  });

  it('two refreshes racing with one token: one wins, the other is reuse', async () => {
    const { tokens } = setup();
    const { refreshToken } = await tokens.startSession('u1', 'trader');
    const results = await Promise.allSettled([
      tokens.refresh(refreshToken),
      tokens.refresh(refreshToken),
    ]);
    const codes = results.map((r) =>
      r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code,
    );
    expect(codes.sort()).toEqual(['AUTH_REFRESH_REUSED', 'ok']);
  });

  it('logout and admin revocation stop refresh and writes; reads last until the token expires', async () => {
    const { tokens, clock } = setup();
    const a = await tokens.startSession('u1', 'trader');
    await tokens.logout(a.sessionId);
    await expect(tokens.refresh(a.refreshToken)).rejects.toEqual(code('AUTH_SESSION_REVOKED'));
    await expect(tokens.verifyAccessLive(a.accessToken)).rejects.toEqual(
      code('AUTH_SESSION_REVOKED'),
    );
    expect(tokens.verifyAccess(a.accessToken).sub).toBe('u1');
    clock.t += 5 * MIN;
    expect(() => tokens.verifyAccess(a.accessToken)).toThrow(code('AUTH_TOKEN_EXPIRED'));

    const b = await tokens.startSession('u1', 'trader');
    const c = await tokens.startSession('u1', 'trader');
    const d = await tokens.startSession('u2', 'quant');
    await expect(tokens.revokeUser('u1', 'PASSWORD_CHANGED')).resolves.toBe(2);
    await expect(tokens.refresh(b.refreshToken)).rejects.toEqual(code('AUTH_SESSION_REVOKED'));
    await expect(tokens.refresh(c.refreshToken)).rejects.toEqual(code('AUTH_SESSION_REVOKED'));
    await expect(tokens.refresh(d.refreshToken)).resolves.toMatchObject({ sessionId: d.sessionId });
    await tokens.revokeSession(d.sessionId);
    await expect(tokens.verifyAccessLive(d.accessToken)).rejects.toEqual(
      code('AUTH_SESSION_REVOKED'),
    );
  });

  it('reads the role again at refresh; a removed user is logged out', async () => {
    const { tokens, roles } = setup();
    const pair = await tokens.startSession('u1', 'trader');
    roles.set('u1', 'auditor');
    const next = await tokens.refresh(pair.refreshToken);
    expect(tokens.verifyAccess(next.accessToken).role).toBe('auditor');
    roles.delete('u1');
    await expect(tokens.refresh(next.refreshToken)).rejects.toMatchObject({
      code: 'AUTH_SESSION_REVOKED',
      message: 'session: the user is disabled',
    });
  });

  it('a session ends 12 hours after login; access tokens never outlive it', async () => {
    const { tokens, clock } = setup();
    let pair = await tokens.startSession('u1', 'trader');
    clock.t = T0 + 12 * HOUR - 2 * MIN;
    pair = await tokens.refresh(pair.refreshToken);
    expect(pair.accessExpiresAt).toBe(T0 + 12 * HOUR);
    clock.t = T0 + 12 * HOUR;
    await expect(tokens.refresh(pair.refreshToken)).rejects.toEqual(code('AUTH_TOKEN_EXPIRED'));
    await expect(tokens.verifyAccessLive(pair.accessToken)).rejects.toEqual(
      code('AUTH_TOKEN_EXPIRED'),
    );
  });

  it('refuses malformed and unknown refresh tokens, and an access token used as refresh', async () => {
    const { tokens } = setup();
    const pair = await tokens.startSession('u1', 'trader');
    for (const bad of ['', 'krt_short', `krt_${'A'.repeat(43)}`, pair.accessToken]) {
      await expect(tokens.refresh(bad)).rejects.toEqual(code('AUTH_INVALID_TOKEN'));
    }
    expect(() => tokens.verifyAccess(pair.refreshToken)).toThrow(code('AUTH_INVALID_TOKEN'));
  });

  it('a session trusted as live stops writing at once on logout, revocation, its user revoked or disabled', async () => {
    const { tokens, roles } = setup(60_000);
    const live = async () => {
      const pair = await tokens.startSession('u1', 'trader');
      await tokens.verifyAccessLive(pair.accessToken); // trusted as live for a minute
      return pair;
    };
    const stopped = (pair: { accessToken: string }) =>
      expect(tokens.verifyAccessLive(pair.accessToken)).rejects.toEqual(
        code('AUTH_SESSION_REVOKED'),
      );
    const a = await live();
    await tokens.logout(a.sessionId);
    await stopped(a);
    const b = await live();
    await tokens.revokeSession(b.sessionId);
    await stopped(b);
    const c = await live();
    await tokens.revokeUser('u1', 'PASSWORD_CHANGED');
    await stopped(c);
    const d = await live();
    roles.delete('u1');
    await expect(tokens.refresh(d.refreshToken)).rejects.toEqual(code('AUTH_SESSION_REVOKED'));
    await stopped(d);
  });

  it('marks sessions in the shared cache as every instance reads them: live, then a revocation tombstone', async () => {
    const { tokens, liveCache, store } = setup(60_000);
    const pair = await tokens.startSession('u1', 'trader');
    const key = `session-live:${pair.sessionId}`;
    await tokens.verifyAccessLive(pair.accessToken);
    await expect(liveCache.get(key)).resolves.toBe('live');
    await tokens.logout(pair.sessionId);
    await expect(liveCache.get(key)).resolves.toBe('revoked');

    // A session another instance found live is trusted without reading the store.
    const other = await tokens.startSession('u2', 'quant');
    await liveCache.set(`session-live:${other.sessionId}`, 'live', 60_000);
    await store.revokeSession(other.sessionId, T0, 'ADMIN');
    await expect(tokens.verifyAccessLive(other.accessToken)).resolves.toMatchObject({ sub: 'u2' });
  });

  it('refuses a live-check time without a cache to share it; no live check needs none', () => {
    const base = {
      keys: new SigningKeys(() => T0, SigningKeys.generateKey()),
      store: new MemorySessionStore(),
      now: () => T0,
      issuer: 'kairos',
      audience: 'kairos-api',
      roleOf: async () => 'trader' as const,
    };
    expect(() => new TokenService({ ...base, liveCheckMs: 1 })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: 'token service: liveCheckMs needs a liveCache',
      }),
    );
    expect(() => new TokenService({ ...base, liveCheckMs: 0 })).not.toThrow();
    expect(() => new TokenService(base)).not.toThrow();
  });
});
