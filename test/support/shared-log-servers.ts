import { RedisEventLog } from '../../src/scalability/bus/redis-event-log.js';
import type { RunningServer } from '../../src/system/trading-server.js';
import { testRedis, TEST_REDIS_URL, uniquePrefix } from '../integration/scalability/services.js';
import { startTestServer, type TestServer } from './api-server.js';
import { dropTestSchema } from './postgres.js';

/** Two servers sharing one database schema and one Redis event log (`sharedLogServers`). */
export interface SharedLogServers {
  readonly t: TestServer;
  /** The first server (`t.server`). */
  readonly a: RunningServer;
  /** The second, started after `before`. */
  readonly b: RunningServer;
  /** The event log both append to, read directly. */
  readonly log: RedisEventLog;
  /** Closes both servers, deletes the log's keys and drops the schema. */
  close(): Promise<void>;
}

/**
 * Two `kairos serve` instances in this process on one Postgres schema and one Redis (a fresh
 * key prefix for the event log), as several instances behind a balancer run: `before` runs on
 * the first before the second starts (accounts it should know at start).
 */
export async function sharedLogServers(
  name: string,
  opts: {
    readonly keep: number;
    readonly env?: Readonly<Record<string, string>>;
    /** The replay's speed and length (default: bars that do not move). */
    readonly replay?: { readonly speed: number; readonly bars: number };
    readonly before?: (t: TestServer) => Promise<void>;
  },
): Promise<SharedLogServers> {
  const schema = `kairos_${name}_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const prefix = uniquePrefix();
  const t = await startTestServer({
    postgresSchema: schema,
    env: { REDIS_URL: TEST_REDIS_URL, ...opts.env },
    eventLogPrefix: prefix,
    ...opts.replay,
  });
  await opts.before?.(t);
  const b = await t.another();
  const redis = await testRedis(prefix);
  return {
    t,
    a: t.server,
    b,
    log: new RedisEventLog(redis.redis, { prefix, keep: opts.keep }),
    close: async () => {
      await b.close();
      await t.server.close();
      await redis.cleanup();
      await dropTestSchema(schema);
    },
  };
}
