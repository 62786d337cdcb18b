// A process that owns one account's command stream and journals each command's order in Redis
// (once per idempotency key), then hangs before answering: it dies (SIGKILL) between running a
// command and acknowledging it, for command-stream.test.ts. Args: Redis URL, key prefix, account.
import { RedisCommandStream } from '../../src/scalability/bus/redis-command-stream.js';
import { connectRedis } from '../../src/scalability/connections.js';
import { redisJournal } from './redis-journal.js';

const [url, prefix, account] = process.argv.slice(2) as [string, string, string];
const redis = await connectRedis(url);
const journal = redisJournal(redis, prefix);
new RedisCommandStream(redis, { prefix, consumer: `owner-${process.pid}` }).serve(
  account,
  async (cmd) => {
    await journal(cmd);
    console.log(`journaled ${cmd.idempotencyKey}`);
    // Never answers: killed here.
    return new Promise(() => undefined);
  },
);
console.log('serving');
