import type { Redis } from 'ioredis';
import { assertCacheKey, assertTtl, cacheCall, type Cache } from './cache.js';

/**
 * A cache in Redis shared by every instance: `SET key value PX ttl`. Keys are stored under
 * `prefix` (default `kairos:cache:`). The client comes from `connectRedis` and stays owned by
 * the caller.
 *
 * @example
 * const cache = new RedisCache(await connectRedis(config.redisUrl));
 */
export class RedisCache implements Cache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'kairos:cache:',
  ) {}

  async get(key: string): Promise<string | undefined> {
    assertCacheKey(key);
    const value = await cacheCall('Redis', 'GET', () => this.redis.get(this.prefix + key));
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    assertCacheKey(key);
    assertTtl(ttlMs);
    await cacheCall('Redis', 'SET', () => this.redis.set(this.prefix + key, value, 'PX', ttlMs));
  }

  async add(key: string, value: string, ttlMs: number): Promise<boolean> {
    assertCacheKey(key);
    assertTtl(ttlMs);
    const r = await cacheCall('Redis', 'SET', () =>
      this.redis.set(this.prefix + key, value, 'PX', ttlMs, 'NX'),
    );
    return r === 'OK';
  }

  async delete(key: string): Promise<void> {
    assertCacheKey(key);
    await cacheCall('Redis', 'DEL', () => this.redis.del(this.prefix + key));
  }
}
