import type { EventLog } from '../scalability/bus/event-log.js';
import { MemoryEventLog } from '../scalability/bus/memory-event-log.js';
import { RedisEventLog } from '../scalability/bus/redis-event-log.js';
import type { RedisClient } from '../scalability/connections.js';
import type { Config } from './config.js';

/**
 * The event log of the WebSocket frames (`docs/api.md`, "Sequences and resume"): with `REDIS_URL`, Redis
 * streams every instance shares (a frame made on one reaches the clients of all, and a client
 * resumes on any); without, this process's memory. Each keeps `KAIROS_WS_RESUME_EVENTS` frames
 * per channel.
 *
 * @example
 * // Under the install's group (`installGroup`): another install on this Redis has its own log.
 * const log = wsEventLog(config, redis, `kairos:events:${installGroup(config)}:`);
 */
export function wsEventLog(
  config: Pick<Config, 'wsResumeEvents'>,
  redis: RedisClient | null,
  prefix = 'kairos:events:',
): EventLog {
  const keep = config.wsResumeEvents;
  return redis ? new RedisEventLog(redis, { prefix, keep }) : new MemoryEventLog(keep);
}
