import { connectMemcached, connectRedis } from '../../../src/scalability/connections.js';
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

  it('names the Memcached server that does not answer', async () => {
    const failure = connectMemcached(`${TEST_MEMCACHED},cache:s3cret@127.0.0.1:1`);
    await expect(failure).rejects.toMatchObject({
      code: 'CACHE_UNAVAILABLE',
      message: expect.stringContaining('MEMCACHED_SERVERS: cache:***@127.0.0.1:1 is not reachable'),
    });
    await expect(failure).rejects.not.toThrow(/s3cret/);
  });
});
