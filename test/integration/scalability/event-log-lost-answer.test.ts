import type { Redis } from 'ioredis';
import { RedisEventLog } from '../../../src/scalability/bus/redis-event-log.js';
import { connectRedis } from '../../../src/scalability/connections.js';
import { TEST_REDIS_URL, uniquePrefix } from './services.js';

/** Holds the event loop (as a long GC, a big synchronous parse or in-process PGlite does). */
const holdLoop = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * An append whose answer is lost although Redis ran it: the command timeout fires first when the
 * event loop was held past it (timers run before the socket is read). A frame must then neither be
 * lost (at least once, issue 16) nor appear twice under two sequences.
 */
describe('an event log append whose answer was lost', () => {
  const prefix = uniquePrefix();
  let redis: Redis;
  beforeAll(async () => {
    redis = await connectRedis(TEST_REDIS_URL, { commandTimeoutMs: 100 });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('is retried and answers the sequence it got: the frame is in the log once', async () => {
    const log = new RedisEventLog(redis, { prefix });
    // In a check-phase callback: the next loop turn runs the expired timeout before the reply.
    const pending = await new Promise<Promise<number>>((resolve) =>
      setImmediate(() => {
        const p = log.append('ws:acc-1', 'frame-1');
        holdLoop(300);
        resolve(p);
      }),
    );
    expect(await pending).toBe(1);
    expect(await log.append('ws:acc-1', 'frame-2')).toBe(2);
    const { events } = await log.read('ws:acc-1', 0, 10);
    expect(events.map((e) => [e.seq, e.payload])).toEqual([
      [1, 'frame-1'],
      [2, 'frame-2'],
    ]);
    // The keys that make a retry safe are kept for the retries, not for the hour of a caller's.
    const keys = await redis.keys(`${prefix}ws:acc-1:once:r:*`);
    expect(keys).toHaveLength(2);
    for (const k of keys) expect(await redis.pttl(k)).toBeLessThanOrEqual(120_000);
  });

  it('a caller’s own `once` key still holds for the hour: a second append under it is the first', async () => {
    const log = new RedisEventLog(redis, { prefix });
    const first = await log.append('bars:x', 'bar-1', { once: 'bar@1000' });
    expect(await log.append('bars:x', 'bar-1 again', { once: 'bar@1000' })).toBe(first);
    expect(await redis.pttl(`${prefix}bars:x:once:bar@1000`)).toBeGreaterThan(120_000);
  });
});
