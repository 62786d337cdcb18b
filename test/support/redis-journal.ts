import type { Redis } from 'ioredis';
import type { CommandHandler } from '../../src/scalability/bus/command-stream.js';

/**
 * An idempotent journal in Redis, as the order desk is in the database: the first command of a
 * key makes the order (201), a later one finds it (200); `<prefix>runs:<key>` counts the runs.
 */
export function redisJournal(redis: Redis, prefix: string): CommandHandler {
  return async (cmd) => {
    const key = cmd.idempotencyKey!;
    await redis.incr(`${prefix}runs:${key}`);
    const made = await redis.set(`${prefix}order:${key}`, `order-${key}`, 'NX');
    return { status: made === 'OK' ? 201 : 200, body: { id: `order-${key}` } };
  };
}
