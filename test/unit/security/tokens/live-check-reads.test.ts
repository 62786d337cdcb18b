import { MemoryCache } from '../../../../src/scalability/cache/memory-cache.js';
import { MemorySessionStore } from '../../../../src/security/tokens/memory-session-store.js';
import type { SessionRecord } from '../../../../src/security/tokens/session-ports.js';
import { SigningKeys } from '../../../../src/security/tokens/signing-keys.js';
import { TokenService } from '../../../../src/security/tokens/token-service.js';

const T0 = 1_700_000_000_000;
const TTL = 1_000;
const refused = expect.objectContaining({ code: 'AUTH_SESSION_REVOKED' });

/**
 * The session store, counting reads; while `held`, a read takes the record as it is when asked
 * and answers it only when released (a slow database: the answer predates what happens meanwhile).
 */
class SlowStore extends MemorySessionStore {
  reads = 0;
  held = false;
  readonly #waiting: (() => void)[] = [];

  override async findSession(sessionId: string): Promise<SessionRecord | null> {
    this.reads++;
    const record = await super.findSession(sessionId);
    if (this.held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return record;
  }

  /** Answers the oldest held read only. */
  releaseOne(): void {
    this.#waiting.shift()?.();
  }

  /** Answers the held reads. */
  release(): void {
    this.held = false;
    for (const answer of this.#waiting.splice(0)) answer();
  }

  /** Resolves once `n` reads are held; throws if they are not within 5 s. */
  async holding(n: number): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (this.#waiting.length < n) {
      if (Date.now() > deadline) throw new Error(`${this.#waiting.length} reads held, not ${n}`);
      await new Promise((r) => setImmediate(r));
    }
  }
}

/** A shared cache that can lose everything it holds, as Redis or Memcached does on a restart. */
class RestartingCache {
  #cache: MemoryCache;
  constructor(private readonly now: () => number) {
    this.#cache = new MemoryCache({ now });
  }
  restart(): void {
    this.#cache = new MemoryCache({ now: this.now });
  }
  get(key: string) {
    return this.#cache.get(key);
  }
  set(key: string, value: string, ttlMs: number) {
    return this.#cache.set(key, value, ttlMs);
  }
  add(key: string, value: string, ttlMs: number) {
    return this.#cache.add(key, value, ttlMs);
  }
}

function setup() {
  const clock = { t: T0 };
  const now = () => clock.t;
  const store = new SlowStore();
  const liveCache = new RestartingCache(now);
  const service = (): TokenService =>
    new TokenService({
      keys: new SigningKeys(now, keys),
      store,
      now,
      issuer: 'kairos',
      audience: 'kairos-api',
      roleOf: async () => 'trader',
      liveCheckMs: TTL,
      liveCache,
    });
  const keys = SigningKeys.generateKey();
  return { clock, store, liveCache, service };
}

describe('TokenService: the store reads of the live check', () => {
  it('checks of one session that find no live mark share one store read', async () => {
    const { store, service } = setup();
    const tokens = service();
    const pair = await tokens.startSession('u1', 'trader');
    store.held = true;
    const checks = Array.from({ length: 50 }, () => tokens.verifyAccessLive(pair.accessToken));
    await store.holding(1);
    store.release();
    await expect(Promise.all(checks)).resolves.toHaveLength(50);
    expect(store.reads).toBe(1);
    // Another session is read on its own.
    const other = await tokens.startSession('u2', 'trader');
    await tokens.verifyAccessLive(other.accessToken);
    expect(store.reads).toBe(2);
  });

  it('a check after a logout never joins a read begun before it: refused at once', async () => {
    const { store, service } = setup();
    const tokens = service();
    const pair = await tokens.startSession('u1', 'trader');
    store.held = true;
    const before = tokens.verifyAccessLive(pair.accessToken); // reads the session while live
    await store.holding(1);
    await tokens.logout(pair.sessionId);
    store.release();
    await expect(tokens.verifyAccessLive(pair.accessToken)).rejects.toEqual(refused);
    // The check that began before the logout read the session live (as it would have without
    // sharing); it does not mark it live over the logout's tombstone.
    await before;
    await expect(tokens.verifyAccessLive(pair.accessToken)).rejects.toEqual(refused);
    expect(store.reads).toBe(3);
  });

  it('a revocation on another instance sharing the cache: its checks read anew, refused', async () => {
    const { store, service } = setup();
    const [here, there] = [service(), service()];
    const pair = await here.startSession('u1', 'trader');
    store.held = true;
    const before = here.verifyAccessLive(pair.accessToken);
    await store.holding(1);
    await there.revokeSession(pair.sessionId);
    const after = here.verifyAccessLive(pair.accessToken);
    await store.holding(2); // its own read, not the one under way
    store.release();
    await expect(after).rejects.toEqual(refused);
    await before;
    expect(store.reads).toBe(2);
  });

  it('a read under way for as long as the live-check time is not joined', async () => {
    const { clock, store, service } = setup();
    const tokens = service();
    const pair = await tokens.startSession('u1', 'trader');
    store.held = true;
    const first = tokens.verifyAccessLive(pair.accessToken);
    await store.holding(1);
    clock.t += TTL;
    const second = tokens.verifyAccessLive(pair.accessToken);
    await store.holding(2);
    store.release();
    await Promise.all([first, second]);
    expect(store.reads).toBe(2);
  });

  it('keeps no read once it settled: the next lapse reads the store again', async () => {
    const { clock, store, service } = setup();
    const tokens = service();
    const pair = await tokens.startSession('u1', 'trader');
    await tokens.verifyAccessLive(pair.accessToken);
    await tokens.verifyAccessLive(pair.accessToken); // the live mark
    expect(store.reads).toBe(1);
    clock.t += TTL;
    await tokens.verifyAccessLive(pair.accessToken);
    expect(store.reads).toBe(2);
    // A failed read is not kept either.
    await tokens.logout(pair.sessionId);
    await expect(tokens.verifyAccessLive(pair.accessToken)).rejects.toEqual(refused);
    await expect(tokens.verifyAccessLive(pair.accessToken)).rejects.toEqual(refused);
    expect(store.reads).toBe(4);
  });

  it('a cache restart inside the live window sends the next check to the store: a revoked session is refused', async () => {
    const { store, liveCache, service } = setup();
    const tokens = service();
    const pair = await tokens.startSession('u1', 'trader');
    await tokens.verifyAccessLive(pair.accessToken);
    await tokens.logout(pair.sessionId);
    liveCache.restart(); // the live mark and the logout's tombstone are gone with it
    await expect(tokens.verifyAccessLive(pair.accessToken)).rejects.toEqual(refused);
    expect(store.reads).toBe(2);
  });

  it('an older read settling late leaves the newer read under way to be joined', async () => {
    const { clock, store, liveCache, service } = setup();
    const tokens = service();
    const pair = await tokens.startSession('u1', 'trader');
    store.held = true;
    const first = tokens.verifyAccessLive(pair.accessToken);
    await store.holding(1);
    clock.t += TTL; // the first read is too old to join: a second one starts
    const second = tokens.verifyAccessLive(pair.accessToken);
    await store.holding(2);
    store.releaseOne();
    await first;
    liveCache.restart(); // the first read's live mark is lost: the next check finds no mark
    const third = tokens.verifyAccessLive(pair.accessToken);
    store.release();
    await Promise.all([second, third]);
    expect(store.reads).toBe(2);
  });
});
