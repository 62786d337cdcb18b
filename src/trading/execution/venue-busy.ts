import { KairosError } from '../core/errors.js';

/**
 * A venue query that could not be asked now: the venue limits our requests (429, or our own
 * budget ran out), bans us (418), or cannot be reached. Nothing about the venue's state is known
 * from it; ask again after `untilMs` (venue time, ms). A running node waits it out: reads are
 * deferred and trading pauses (DESIGN.md invariant 12).
 *
 * @example
 * throw new VenueBusyError('VENUE_RATE_LIMITED', 'binance: HTTP 429 until ...', venueNow + 30_000);
 */
export class VenueBusyError extends KairosError {
  constructor(
    code: 'VENUE_RATE_LIMITED' | 'VENUE_BANNED' | 'VENUE_UNAVAILABLE',
    message: string,
    readonly untilMs: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'VenueBusyError';
  }
}

/** Whether `e` is a {@link VenueBusyError} (also across module copies). */
export function isVenueBusy(e: unknown): e is VenueBusyError {
  return e instanceof Error && e.name === 'VenueBusyError' && 'untilMs' in e;
}
