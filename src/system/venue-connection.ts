import type { ClockSkew } from '../trading/venues/ccxt/clock-skew.js';
import {
  createExchange,
  type BuiltExchange,
  type ExchangeConfig,
} from '../trading/venues/ccxt/exchange-factory.js';
import type { VenueSetting } from './venue-settings.js';

export type { VenueSetting } from './venue-settings.js';

/** A venue key: what `createExchange` takes of it. */
export type VenueKeys = Pick<ExchangeConfig, 'apiKey' | 'secret' | 'password'>;

/** A live account's own connection: REST for orders and queries, WebSocket for its fills. */
export interface PrivateConnection {
  readonly rest: BuiltExchange;
  readonly stream: BuiltExchange['exchange'];
  /** How long its circuit breaker stays open, ms (the venue's `circuitHalfOpenMs`); absent: 30 s. */
  readonly circuitHalfOpenMs?: number;
  close(): Promise<void>;
}

/**
 * How to build a ccxt client of `s` with `keys`, taking weight from `budget`: the one place a
 * venue setting becomes ccxt options.
 *
 * @example
 * const { exchange } = await createExchange(venueExchangeConfig(setting, keys, budget));
 */
export function venueExchangeConfig(
  s: VenueSetting,
  keys: VenueKeys,
  budget?: ExchangeConfig['budget'],
): ExchangeConfig {
  return {
    exchangeId: s.id,
    ...(keys.apiKey === undefined ? {} : { apiKey: keys.apiKey }),
    ...(keys.secret === undefined ? {} : { secret: keys.secret }),
    ...(keys.password === undefined ? {} : { password: keys.password }),
    ...(s.url === undefined ? {} : { exchangeUrl: s.url }),
    ...(s.rateLimitMs === undefined ? {} : { rateLimitMs: s.rateLimitMs }),
    ...(s.sandbox ? { sandbox: true } : {}),
    ...(budget === undefined ? {} : { budget }),
  };
}

/**
 * A key's private connection to `s`: its REST client (`rest`, when the caller built it already:
 * `kairos live` trades on its feed's) and a ccxt.pro client for its private streams, both
 * stamped in the venue's time as `skew` measures it (signed WebSocket logins and subscriptions
 * too: Binance's `userDataStream.subscribe.signature`). Closing it closes what it built.
 *
 * @example
 * const conn = await openPrivateConnection(setting, keys, budget, skew);
 */
export async function openPrivateConnection(
  s: VenueSetting,
  keys: VenueKeys,
  budget: ExchangeConfig['budget'],
  skew: Pick<ClockSkew, 'follow'>,
  rest?: BuiltExchange,
): Promise<PrivateConnection> {
  const config = venueExchangeConfig(s, keys, budget);
  const owned = rest === undefined;
  const r = rest ?? (await createExchange(config));
  const { exchange: stream } = await createExchange({ ...config, pro: true });
  const unfollow = [skew.follow(r.exchange), skew.follow(stream)];
  return {
    rest: r,
    stream,
    ...(s.circuitHalfOpenMs === undefined ? {} : { circuitHalfOpenMs: s.circuitHalfOpenMs }),
    close: async () => {
      unfollow.forEach((off) => off());
      await stream.close();
      if (owned) await r.exchange.close();
    },
  };
}
