import { randomUUID } from 'node:crypto';
import type { EventLog } from '../../../src/scalability/bus/event-log.js';
import { EventFollower } from '../../../src/scalability/bus/event-follower.js';
import { RedisEventLog } from '../../../src/scalability/bus/redis-event-log.js';
import { until } from '../../support/until.js';
import { testRedis, uniquePrefix } from './services.js';

/**
 * Found by the failover test (issue 16): an instance drained on SIGTERM did not exit. Its
 * WebSocket gateway closed the `EventFollower`, then a frame appended just before answered and
 * asked for a follow of its channel: a new blocking `XREAD` follower started on a Redis
 * connection of its own, which nothing stopped, and which kept the process alive forever.
 * A follower closed starts nothing any more.
 */
describe('EventFollower on Redis, closed', () => {
  it('starts no log follower (no Redis connection) when asked to follow after its close', async () => {
    const prefix = uniquePrefix();
    const { redis, cleanup } = await testRedis(prefix);
    // The connections this log opens carry this name (a duplicate keeps its parent's options).
    const name = `evf-${randomUUID().slice(0, 8)}`;
    const named = redis.duplicate({ connectionName: name });
    const followers = async () =>
      String(await redis.client('LIST'))
        .split('\n')
        .filter((l) => l.includes(` name=${name} `)).length - 1; // less `named` itself
    try {
      await named.connect();
      const redisLog = new RedisEventLog(named, { prefix });
      let started = 0;
      const log: EventLog = {
        append: (c, p, o) => redisLog.append(c, p, o),
        read: (c, a, l) => redisLog.read(c, a, l),
        last: (c) => redisLog.last(c),
        follow: (c, on, from) => {
          started++;
          return redisLog.follow(c, on, from);
        },
      };
      const follower = new EventFollower(log, () => undefined);
      await follower.follow(['ws:a']);
      await until(async () => (await followers()) === 1, 5_000, 'one follower connection');
      await follower.close();
      await until(async () => (await followers()) === 0, 5_000, 'the follower stopped');
      // What a late sync of the gateway does (an append answered after the close).
      await follower.follow(['ws:a', 'ws:b']);
      expect(follower.channels()).toEqual([]);
      expect(started).toBe(1);
      expect(await followers()).toBe(0);
    } finally {
      named.disconnect();
      await cleanup();
    }
  });
});
