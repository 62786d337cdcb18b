import { METRICS } from '../../monitoring/metric-catalogue.js';
import type { Metrics } from '../../trading/core/metrics.js';
import type { Cache } from './cache.js';

/**
 * A cache that counts its look-ups in `kairos_cache_requests_total` by `cache` (a name the
 * composition root gives: `login`…, a bounded set) and result: `hit`, `miss`, or `error` (the
 * remote cache failed; the error still reaches the caller). Writes and deletes pass through.
 *
 * @example
 * const challenges = countedCache(new MemoryCache(), metrics, 'login');
 */
export function countedCache(cache: Cache, metrics: Metrics, name: string): Cache {
  const requests = metrics.counter(METRICS.cacheRequests);
  for (const result of ['hit', 'miss']) requests.inc({ cache: name, result }, 0);
  return {
    get: async (key) => {
      let value: string | undefined;
      try {
        value = await cache.get(key);
      } catch (e) {
        requests.inc({ cache: name, result: 'error' });
        throw e;
      }
      requests.inc({ cache: name, result: value === undefined ? 'miss' : 'hit' });
      return value;
    },
    set: (key, value, ttlMs) => cache.set(key, value, ttlMs),
    add: (key, value, ttlMs) => cache.add(key, value, ttlMs),
    delete: (key) => cache.delete(key),
  };
}
