import { Client } from 'memjs';
import type { Redis } from 'ioredis';
import { readJson, writeJson, type Cache } from '../../../src/scalability/cache/cache.js';
import { MemcachedCache } from '../../../src/scalability/cache/memcached-cache.js';
import { MemoryCache } from '../../../src/scalability/cache/memory-cache.js';
import { RedisCache } from '../../../src/scalability/cache/redis-cache.js';
import { connectRedis } from '../../../src/scalability/connections.js';
import { TEST_REDIS_URL, eventually, testMemcached, testRedis, uniquePrefix } from './services.js';

const prefix = uniquePrefix();
let redis: { redis: Redis; cleanup(): Promise<void> };
let memcached: Client;
let clock = 1_700_000_000_000;

beforeAll(async () => {
  redis = await testRedis(prefix);
  memcached = await testMemcached();
});
afterAll(async () => {
  await redis.cleanup();
  memcached.close();
});

/**
 * Each implementation, plus `advance`: moves the memory cache's clock; the real servers keep
 * their own time, so for them it does nothing and expiry is awaited.
 */
const IMPLEMENTATIONS: [string, () => Cache, (ms: number) => void][] = [
  ['memory', () => new MemoryCache({ now: () => clock }), (ms) => (clock += ms)],
  ['redis', () => new RedisCache(redis.redis, prefix), () => {}],
  ['memcached', () => new MemcachedCache(memcached, prefix), () => {}],
];

describe.each(IMPLEMENTATIONS)('%s cache', (_name, make, advance) => {
  let cache: Cache;
  const used: string[] = [];
  const key = (name: string) => {
    used.push(name);
    return name;
  };
  beforeEach(() => {
    cache = make();
  });
  afterEach(async () => {
    for (const k of used.splice(0)) await cache.delete(k);
  });

  it('misses an unknown key', async () => {
    expect(await cache.get(key('nothing-here'))).toBeUndefined();
  });

  it('returns what was set, byte for byte, and replaces it on set', async () => {
    const k = key('greeting');
    await cache.set(k, 'héllo ✓ "quoted"\nline', 60_000);
    expect(await cache.get(k)).toBe('héllo ✓ "quoted"\nline');
    await cache.set(k, '', 60_000);
    expect(await cache.get(k)).toBe('');
    const big = 'x'.repeat(100_000);
    await cache.set(k, big, 60_000);
    expect(await cache.get(k)).toBe(big);
  });

  it('deletes a key, and deleting a missing key is fine', async () => {
    const k = key('doomed');
    await cache.set(k, 'v', 60_000);
    await cache.delete(k);
    expect(await cache.get(k)).toBeUndefined();
    await expect(cache.delete(k)).resolves.toBeUndefined();
  });

  it('stores JSON and treats a non-JSON value as a miss', async () => {
    const k = key('limits');
    await writeJson(cache, k, { maxOrderValue: '1000.5', symbols: ['BTC/USDT'], on: true }, 60_000);
    expect(await readJson(cache, k)).toEqual({
      maxOrderValue: '1000.5',
      symbols: ['BTC/USDT'],
      on: true,
    });
    await cache.set(k, '{not json', 60_000);
    expect(await readJson(cache, k)).toBeUndefined();
    expect(await readJson(cache, key('absent-json'))).toBeUndefined();
    await expect(writeJson(cache, k, undefined, 1000)).rejects.toMatchObject({
      code: 'CACHE_VALUE_INVALID',
    });
  });

  it('adds a value only where none is, one winner among racing callers, and again once it expired', async () => {
    const k = key('once');
    const wins = await Promise.all(
      Array.from({ length: 20 }, (_, i) => cache.add(k, `caller ${i}`, 60_000)),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await cache.get(k)).toBe(`caller ${wins.indexOf(true)}`);
    expect(await cache.add(k, 'late', 60_000)).toBe(false);
    // Memcached counts TTLs in whole seconds of its own clock: one of 1 s can end a moment after
    // it was set, so the key the next add must find lives at least one whole second.
    await cache.set(k, 'replaced', 2_000);
    expect(await cache.add(k, 'late', 60_000)).toBe(false);
    expect(await cache.get(k)).toBe('replaced');
    await eventually(
      async () => {
        advance(500);
        return (await cache.get(k)) === undefined;
      },
      5_000,
      'added key expired',
    );
    expect(await cache.add(k, 'after expiry', 60_000)).toBe(true);
    expect(await cache.get(k)).toBe('after expiry');
    await cache.delete(k);
    expect(await cache.add(k, 'after delete', 60_000)).toBe(true);
  });

  it('expires a key after its TTL and keeps the others', async () => {
    const short = key('short-lived');
    const long = key('long-lived');
    await cache.set(long, 'stays', 600_000);
    await cache.set(short, 'goes', 1_000);
    await eventually(
      async () => {
        advance(500);
        return (await cache.get(short)) === undefined;
      },
      5_000,
      'short-lived key expired',
    );
    expect(await cache.get(long)).toBe('stays');
  });

  it('refuses the same bad keys and TTLs', async () => {
    for (const bad of ['', 'has space', 'new\nline', 'k'.repeat(201), 'é']) {
      await expect(cache.set(bad, 'v', 1000)).rejects.toMatchObject({ code: 'CACHE_KEY_INVALID' });
      await expect(cache.get(bad)).rejects.toMatchObject({ code: 'CACHE_KEY_INVALID' });
      await expect(cache.add(bad, 'v', 1000)).rejects.toMatchObject({ code: 'CACHE_KEY_INVALID' });
    }
    for (const ttl of [0, -5, 1.5, Number.NaN]) {
      await expect(cache.set(key('ok-key'), 'v', ttl)).rejects.toMatchObject({
        code: 'CACHE_TTL_INVALID',
      });
      await expect(cache.add(key('ok-key'), 'v', ttl)).rejects.toMatchObject({
        code: 'CACHE_TTL_INVALID',
      });
    }
    await cache.set(key('k'.repeat(200)), 'max length', 60_000);
    expect(await cache.get('k'.repeat(200))).toBe('max length');
  });
});

describe('remote cache failures', () => {
  it('reports CACHE_UNAVAILABLE when the Redis connection is gone', async () => {
    const client = await connectRedis(TEST_REDIS_URL);
    client.disconnect();
    await expect(new RedisCache(client, prefix).get('k')).rejects.toMatchObject({
      code: 'CACHE_UNAVAILABLE',
    });
  });

  it('reports CACHE_UNAVAILABLE when Memcached does not answer', async () => {
    const client = Client.create('127.0.0.1:1', { retries: 0, logger: { log: () => {} } });
    await expect(new MemcachedCache(client, prefix).set('k', 'v', 1000)).rejects.toMatchObject({
      code: 'CACHE_UNAVAILABLE',
    });
    client.close();
  });
});
