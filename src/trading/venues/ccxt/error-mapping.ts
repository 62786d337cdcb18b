import { KairosError } from '../../core/errors.js';
import { Reason } from '../../core/reason-codes.js';
import { VenueBusyError } from '../../execution/venue-busy.js';

/** What a failed order creation means for the order. */
export type CreateOutcome =
  /** The venue (or the gate before it) refused: the order does not exist there. */
  | { readonly kind: 'rejected'; readonly reason: string; readonly message: string }
  /** No answer, or an answer that does not say: the order may exist. Never resend it. */
  | { readonly kind: 'unknown'; readonly reason: string; readonly message: string };

/** Stable reason codes of venue outcomes (listed in docs/errors.md and docs/venues.md). */
export const VenueReason = {
  VENUE_TIMEOUT: 'VENUE_TIMEOUT',
  VENUE_NETWORK_ERROR: 'VENUE_NETWORK_ERROR',
  VENUE_NO_ANSWER: 'VENUE_NO_ANSWER',
  DUPLICATE_AT_VENUE: 'DUPLICATE_AT_VENUE',
  VENUE_RATE_LIMITED: 'VENUE_RATE_LIMITED',
  VENUE_CIRCUIT_OPEN: 'VENUE_CIRCUIT_OPEN',
  RATE_LIMITER_UNAVAILABLE: 'RATE_LIMITER_UNAVAILABLE',
  VENUE_CLOCK_SKEW: 'VENUE_CLOCK_SKEW',
  VENUE_REQUEST_EXPIRED: 'VENUE_REQUEST_EXPIRED',
  VENUE_INVALID_ORDER: 'VENUE_INVALID_ORDER',
  VENUE_ORDER_NOT_FILLABLE: 'VENUE_ORDER_NOT_FILLABLE',
  VENUE_BAD_SYMBOL: 'VENUE_BAD_SYMBOL',
  VENUE_BAD_REQUEST: 'VENUE_BAD_REQUEST',
  VENUE_AUTH_FAILED: 'VENUE_AUTH_FAILED',
  VENUE_MARKET_CLOSED: 'VENUE_MARKET_CLOSED',
  VENUE_NOT_SUPPORTED: 'VENUE_NOT_SUPPORTED',
  VENUE_REJECTED: 'VENUE_REJECTED',
  ORDER_NOT_FOUND_AT_VENUE: 'ORDER_NOT_FOUND_AT_VENUE',
  CANCEL_OUTCOME_UNKNOWN: 'CANCEL_OUTCOME_UNKNOWN',
  STILL_OPEN_AT_VENUE: 'STILL_OPEN_AT_VENUE',
  CANCELED_AT_VENUE: 'CANCELED_AT_VENUE',
  EXPIRED_AT_VENUE: 'EXPIRED_AT_VENUE',
  REJECTED_AT_VENUE: 'REJECTED_AT_VENUE',
  CLIENT_ORDER_ID_INVALID: 'CLIENT_ORDER_ID_INVALID',
} as const;

/** ccxt's error classes this module tells apart (ccxt's names; each extends `BaseError`). */
export type CcxtErrorName =
  | 'BaseError'
  | 'ExchangeError'
  | 'AuthenticationError'
  | 'PermissionDenied'
  | 'ArgumentsRequired'
  | 'BadRequest'
  | 'BadSymbol'
  | 'InsufficientFunds'
  | 'InvalidOrder'
  | 'OrderNotFound'
  | 'OrderImmediatelyFillable'
  | 'OrderNotFillable'
  | 'DuplicateOrderId'
  | 'MarketClosed'
  | 'NotSupported'
  | 'OperationFailed'
  | 'NetworkError'
  | 'DDoSProtection'
  | 'RateLimitExceeded'
  | 'RequestTimeout'
  | 'InvalidNonce';

/**
 * Whether `e` is an instance of ccxt's error class `name`: that class is in its prototype chain,
 * a chain that ends `BaseError` → `Error` (ccxt's hierarchy, `ccxt/js/src/base/errors.js`).
 * By class name, not `instanceof ccxt.X`: this module does not load ccxt, which costs every
 * process about a second of CPU and loads only when a venue is built (`exchange-factory.ts`).
 */
export function isCcxt(e: unknown, name: CcxtErrorName): boolean {
  let found = false;
  for (let p = protoOf(e); p !== null; p = protoOf(p)) {
    const own = classOf(p);
    if (own === name) found = true;
    if (own === 'BaseError') return found && classOf(protoOf(p)) === 'Error';
  }
  return false;
}

const protoOf = (o: unknown): object | null =>
  typeof o === 'object' && o !== null ? (Object.getPrototypeOf(o) as object | null) : null;
const classOf = (proto: object | null): unknown =>
  (proto as { constructor?: { name?: unknown } } | null)?.constructor?.name;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 500);

