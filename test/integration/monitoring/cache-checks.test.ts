import { Redis } from 'ioredis';
import { HealthChecks, memcachedCheck, redisCheck } from '../../../src/monitoring/health-checks.js';
import { connectRedis, memcachedProbe } from '../../../src/scalability/connections.js';
import { freePort } from '../../support/private-services.js';
import { TEST_MEMCACHED, TEST_REDIS_URL } from '../scalability/services.js';

describe('cache readiness checks against real servers', () => {
  it('redis: passes on the test Redis, fails naming `redis` on a closed port', async () => {
    const up = await connectRedis(TEST_REDIS_URL);
    // A client to a port nothing listens on, failing fast as connectRedis's clients do.
    const down = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => undefined);
    try {
      const report = await new HealthChecks([redisCheck(() => up.ping())]).run();
      expect(report.status).toBe('pass');
      const failed = await new HealthChecks([redisCheck(() => down.ping())]).run();
      expect(failed.status).toBe('fail');
      expect(failed.checks[0]).toMatchObject({ name: 'redis', status: 'fail' });
      expect(failed.checks[0]!.detail).toMatch(/^redis did not answer PING/);
    } finally {
      up.disconnect();
      down.disconnect();
    }
  });

  it('memcached: passes when every server answers, fails naming `memcached` when one does not', async () => {
    const good = memcachedProbe(TEST_MEMCACHED);
    const bad = memcachedProbe(`${TEST_MEMCACHED},127.0.0.1:${await freePort()}`, {
      connectTimeoutMs: 200,
      commandTimeoutMs: 200,
    });
    try {
      expect((await new HealthChecks([memcachedCheck(() => good.ping())]).run()).status).toBe(
        'pass',
      );
      const failed = await new HealthChecks([memcachedCheck(() => bad.ping())], {
        timeoutMs: 2_000,
      }).run();
      expect(failed.checks[0]).toMatchObject({ name: 'memcached', status: 'fail' });
      expect(failed.checks[0]!.detail).toMatch(/^a memcached server did not answer/);
    } finally {
      good.close();
      bad.close();
    }
  });
});
