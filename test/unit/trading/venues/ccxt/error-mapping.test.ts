import ccxt, { errors } from 'ccxt';
import { KairosError } from '../../../../../src/trading/core/errors.js';
import {
  isCredentialRefused,
  maybeKeyRevoked,
  asKairosError,
  cancelOutcome,
  createOutcome,
  isCcxt,
  type CcxtErrorName,
} from '../../../../../src/trading/venues/ccxt/error-mapping.js';
import { VenueRateLimitedError } from '../../../../../src/trading/venues/ccxt/request-gate.js';

describe('createOutcome', () => {
  it.each([
    [new ccxt.RequestTimeout('timed out'), 'unknown', 'VENUE_TIMEOUT'],
    [new ccxt.NetworkError('ECONNRESET'), 'unknown', 'VENUE_NETWORK_ERROR'],
    [new ccxt.ExchangeNotAvailable('503'), 'unknown', 'VENUE_NETWORK_ERROR'],
    [new ccxt.BadResponse('garbled'), 'unknown', 'VENUE_NO_ANSWER'],
    [new TypeError('a bug'), 'unknown', 'VENUE_NO_ANSWER'],
    [new ccxt.InvalidOrder('-2010 Duplicate order sent.'), 'unknown', 'DUPLICATE_AT_VENUE'],
    [new ccxt.DuplicateOrderId('dup'), 'unknown', 'DUPLICATE_AT_VENUE'],
    [new ccxt.InsufficientFunds('-2010'), 'rejected', 'INSUFFICIENT_BALANCE'],
    [new ccxt.OrderImmediatelyFillable('would take'), 'rejected', 'POST_ONLY_WOULD_TAKE'],
    [new ccxt.InvalidOrder('-1013 LOT_SIZE'), 'rejected', 'VENUE_INVALID_ORDER'],
    [new ccxt.BadSymbol('no market'), 'rejected', 'VENUE_BAD_SYMBOL'],
    [new ccxt.BadRequest('-1100'), 'rejected', 'VENUE_BAD_REQUEST'],
    [new ccxt.AuthenticationError('-2015'), 'rejected', 'VENUE_AUTH_FAILED'],
    [new ccxt.InvalidNonce('-1021'), 'rejected', 'VENUE_CLOCK_SKEW'],
    [new ccxt.RateLimitExceeded('429'), 'rejected', 'VENUE_RATE_LIMITED'],
    [new ccxt.DDoSProtection('418'), 'rejected', 'VENUE_RATE_LIMITED'],
    [new VenueRateLimitedError('banned', 1000), 'rejected', 'VENUE_RATE_LIMITED'],
    [new KairosError('VENUE_CIRCUIT_OPEN', 'open'), 'rejected', 'VENUE_CIRCUIT_OPEN'],
    [new KairosError('CACHE_UNAVAILABLE', 'redis'), 'rejected', 'RATE_LIMITER_UNAVAILABLE'],
    [new ccxt.ExchangeError('-9999 something'), 'rejected', 'VENUE_REJECTED'],
    [
      new ccxt.ExchangeError(
        'okx {"code":"50036","msg":"The expTime can\'t be earlier than the current system time.","data":[]}',
      ),
      'rejected',
      'VENUE_REQUEST_EXPIRED',
    ],
    [
      new ccxt.ExchangeError('okx {"code":"1","data":[{"sCode":"50037","sMsg":"Order expired."}]}'),
      'rejected',
      'VENUE_REQUEST_EXPIRED',
    ],
    [new ccxt.ExchangeError('kraken {"code":"50036"}'), 'rejected', 'VENUE_REJECTED'],
  ])('%s → %s %s', (error, kind, reason) => {
    expect(createOutcome(error)).toMatchObject({ kind, reason });
  });
});

describe('cancelOutcome and asKairosError', () => {
  it('sorts cancel failures', () => {
    expect(cancelOutcome(new ccxt.OrderNotFound('-2011'))).toEqual({ kind: 'not-found' });
    expect(cancelOutcome(new ccxt.RequestTimeout('t'))).toEqual({ kind: 'unknown' });
    expect(cancelOutcome(new ccxt.DDoSProtection('418'))).toEqual({
      kind: 'refused',
      reason: 'VENUE_RATE_LIMITED',
    });
  });

  it('wraps ccxt errors with a stable code for the CLI', () => {
    expect(asKairosError(new ccxt.RequestTimeout('slow'), 'binance')).toMatchObject({
      code: 'VENUE_UNAVAILABLE',
      message: 'binance: slow',
    });
    expect(asKairosError(new ccxt.BadSymbol('x'), 'binance')).toMatchObject({
      code: 'VENUE_ERROR',
    });
    const other = new Error('plain');
    expect(asKairosError(other, 'binance')).toBe(other);
  });
});

describe('isCredentialRefused and maybeKeyRevoked', () => {
  it('a key the venue refuses outright is refused; -2015 after a working key only maybe', () => {
    const body = 'binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}';
    expect(isCredentialRefused(new ccxt.AuthenticationError(body))).toBe(true);
    expect(isCredentialRefused(new ccxt.PermissionDenied('binance {"code":-2015}'))).toBe(true);
    expect(isCredentialRefused(new ccxt.DDoSProtection(body))).toBe(false);
    expect(maybeKeyRevoked(new ccxt.DDoSProtection(body))).toBe(true);
    // A plain ban, a timeout, another code: neither.
    for (const e of [
      new ccxt.DDoSProtection('binance {"code":-1003,"msg":"Way too many requests"}'),
      new ccxt.RequestTimeout('binance GET /api/v3/account timed out'),
      new ccxt.ExchangeError(body),
      new Error(body),
    ]) {
      expect(isCredentialRefused(e)).toBe(false);
      expect(maybeKeyRevoked(e)).toBe(false);
    }
  });
});

describe('isCcxt', () => {
  // Every name error-mapping asks about.
  const names: CcxtErrorName[] = [
    'BaseError',
    'ExchangeError',
    'AuthenticationError',
    'PermissionDenied',
    'ArgumentsRequired',
    'BadRequest',
    'BadSymbol',
    'InsufficientFunds',
    'InvalidOrder',
    'OrderNotFound',
    'OrderImmediatelyFillable',
    'OrderNotFillable',
    'DuplicateOrderId',
    'MarketClosed',
    'NotSupported',
    'OperationFailed',
    'NetworkError',
    'DDoSProtection',
    'RateLimitExceeded',
    'RequestTimeout',
    'InvalidNonce',
  ];
  type ErrorClass = new (message: string) => Error;
  const classes = errors as unknown as Record<string, ErrorClass>;

  it('answers as instanceof would, for every ccxt error class and every name asked', () => {
    expect(Object.keys(classes).length).toBeGreaterThan(30);
    for (const [made, Cls] of Object.entries(classes).filter(([, c]) => typeof c === 'function')) {
      const e = new Cls('x');
      for (const name of names)
        expect([made, name, isCcxt(e, name)]).toEqual([made, name, e instanceof classes[name]!]);
    }
  });

  it("an error of the same name that is not ccxt's is not a ccxt error", () => {
    // (ccxt's hierarchy is known by its names: a chain ending BaseError → Error.)
    class NetworkError extends Error {}
    class RequestTimeout extends NetworkError {}
    const e1 = new RequestTimeout('x');
    for (const e of [new NetworkError('x'), e1, new Error('x'), null, 'NetworkError'])
      for (const name of names) expect(isCcxt(e, name)).toBe(false);
    expect(isCcxt(Object.create(ccxt.NetworkError.prototype), 'NetworkError')).toBe(true);
  });
});