/** Refusals decided before anything was sent (the gate, the breaker, the budget store). */
function localRefusal(e: unknown): string | null {
  if (!(e instanceof KairosError)) return null;
  if (e.code === 'VENUE_RATE_LIMITED') return VenueReason.VENUE_RATE_LIMITED;
  if (e.code === 'VENUE_CIRCUIT_OPEN') return VenueReason.VENUE_CIRCUIT_OPEN;
  if (e.code === 'CACHE_UNAVAILABLE') return VenueReason.RATE_LIMITER_UNAVAILABLE;
  return null;
}

/**
 * OKX refused a place request it would have processed after its `expTime` (50036; 50037 "Order
 * expired"), which Kairos sends (`create-expiry.ts`); ccxt knows neither code (an
 * `ExchangeError` whose message carries OKX's answer).
 */
function isExpiredRequest(e: unknown): boolean {
  return (
    isCcxt(e, 'ExchangeError') &&
    /^(okx|okxus|myokx) [\s\S]*"s?[cC]ode"\s*:\s*"5003[67]"/.test(message(e))
  );
}

/** The reason of a definite refusal by the venue, or null when the error does not say. */
function venueRefusal(e: unknown): string | null {
  // Order matters: subclasses first. RateLimitExceeded and InvalidNonce are NetworkErrors in
  // ccxt, but the venue answered: the request was refused, not lost.
  if (isCcxt(e, 'DDoSProtection') || isCcxt(e, 'RateLimitExceeded'))
    return VenueReason.VENUE_RATE_LIMITED;
  if (isCcxt(e, 'InvalidNonce')) return VenueReason.VENUE_CLOCK_SKEW;
  if (isExpiredRequest(e)) return VenueReason.VENUE_REQUEST_EXPIRED;
  if (isCcxt(e, 'NetworkError') || isCcxt(e, 'OperationFailed')) return null;
  if (isCcxt(e, 'OrderImmediatelyFillable')) return Reason.POST_ONLY_WOULD_TAKE;
  if (isCcxt(e, 'OrderNotFillable')) return VenueReason.VENUE_ORDER_NOT_FILLABLE;
  if (isCcxt(e, 'InsufficientFunds')) return Reason.INSUFFICIENT_BALANCE;
  if (isCcxt(e, 'InvalidOrder')) return VenueReason.VENUE_INVALID_ORDER;
  if (isCcxt(e, 'BadSymbol')) return VenueReason.VENUE_BAD_SYMBOL;
  if (isCcxt(e, 'BadRequest') || isCcxt(e, 'ArgumentsRequired'))
    return VenueReason.VENUE_BAD_REQUEST;
  if (isCcxt(e, 'AuthenticationError')) return VenueReason.VENUE_AUTH_FAILED;
  if (isCcxt(e, 'MarketClosed')) return VenueReason.VENUE_MARKET_CLOSED;
  if (isCcxt(e, 'NotSupported')) return VenueReason.VENUE_NOT_SUPPORTED;
  if (isCcxt(e, 'ExchangeError')) return VenueReason.VENUE_REJECTED;
  return null;
}

/**
 * Sorts a failed `createOrder`. Only a definite refusal rejects the order: the venue said no
 * (invalid order, funds, filters, auth, 429/418, timestamp), or the gate refused before
 * sending. A duplicate client order id means an order with this id is already at the venue, so
 * it is unknown, not rejected. Everything else (timeouts, dropped connections, 5xx, answers ccxt
 * could not read, bugs) leaves the order UNKNOWN: it is never resent, and reconciliation
 * resolves it by client order id.
 *
 * @example
 * const outcome = createOutcome(new ccxt.RequestTimeout('...')); // { kind: 'unknown', reason: 'VENUE_TIMEOUT' }
 */
export function createOutcome(e: unknown): CreateOutcome {
  const text = message(e);
  const local = localRefusal(e);
  if (local) return { kind: 'rejected', reason: local, message: text };
  if (isCcxt(e, 'DuplicateOrderId') || /duplicate order/i.test(text))
    return { kind: 'unknown', reason: VenueReason.DUPLICATE_AT_VENUE, message: text };
  const refused = venueRefusal(e);
  if (refused) return { kind: 'rejected', reason: refused, message: text };
  if (isCcxt(e, 'RequestTimeout'))
    return { kind: 'unknown', reason: VenueReason.VENUE_TIMEOUT, message: text };
  if (isCcxt(e, 'NetworkError'))
    return { kind: 'unknown', reason: VenueReason.VENUE_NETWORK_ERROR, message: text };
  return { kind: 'unknown', reason: VenueReason.VENUE_NO_ANSWER, message: text };
}

/**
 * Sorts a failed `cancelOrder`: `not-found` (already closed or never there: look it up),
 * `refused` with a reason (the cancel did not happen), or `unknown` (no answer: look it up).
 *
 * @example
 * cancelOutcome(new ccxt.OrderNotFound('...')).kind; // 'not-found'
 */
