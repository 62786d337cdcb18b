import { connectMemcached, connectRedis } from '../../../src/scalability/connections.js';
import { spawnScript } from '../../support/spawn-script.js';
import { until } from '../../support/until.js';
import { TEST_MEMCACHED, TEST_REDIS_URL } from './services.js';

describe('connections', () => {
  it('connects to Redis and Memcached when they answer', async () => {
    const redis = await connectRedis(TEST_REDIS_URL);
    expect(await redis.ping()).toBe('PONG');
    await redis.quit();
    const memcached = await connectMemcached(TEST_MEMCACHED);
    expect(await memcached.set('kairos:test:connections', 'ok', { expires: 5 })).toBe(true);
    await memcached.delete('kairos:test:connections');
    memcached.close();
  });

  it('names REDIS_URL, hides its password, and says why when Redis does not answer', async () => {
    const failure = connectRedis('redis://:s3cret@127.0.0.1:1');
    await expect(failure).rejects.toMatchObject({
      code: 'CACHE_UNAVAILABLE',
      message: expect.stringMatching(
        /^REDIS_URL \(redis:\/\/:\*\*\*@127\.0\.0\.1:1\) is not reachable/,
      ),
    });
    await expect(failure).rejects.not.toThrow(/s3cret/);
  });

  it('a command rejected (an error reply, cut by a disconnect, on a closed connection) leaves no timer holding the process', async () => {
    // Its command timeout is two minutes: ioredis alone left each rejected command's timer
    // running, and the process lived on that long after its end (redis/ioredis#1535).
    const p = spawnScript('test/support/redis-cut-commands.ts', [TEST_REDIS_URL, '120000']);
    let code: unknown;
    void p.exited.then((c) => (code = c));
    try {
      await until(() => code !== undefined, 30_000, 'the process to exit after its last command');
    } finally {
      p.child.kill('SIGKILL');
    }
    expect(code).toBe(0);
    expect(p.out()).toBe(
      'error reply: rejected: WRONGTYPE Operation against a key holding the wrong kind of value\n' +
        'blocking read: rejected: Connection is closed.\n' +
        "command on a closed connection: rejected: Stream isn't writeable and enableOfflineQueue options is false\n",
    );
  }, 60_000);

  it('names the Memcached server that does not answer', async () => {
    const failure = connectMemcached(`${TEST_MEMCACHED},cache:s3cret@127.0.0.1:1`);
    await expect(failure).rejects.toMatchObject({
      code: 'CACHE_UNAVAILABLE',
      message: expect.stringContaining('MEMCACHED_SERVERS: cache:***@127.0.0.1:1 is not reachable'),
    });
    await expect(failure).rejects.not.toThrow(/s3cret/);
  });
});
