import { MemoryMetrics } from '../../../../src/monitoring/memory-metrics.js';
import type { Cache } from '../../../../src/scalability/cache/cache.js';
import { countedCache } from '../../../../src/scalability/cache/counted-cache.js';
import { MemoryCache } from '../../../../src/scalability/cache/memory-cache.js';
import { KairosError } from '../../../../src/trading/core/errors.js';

describe('countedCache', () => {
  it('counts hits, misses and errors by cache name; passes values and errors through', async () => {
    const metrics = new MemoryMetrics();
    const cache = countedCache(new MemoryCache(), metrics, 'login');
    const count = (result: string) =>
      metrics.value('kairos_cache_requests_total', { cache: 'login', result });
    expect([count('hit'), count('miss')]).toEqual([0, 0]);
    expect(await cache.get('a')).toBeUndefined();
    await cache.set('a', 'x', 60_000);
    expect(await cache.get('a')).toBe('x');
    expect(await cache.get('a')).toBe('x');
    await cache.delete('a');
    expect(await cache.get('a')).toBeUndefined();
    expect([await cache.add('a', 'y', 60_000), await cache.add('a', 'z', 60_000)]).toEqual([
      true,
      false,
    ]);
    expect(await cache.get('a')).toBe('y');
    expect([count('hit'), count('miss')]).toEqual([3, 2]);

    const down: Cache = {
      get: () => Promise.reject(new KairosError('CACHE_UNAVAILABLE', 'Redis GET failed')),
      set: () => Promise.resolve(),
      add: () => Promise.resolve(true),
      delete: () => Promise.resolve(),
    };
    const failing = countedCache(down, metrics, 'login');
    await expect(failing.get('a')).rejects.toThrow('Redis GET failed');
    expect(count('error')).toBe(1);
  });
});
