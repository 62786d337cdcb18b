import { KairosError } from '../../trading/core/errors.js';

/**
 * A key-value cache of strings with a time to live: memory, Redis or Memcached behind one port.
 * A cache is never the only record of anything: a miss means "ask the source".
 * Errors of a remote cache are `KairosError('CACHE_UNAVAILABLE')`; keys breaking
 * {@link assertCacheKey} are `CACHE_KEY_INVALID` in every implementation.
 *
 * @example
 * await cache.set('instrument:BTC/USDT', text, 60_000);
 * const hit = await cache.get('instrument:BTC/USDT'); // string | undefined
 */
export interface Cache {
  /** The value, or `undefined` when missing or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` for `ttlMs` milliseconds (a positive integer), replacing any value. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Stores `value` for `ttlMs` only when the key holds nothing (or only an expired value), in
   * one step of the server, and answers whether it stored: of many callers racing on one key,
   * on one instance or several, one gets `true` until the value expires.
   */
  add(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Removes the key; a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/** Memcached's rule, applied by every implementation so they accept the same keys. */
const KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * Throws `CACHE_KEY_INVALID` unless `key` is 1–200 printable ASCII characters without spaces.
 *
 * @example
 * assertCacheKey('user:42'); // ok
 */
export function assertCacheKey(key: string): void {
  if (!KEY.test(key)) {
    throw new KairosError(
      'CACHE_KEY_INVALID',
      `cache key ${JSON.stringify(key.slice(0, 40))}: must be 1-200 printable ASCII characters without spaces`,
    );
  }
}

/**
 * Throws `CACHE_TTL_INVALID` unless `ttlMs` is a positive integer.
 *
 * @example
 * assertTtl(60_000); // ok
 */
export function assertTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new KairosError('CACHE_TTL_INVALID', `cache ttlMs ${ttlMs}: must be a positive integer`);
  }
}

/**
 * Reads a JSON value; `undefined` on a miss. The result is `unknown`: a shared cache is
 * untrusted input, so validate it before use. A value that is not JSON counts as a miss.
 *
 * @example
 * const limits = await readJson(cache, 'risk:limits:acct-1');
 */
export async function readJson(cache: Cache, key: string): Promise<unknown> {
  const text = await cache.get(key);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Stores `value` as JSON for `ttlMs` milliseconds.
 *
 * @example
 * await writeJson(cache, 'risk:limits:acct-1', { maxOrderValue: '1000' }, 30_000);
 */
export async function writeJson(
  cache: Cache,
  key: string,
  value: unknown,
  ttlMs: number,
): Promise<void> {
  const text = JSON.stringify(value);
  if (text === undefined) {
    throw new KairosError('CACHE_VALUE_INVALID', `cache key ${key}: value is not JSON`);
  }
  await cache.set(key, text, ttlMs);
}

/**
 * Runs one call to a cache server; a failure becomes `CACHE_UNAVAILABLE` naming the server and
 * the command, with the cause.
 *
 * @example
 * await cacheCall('Redis', 'GET', () => redis.get(key));
 */
export async function cacheCall<T>(
  server: string,
  command: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    throw new KairosError(
      'CACHE_UNAVAILABLE',
      `${server} ${command} failed: ${(cause as Error).message}`,
      { cause },
    );
  }
}