export function cancelOutcome(
  e: unknown,
):
  | { readonly kind: 'not-found' }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'unknown' } {
  if (isCcxt(e, 'OrderNotFound')) return { kind: 'not-found' };
  const local = localRefusal(e);
  if (local) return { kind: 'refused', reason: local };
  const refused = venueRefusal(e);
  if (refused) return { kind: 'refused', reason: refused };
  return { kind: 'unknown' };
}

/**
 * True when a read failed because the order does not exist at the venue.
 *
 * @example
 * if (isOrderNotFound(e)) return null;
 */
export function isOrderNotFound(e: unknown): boolean {
  return isCcxt(e, 'OrderNotFound');
}

/**
 * True for ccxt's timestamp refusal (`InvalidNonce`, Binance -1021): the clock needs measuring.
 *
 * @example
 * if (isClockError(e)) void skew.measure();
 */
export function isClockError(e: unknown): boolean {
  return isCcxt(e, 'InvalidNonce') || isExpiredRequest(e);
}

/**
 * A ccxt error as a `KairosError` the CLI prints on one line: `VENUE_UNAVAILABLE` when the venue
 * did not answer (network, timeout, 5xx, rate limit), else `VENUE_ERROR`. Other errors pass.
 *
 * @example
 * try { await exchange.fetchOHLCV(...) } catch (e) { throw asKairosError(e, 'binance') }
 */
export function asKairosError(e: unknown, venue: string): unknown {
  if (!isCcxt(e, 'BaseError')) return e;
  const code = isCcxt(e, 'NetworkError') ? 'VENUE_UNAVAILABLE' : 'VENUE_ERROR';
  return new KairosError(code, `${venue}: ${message(e)}`, { cause: e });
}

/**
 * A failed read as the state it is: `VenueBusyError` when the venue limits or bans us (429, 418,
 * our budget refused), cannot be reached (network, timeout, 5xx, the breaker open), until
 * `bannedUntil` (the ban the gate recorded) or `now + retryMs`. Other errors (a refusal that
 * says something about the request, a bug) are returned unchanged.
 *
 * @example
 * try { return await read() } catch (e) { throw busyError(e, 'binance', Date.now()) }
 */
export function busyError(
  e: unknown,
  venue: string,
  now: number,
  bannedUntil?: number,
  retryMs = 5_000,
): unknown {
  if (e instanceof VenueBusyError) return e;
  const text = message(e);
  const retryAfter = (e as { retryAfterMs?: unknown }).retryAfterMs;
  // Binance writes the ban's end in the message ("IP banned until 1700000000000").
  const said = /banned until (\d{12,16})/i.exec(text)?.[1];
  const until = (fallback: number) =>
    Math.max(
      bannedUntil ?? 0,
      said !== undefined ? Number(said) : 0,
      typeof retryAfter === 'number' ? now + retryAfter : said !== undefined ? 0 : fallback,
    );
  const banned = /\b418\b|banned/i.test(text);
  if (
    isCcxt(e, 'DDoSProtection') ||
    isCcxt(e, 'RateLimitExceeded') ||
    (e instanceof KairosError && e.code === 'VENUE_RATE_LIMITED')
  ) {
    // The request gate writes its ban's or pause's end on the error (`retryAfterMs`: an untimed
    // 429 backs off from 1 s there); 60 s only for a limit it did not see (no budget).
    const t = until(now + 60_000);
    return new VenueBusyError(
      banned ? 'VENUE_BANNED' : 'VENUE_RATE_LIMITED',
      `${venue}: ${banned ? 'IP banned' : 'rate limited'} until ${new Date(t).toISOString()}`,
      t,
      { cause: e },
    );
  }
  if (
    isCcxt(e, 'NetworkError') ||
    (e instanceof KairosError &&
      (e.code === 'VENUE_CIRCUIT_OPEN' || e.code === 'CACHE_UNAVAILABLE'))
  ) {
    const t = until(now + retryMs);
    return new VenueBusyError('VENUE_UNAVAILABLE', `${venue}: ${text}`, t, { cause: e });
  }
  return e;
}

/**
 * True when the venue refused the key itself (revoked, wrong, no permission: ccxt's
 * `AuthenticationError`/`PermissionDenied`, Binance -2014/-2015): retrying will not help.
 *
 * @example
 * if (isCredentialRefused(e)) disableAccount();
 */
export function isCredentialRefused(e: unknown): boolean {
  return isCcxt(e, 'AuthenticationError') || isCcxt(e, 'PermissionDenied');
}

/**
 * True for Binance's -2015 ("Invalid API-key, IP, or permissions") once the key has worked:
 * ccxt takes it for a temporary ban (`DDoSProtection`), since Binance also answers it then; a
 * key revoked while in use answers the same. The caller decides when it has lasted too long.
 *
 * @example
 * if (maybeKeyRevoked(e) && ++times >= 3) disableAccount();
 */
export function maybeKeyRevoked(e: unknown): boolean {
  return isCcxt(e, 'DDoSProtection') && /"code":\s*-2015\b/.test(message(e));
}
