import { KairosError } from '../trading/core/errors.js';
import type { Instrument } from '../trading/model/instrument.js';
import { marketChannel, type MarketChannel } from './ws-channels.js';
import type { VenueMarketStreams } from './ws-gateway-options.js';

/** An instrument a client names: the replay's (`venue` null) or a venue's symbol. */
export interface InstrumentKey {
  readonly key: string;
  readonly venue: string | null;
  readonly symbol: string;
}

/**
 * Reads an instrument a client names: the replay's id, or `<venue>:<symbol>` of one of the
 * server's venues listing it; a `KairosError` naming it otherwise.
 */
export function instrumentKey(
  kind: MarketChannel,
  key: string,
  instruments: readonly Instrument[],
  market: VenueMarketStreams | undefined,
): InstrumentKey {
  if (kind === 'bars' && instruments.some((i) => i.id === key))
    return { key, venue: null, symbol: key };
  const colon = key.indexOf(':');
  if (colon <= 0) {
    const replay = instruments.map((i) => i.id).join(', ');
    throw new KairosError(
      'UNKNOWN_INSTRUMENT',
      kind === 'bars'
        ? `no instrument ${key} on this server (the replay's: ${replay}; a venue's: <venue>:<symbol>)`
        : `no instrument ${key} with ${kind} on this server (a venue's symbol: <venue>:<symbol>; the replay has bars only)`,
    );
  }
  const venue = key.slice(0, colon);
  const symbol = key.slice(colon + 1);
  if (!market)
    throw new KairosError(
      'VENUE_NOT_CONFIGURED',
      `this server has no venue "${venue}" (it has: none; start it with --venue)`,
    );
  market.check(venue, symbol);
  return { key, venue, symbol };
}

/**
 * The log channel of an instrument an `unsubscribe` names, unchecked: the replay's id (or a
 * name without a venue) as it is, else `<venue>:<symbol>`.
 */
export function namedChannel(
  kind: MarketChannel,
  name: string,
  instruments: readonly Instrument[],
): string {
  const colon = name.indexOf(':');
  return instruments.some((i) => i.id === name) || colon <= 0
    ? marketChannel(kind, null, name)
    : marketChannel(kind, name.slice(0, colon), name.slice(colon + 1));
}
