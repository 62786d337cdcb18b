import type { Redis } from 'ioredis';

/** Which instances of one service are alive: each beats with a TTL, and counts the others. */
export interface LiveInstances {
  /** Says this instance is alive for `ttlMs` more. */
  beat(id: string, ttlMs: number): Promise<void>;
  /** The instances alive now (this one included once it has beaten). */
  live(): Promise<string[]>;
  /** Says this instance is gone (a graceful stop), so the others count without it at once. */
  leave(id: string): Promise<void>;
}

/** Without Redis: one instance, alone. */
export const SOLO_INSTANCES: LiveInstances = {
  beat: async () => undefined,
  live: async () => ['self'],
  leave: async () => undefined,
};

/**
 * Instances alive in Redis: each keeps `<prefix><id>` set with a TTL (`SET PX`), so a dead one
 * disappears when its key expires; `live` lists the keys (`SCAN`, never `KEYS`).
 *
 * @example
 * const instances = new RedisInstances(redis, 'kairos:instances:orders-db:');
 * await instances.beat(instanceId, 10_000);
 */
export class RedisInstances implements LiveInstances {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async beat(id: string, ttlMs: number): Promise<void> {
    await this.redis.set(`${this.prefix}${id}`, String(Date.now()), 'PX', Math.max(1, ttlMs));
  }

  async live(): Promise<string[]> {
    const ids: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 200);
      cursor = next;
      for (const k of keys) ids.push(k.slice(this.prefix.length));
    } while (cursor !== '0');
    return [...new Set(ids)];
  }

  async leave(id: string): Promise<void> {
    await this.redis.del(`${this.prefix}${id}`);
  }
}
