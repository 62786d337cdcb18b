import type { Bar } from '../trading/data/market-data.js';
import type { Instrument } from '../trading/model/instrument.js';
import { venueNotConfigured } from './server-venues.js';

/** A venue's public market data, as paper accounts on it use it (`ServerVenues`). */
export interface VenueMarket {
  names(): string[];
  /** `VENUE_NOT_CONFIGURED` for a venue the server does not have. */
  instruments(venue: string): readonly Instrument[];
  /** The venue's instrument of `symbol`, its rules now (`UNKNOWN_INSTRUMENT` naming both). */
  instrument(venue: string, symbol: string): Instrument;
  /** The last `limit` closed 1m bars of `symbol` (the venue's REST), oldest first. */
  recentBars(venue: string, symbol: string, limit: number): Promise<Bar[]>;
  /**
   * Throws why a venue takes no request yet (its markets not loaded since start: a ban,
   * `VENUE_RATE_LIMITED` with its end; no answer, `VENUE_UNAVAILABLE`); nothing once it is ready.
   */
  ensureReady(venue: string): void;
  /** Whether a venue's markets are loaded (`onMarkets` is told when they come). */
  ready(venue: string): boolean;
  /** `listener` after each markets refresh of a venue, and when a venue not ready at start is; answers the stop. */
  onMarkets(listener: (venue: string) => void): () => void;
  /** Closed bars of `symbol` to `listener` from now on; answers the unsubscribe. */
  watchBars(venue: string, symbol: string, listener: (bar: Bar) => void): Promise<() => void>;
}

/**
 * The instruments of an account on `venue`: the replayed one on the paper venue (`paper`), else
 * the venue's (`VENUE_NOT_CONFIGURED`, naming it, for a venue the server does not have;
 * `ensureReady`'s refusal for one not ready).
 */
export function venueInstruments(
  paper: { readonly venue: string; readonly instrument: Instrument },
  market: VenueMarket | null | undefined,
  venue: string,
): readonly Instrument[] {
  if (venue === paper.venue) return [paper.instrument];
  if (!market?.names().includes(venue))
    throw venueNotConfigured(venue, [paper.venue, ...(market?.names() ?? [])]);
  market.ensureReady(venue);
  return market.instruments(venue);
}
