import { createRequire } from 'node:module';
import type { FastifyRateLimitOptions, FastifyRateLimitStore } from '@fastify/rate-limit';
import { KairosError } from '../trading/core/errors.js';

type RedisStoreCtor = new (
  continueExceeding: boolean | undefined,
  exponentialBackoff: boolean | undefined,
  redis: unknown,
  key: string,
) => FastifyRateLimitStore;

// The plugin's own Redis store (its Lua counter), which it exports only by file.
const RedisStore = createRequire(import.meta.url)(
  '@fastify/rate-limit/store/RedisStore.js',
) as RedisStoreCtor;

/** `CACHE_UNAVAILABLE` (503): the request counter in Redis did not answer. */
function refused(cause: Error): KairosError {
  return new KairosError(
    'CACHE_UNAVAILABLE',
    `rate-limit store (Redis) failed, requests are refused: ${cause.message}`,
    { cause },
  );
}

type Store = FastifyRateLimitStore & { read?: FastifyRateLimitStore['incr'] };

/** `store` as one whose failures are `CACHE_UNAVAILABLE`. */
function refusing(store: Store): Store {
  const read = store.read?.bind(store);
  return {
    incr: (key, callback, timeWindow, max) =>
      store.incr(key, (e, result) => callback(e ? refused(e) : null, result), timeWindow, max),
    child: (routeOptions) => refusing(store.child(routeOptions)),
    ...(read
      ? {
          read: (key, callback, timeWindow, max) =>
            read(key, (e, result) => callback(e ? refused(e) : null, result), timeWindow, max),
        }
      : {}),
  } as Store;
}

/**
 * The `store` of `@fastify/rate-limit` on Redis (several instances share the counts): the
 * plugin's Redis store, whose failures (Redis away, or a command timed out: an event loop that
 * stalled past ioredis' command timeout) refuse the request with 503 `CACHE_UNAVAILABLE` (fail
 * closed) instead of reaching the API as an unknown error (a 500, seen under load in the cluster
 * benchmark).
 *
 * @example
 * await app.register(rateLimit, { max: 6000, timeWindow: 60_000, store: redisRateLimitStore(redis, 'kairos:api-rl:') });
 */
export function redisRateLimitStore(
  redis: unknown,
  nameSpace: string,
): new (options: FastifyRateLimitOptions) => FastifyRateLimitStore {
  return class {
    // The plugin passes its settings, these two among them.
    constructor(options: { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      return refusing(
        new RedisStore(options.continueExceeding, options.exponentialBackoff, redis, nameSpace),
      );
    }
  } as unknown as new (options: FastifyRateLimitOptions) => FastifyRateLimitStore;
}
