import { venueErrorKind } from '../../../../src/scalability/resilience/venue-error-kind.js';

// ccxt's hierarchy, by name: OnMaintenance < ExchangeNotAvailable < NetworkError.
class NetworkError extends Error {}
class ExchangeNotAvailable extends NetworkError {}
class OnMaintenance extends ExchangeNotAvailable {}
class DDoSProtection extends NetworkError {}
class InsufficientFunds extends Error {}

describe('venueErrorKind', () => {
  it('sorts errors by their class names and socket codes', () => {
    expect(venueErrorKind(new OnMaintenance('down'))).toBe('transient');
    expect(venueErrorKind(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))).toBe('transient');
    expect(venueErrorKind(new DDoSProtection('418'))).toBe('rate-limited');
    expect(venueErrorKind(Object.assign(new Error('x'), { name: 'RateLimitExceeded' }))).toBe(
      'rate-limited',
    );
    expect(venueErrorKind(new InsufficientFunds('poor'))).toBe('permanent');
    expect(venueErrorKind(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('permanent');
    expect(venueErrorKind('a string')).toBe('permanent');
  });
});
