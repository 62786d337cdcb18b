import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { RedisCache } from '../../../src/scalability/cache/redis-cache.js';
import { SigningKeys } from '../../../src/security/tokens/signing-keys.js';
import { TokenService, type TokenPair } from '../../../src/security/tokens/token-service.js';
import { SessionRepository } from '../../../src/store/session-repository.js';
import { UserRepository } from '../../../src/store/user-repository.js';
import { freshStore } from '../../support/stores.js';
import { testRedis, uniquePrefix } from './services.js';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g';

/**
 * Several instances behind a load balancer: each has its own TokenService, all share the
 * database and Redis. A session revoked through one must stop writing on every other at once,
 * although each trusts a session it found live for a while (here a whole minute, so nothing
 * but the shared cache can explain a refusal).
 */
describe('a session revoked on one instance refuses writes on every instance at once', () => {
  const prefix = uniquePrefix();
  let redis: { redis: Redis; cleanup(): Promise<void> };
  let store: Awaited<ReturnType<typeof freshStore>>;
  let instances: TokenService[];
  const users: string[] = [];
  const key = SigningKeys.generateKey();

  beforeAll(async () => {
    redis = await testRedis(prefix);
    store = await freshStore('postgres');
    const repo = new UserRepository(store.db);
    for (const name of ['ann', 'ben'])
      users.push(
        (await repo.create({ username: name, passwordHash: HASH, role: 'trader', createdAt: 1 }))
          .id,
      );
    instances = [0, 1, 2].map(() => instance(new SessionRepository(store.db)));
  }, 120_000);
  /** One instance's token service: its own memory of nothing, the shared store and cache. */
  const instance = (sessions: SessionRepository) =>
    new TokenService({
      keys: new SigningKeys(Date.now, key),
      store: sessions,
      now: Date.now,
      issuer: 'kairos',
      audience: 'kairos-api',
      roleOf: async () => 'trader',
      liveCheckMs: 60_000,
      liveCache: new RedisCache(redis.redis, prefix),
    });
  afterAll(async () => {
    await redis?.cleanup();
    await store?.drop();
  });

  /** Whether each instance accepts a write with this access token. */
  const writes = (pair: TokenPair) =>
    Promise.all(
      instances.map((t) =>
        t.verifyAccessLive(pair.accessToken).then(
          () => true,
          (e: { code: string }) => {
            expect(e.code).toBe('AUTH_SESSION_REVOKED');
            return false;
          },
        ),
      ),
    );

  type How = 'logout' | 'admin' | 'user' | 'reuse';
  const revoke = async (on: TokenService, how: How, pair: TokenPair, userId: string) => {
    if (how === 'logout') await on.logout(pair.sessionId);
    else if (how === 'admin') await on.revokeSession(pair.sessionId);
    else if (how === 'user')
      expect(await on.revokeUser(userId, 'PASSWORD_CHANGED')).toBeGreaterThan(0);
    else {
      const next = await on.refresh(pair.refreshToken);
      await expect(on.refresh(pair.refreshToken)).rejects.toMatchObject({
        code: 'AUTH_REFRESH_REUSED',
      });
      return next;
    }
    return pair;
  };

  it('whichever instance revokes, however it revokes, and whoever had found it live', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<How>('logout', 'admin', 'user', 'reuse'),
        fc.nat(2),
        fc.nat(2),
        fc.nat(1),
        async (how, starter, revoker, who) => {
          const userId = users[who]!;
          const other = await instances[starter]!.startSession(users[1 - who]!, 'trader');
          const started = await instances[starter]!.startSession(userId, 'trader');
          // Every instance finds both live (and would trust that for a minute).
          expect(await writes(started)).toEqual([true, true, true]);
          expect(await writes(other)).toEqual([true, true, true]);
          const gone = await revoke(instances[revoker]!, how, started, userId);
          expect(await writes(gone)).toEqual([false, false, false]);
          // Nobody else's session is touched.
          expect(await writes(other)).toEqual([true, true, true]);
          await instances[0]!.logout(other.sessionId);
        },
      ),
      { numRuns: 24 },
    );
  }, 120_000);

  it('a check that read the store just before the revocation cannot mark the session live again', async () => {
    const pair = await instances[0]!.startSession(users[0]!, 'trader');
    const sessions = new SessionRepository(store.db);
    // Instance 1 reads the store (live), then instance 0 revokes before 1 marks it live.
    let release!: () => void;
    let readDone!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    const read = new Promise<void>((r) => (readDone = r));
    const slow = instance(
      Object.assign(Object.create(sessions) as SessionRepository, {
        findSession: async (id: string) => {
          const found = await sessions.findSession(id);
          readDone();
          await paused;
          return found;
        },
      }),
    );
    const racing = slow.verifyAccessLive(pair.accessToken);
    await read;
    await instances[0]!.revokeSession(pair.sessionId);
    release();
    await racing; // it read the store before the revocation: this one request passes
    expect(await writes(pair)).toEqual([false, false, false]);
    await expect(slow.verifyAccessLive(pair.accessToken)).rejects.toMatchObject({
      code: 'AUTH_SESSION_REVOKED',
    });
  });
});
