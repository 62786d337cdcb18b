import type { Client } from 'memjs';
import type { Redis } from 'ioredis';
import { connectMemcached, connectRedis } from '../../../src/scalability/connections.js';

/** The test Redis and Memcached (started by test/support/global-setup.mjs). */
export const TEST_REDIS_URL = process.env.KAIROS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_MEMCACHED = process.env.KAIROS_TEST_MEMCACHED ?? '127.0.0.1:11211';

/** A key prefix no other test run uses. */
export function uniquePrefix(): string {
  return `kairos:test:${process.pid}-${Math.floor(Math.random() * 1e9)}:`;
}

/** Opens a Redis client; `cleanup` deletes every key under `prefix` and quits. */
export async function testRedis(
  prefix: string,
): Promise<{ redis: Redis; cleanup(): Promise<void> }> {
  const redis = await connectRedis(TEST_REDIS_URL);
  return {
    redis,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await redis.quit();
    },
  };
}

/** Opens a Memcached client. */
export function testMemcached(): Promise<Client> {
  return connectMemcached(TEST_MEMCACHED);
}

/** Resolves once `check` returns true; fails after `timeoutMs`. Polls, never sleeps blindly. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
