import type { Client } from 'memjs';
import { KairosError } from '../../trading/core/errors.js';
import { assertCacheKey, assertTtl, cacheCall, type Cache } from './cache.js';

/** Memcached reads an expiry above 30 days as an absolute Unix time. */
const MAX_RELATIVE_S = 30 * 24 * 3600;

/**
 * A cache in Memcached (ElastiCache for Memcached on AWS). TTLs are rounded up to whole
 * seconds, Memcached's granularity; values above 1 MiB are refused by the server. The client
 * comes from `connectMemcached` and stays owned by the caller.
 *
 * @example
 * const cache = new MemcachedCache(await connectMemcached(config.memcachedServers));
 */
export class MemcachedCache implements Cache {
  constructor(
    private readonly client: Client,
    private readonly prefix = 'kairos:cache:',
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<string | undefined> {
    assertCacheKey(key);
    const { value } = await cacheCall('Memcached', 'get', () => this.client.get(this.prefix + key));
    return value === null ? undefined : value.toString('utf8');
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    assertCacheKey(key);
    assertTtl(ttlMs);
    const stored = await cacheCall('Memcached', 'set', () =>
      this.client.set(this.prefix + key, value, { expires: this.expires(ttlMs) }),
    );
    if (!stored) {
      throw new KairosError('CACHE_UNAVAILABLE', `Memcached did not store ${key}`);
    }
  }

  async add(key: string, value: string, ttlMs: number): Promise<boolean> {
    assertCacheKey(key);
    assertTtl(ttlMs);
    return cacheCall('Memcached', 'add', () =>
      this.client.add(this.prefix + key, value, { expires: this.expires(ttlMs) }),
    );
  }

  async delete(key: string): Promise<void> {
    assertCacheKey(key);
    await cacheCall('Memcached', 'delete', () => this.client.delete(this.prefix + key));
  }

  /** Memcached's expiry: seconds from now up to 30 days, an epoch time beyond. */
  private expires(ttlMs: number): number {
    const seconds = Math.ceil(ttlMs / 1000);
    return seconds <= MAX_RELATIVE_S ? seconds : Math.ceil(this.now() / 1000) + seconds;
  }
}
