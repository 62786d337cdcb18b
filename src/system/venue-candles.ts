import { CandleRepository } from '../store/candle-repository.js';
import type { Store } from '../store/open-store.js';
import { KairosError } from '../trading/core/errors.js';
import type { Bar } from '../trading/data/market-data.js';
import type { ServerVenues } from './server-venues.js';

const MINUTE = 60_000;

/**
 * `GET /candles?venue=…&instrumentId=…` (`docs/api.md`): the last `limit` closed 1m bars of any
 * symbol a server's venue lists, backfilled from the venue (`fetchOHLCV`) into the store's
 * `candles` table (keyed `<venue>:<symbol>`, so a venue's BTC/USDT never mixes with the replay's
 * or another venue's) and answered from the store, so a venue that does not answer still leaves
 * what was fetched before. A venue or symbol the server does not have: `VENUE_NOT_CONFIGURED` or
 * `UNKNOWN_INSTRUMENT`, each naming it.
 *
 * @example
 * const bars = await venueCandles(venues, store.db, 'binance', 'BTC/USDT', 100);
 */
export async function venueCandles(
  venues: Pick<ServerVenues, 'recentBars'>,
  db: Store['db'],
  venue: string,
  symbol: string,
  limit: number,
): Promise<Bar[]> {
  const key = `${venue}:${symbol}`;
  const store = new CandleRepository(db);
  try {
    const fetched = await venues.recentBars(venue, symbol, limit);
    await store.upsert(fetched.map((b) => ({ ...b, instrumentId: key })));
  } catch (e) {
    // Bad input is the caller's; a venue that does not answer leaves the stored bars.
    if (
      e instanceof KairosError &&
      (e.code === 'VENUE_NOT_CONFIGURED' || e.code === 'UNKNOWN_INSTRUMENT')
    )
      throw e;
  }
  const stored = await store.latest(key, MINUTE, limit);
  return stored.map((b) => ({ ...b, instrumentId: symbol }));
}
