import net from 'node:net';
import rateLimit from '@fastify/rate-limit';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { registerProblems } from '../../../src/api/problem.js';
import { redisRateLimitStore } from '../../../src/api/rate-limit-store.js';

/**
 * The API counts requests in Redis (several instances). A Redis that does not answer in time
 * (away, or an instance whose event loop stalled past ioredis' command timeout: seen under load
 * in the cluster benchmark) made the rate limiter's hook throw ioredis' plain "Command timed
 * out", answered 500 INTERNAL. It is a clear refusal with a code now: 503 CACHE_UNAVAILABLE.
 */
describe('the Redis rate limit when Redis does not answer', () => {
  // A server that takes connections and never answers: every command times out.
  const silent = net.createServer(() => undefined);
  const sockets = new Set<net.Socket>();
  let redis: Redis;
  beforeAll(async () => {
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as net.AddressInfo;
    redis = new Redis({
      host: '127.0.0.1',
      port,
      commandTimeout: 100,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    });
    await redis.connect();
  });
  afterAll(async () => {
    redis.disconnect();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('answers 503 CACHE_UNAVAILABLE, not 500', async () => {
    const app = Fastify();
    registerProblems(app);
    await app.register(rateLimit, {
      max: 100,
      timeWindow: 60_000,
      store: redisRateLimitStore(redis, 'kairos:test-rl:'),
    });
    app.get('/ping', async () => ({ ok: true }));
    try {
      const res = await app.inject({ method: 'GET', url: '/ping' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['retry-after']).toBe('2');
      expect(res.json()).toMatchObject({ code: 'CACHE_UNAVAILABLE', status: 503 });
      expect(res.json().detail).toMatch(/rate-limit store \(Redis\) failed.*timed out/);
    } finally {
      await app.close();
    }
  });
});
