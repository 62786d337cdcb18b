/**
 * A process whose Redis commands are rejected rather than answered, then stops every connection:
 * an error reply, a blocking read cut by `disconnect()` while in flight, and a command sent on a
 * connection that is not open (no offline queue). Prints how each ended; with a command timeout of `argv[3]` ms
 * (default two minutes) a timer left running would hold this process that long after its end.
 * `argv[2]`: the Redis URL.
 */
import { connectRedis } from '../../src/scalability/connections.js';

const url = process.argv[2] ?? 'redis://127.0.0.1:6379';
const commandTimeoutMs = Number(process.argv[3] ?? 120_000);
const ended = (p: Promise<unknown>) =>
  p.then(
    () => 'answered',
    (e: Error) => `rejected: ${e.message}`,
  );

const redis = await connectRedis(url, { commandTimeoutMs });
const key = `kairos:test:cut:${process.pid}`;
await redis.set(key, 'text', 'EX', 60);
process.stdout.write(`error reply: ${await ended(redis.lpush(key, 'x'))}\n`);
await redis.del(key);
const reader = redis.duplicate();
await reader.connect();
const read = ended(reader.xread('BLOCK', 0, 'STREAMS', key, '$'));
reader.disconnect();
process.stdout.write(`blocking read: ${await read}\n`);
const closed = redis.duplicate();
closed.on('error', () => undefined);
const refused = ended(closed.get('kairos:test:cut'));
closed.disconnect();
process.stdout.write(`command on a closed connection: ${await refused}\n`);
redis.disconnect();
