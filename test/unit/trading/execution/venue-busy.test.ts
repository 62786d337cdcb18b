import { KairosError } from '../../../../src/trading/core/errors.js';
import { isVenueBusy, VenueBusyError } from '../../../../src/trading/execution/venue-busy.js';

describe('recognising a venue that cannot be asked now', () => {
  it('a rate-limit error carries its code, when to ask again and its cause', () => {
    const cause = new Error('HTTP 429');
    const e = new VenueBusyError('VENUE_RATE_LIMITED', 'binance: HTTP 429', 1_030_000, { cause });
    expect(e).toBeInstanceOf(KairosError);
    expect(e.name).toBe('VenueBusyError');
    expect(e.code).toBe('VENUE_RATE_LIMITED');
    expect(e.message).toBe('binance: HTTP 429');
    expect(e.untilMs).toBe(1_030_000);
    expect(e.cause).toBe(cause);
    expect(isVenueBusy(e)).toBe(true);
  });

  it('is recognised across module copies by name and untilMs, not by class', () => {
    const copy = Object.assign(new Error('banned'), { name: 'VenueBusyError', untilMs: 5 });
    expect(isVenueBusy(copy)).toBe(true);
  });

  it('other errors are not a busy venue (so they are not waited out)', () => {
    expect(isVenueBusy(new KairosError('ORDER_REJECTED', 'no'))).toBe(false);
    expect(isVenueBusy(new Error('VenueBusyError'))).toBe(false);
    expect(isVenueBusy(Object.assign(new Error('x'), { name: 'VenueBusyError' }))).toBe(false);
    expect(isVenueBusy(Object.assign(new Error('x'), { untilMs: 5 }))).toBe(false);
    expect(isVenueBusy({ name: 'VenueBusyError', untilMs: 5 })).toBe(false);
    expect(isVenueBusy(undefined)).toBe(false);
  });
});
