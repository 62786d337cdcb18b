import type { PaperVenue } from '../../src/trading/venues/paper/paper-venue.js';
import { bar, instrument, submittedOrder } from './builders.js';

/** The instrument and options of the venues `venueOp` drives. */
export const VENUE_INSTRUMENT = instrument();
export const VENUE_OPTIONS = { venue: 'PAPER', instruments: [VENUE_INSTRUMENT] };

/**
 * Op `i` of a fixed mix on a paper venue: resting and crossing limit orders, market orders,
 * cancels and bars (every 10th), so its state holds working orders, reports and trades. The
 * same `i` is always the same op: runs of it compare state for state.
 */
export function venueOp(venue: PaperVenue, i: number): void {
  if (i % 10 === 0) {
    const p = 100 + (i % 7) - 3;
    venue.onBar(bar(p, p + 1, p - 1, p, i * 60_000));
  } else if (i % 13 === 0) venue.cancel(`o-${i - 6}`, i);
  else {
    const limit = i % 3 !== 0;
    const order = submittedOrder(
      {
        instrumentId: VENUE_INSTRUMENT.id,
        side: i % 2 === 0 ? 'BUY' : 'SELL',
        type: limit ? 'LIMIT' : 'MARKET',
        ...(limit ? { price: String(95 + (i % 11)) as never } : {}),
        // Quotes, backslashes and non-ASCII: snapshots are compared byte for byte.
        tag: `t"\\é${i}`,
      },
      `o-${i}`,
    );
    venue.submit(order, i);
  }
}
