/**
 * How a venue call failed, for retries and the circuit breaker:
 * - `transient`: the network or the venue is down or slow (ccxt `NetworkError` and its
 *   subclasses, socket errors). Reads are retried; the breaker counts it.
 * - `rate-limited`: ccxt `RateLimitExceeded` / `DDoSProtection` (HTTP 429/418). Never retried
 *   here: record the ban in the `RequestBudget`, which stops every call until it ends.
 * - `permanent`: the venue answered no (bad order, bad symbol, auth) or a bug. Not retried,
 *   not counted.
 */
export type VenueErrorKind = 'transient' | 'rate-limited' | 'permanent';

const RATE_LIMITED = new Set(['RateLimitExceeded', 'DDoSProtection']);
const SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Classifies an error by the names of its class and superclasses (ccxt's error classes keep
 * their names; this folder may not import ccxt) and by Node's socket error codes.
 *
 * @example
 * venueErrorKind(new ccxt.RequestTimeout('...')); // 'transient'
 */
export function venueErrorKind(error: unknown): VenueErrorKind {
  if (!(error instanceof Error)) return 'permanent';
  const names = new Set<string>([error.name]);
  for (let p: object | null = Object.getPrototypeOf(error); p; p = Object.getPrototypeOf(p)) {
    names.add((p as { constructor: { name: string } }).constructor.name);
  }
  if ([...names].some((n) => RATE_LIMITED.has(n))) return 'rate-limited';
  if (names.has('NetworkError')) return 'transient';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && SOCKET_CODES.has(code) ? 'transient' : 'permanent';
}
