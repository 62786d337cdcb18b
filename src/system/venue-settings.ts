import type { ExchangeSettings } from './config.js';

/**
 * One ccxt venue as `kairos live` and `kairos serve` both take it (`--exchange-url` over
 * `EXCHANGE_URL`, `EXCHANGE_RATE_LIMIT_MS`, `EXCHANGE_CIRCUIT_HALF_OPEN_MS`, `EXCHANGE_SANDBOX`): `venueSettings` reads
 * it, `venueExchangeConfig` and `openPrivateConnection` build its ccxt clients, the same on both
 * paths (`docs/venues.md`, "One venue, two paths").
 */
export interface VenueSetting {
  /** A ccxt exchange id, e.g. `binance`. */
  readonly id: string;
  /** Another REST + WebSocket base URL (`--exchange-url`, `EXCHANGE_URL`): a simulator, a sandbox. */
  readonly url?: string;
  /** ccxt's spacing of requests, ms per unit of cost (`EXCHANGE_RATE_LIMIT_MS`); absent: the venue's. */
  readonly rateLimitMs?: number;
  /** How long the circuit breaker of an account's connection stays open, ms (`EXCHANGE_CIRCUIT_HALF_OPEN_MS`); absent: 30 s. */
  readonly circuitHalfOpenMs?: number;
  /** The venue's own sandbox or testnet (`EXCHANGE_SANDBOX=1`, ccxt's `setSandboxMode`). */
  readonly sandbox?: true;
  /**
   * Only these symbols are traded there (`kairos serve --venue-symbol`): a restriction. Absent: any
   * market the venue lists, taken on demand (`docs/decisions/accounts.md`, "Instruments on demand").
   */
  readonly symbols?: readonly string[];
}

/**
 * The settings of the venues `ids` from `EXCHANGE_*` and the `--exchange-url` flag (the flag
 * wins), restricted to `symbols` when some are given.
 *
 * @example
 * venueSettings(['binance'], config.exchange, flags.exchangeUrl); // [{ id: 'binance', url: … }]
 */
export function venueSettings(
  ids: readonly string[],
  exchange: Pick<ExchangeSettings, 'url' | 'rateLimitMs' | 'circuitHalfOpenMs' | 'sandbox'>,
  urlFlag?: string,
  symbols: readonly string[] = [],
): VenueSetting[] {
  const url = urlFlag ?? exchange.url;
  const { rateLimitMs, circuitHalfOpenMs } = exchange;
  return ids.map((id) => ({
    id,
    ...(url === undefined ? {} : { url }),
    ...(rateLimitMs === undefined ? {} : { rateLimitMs }),
    ...(circuitHalfOpenMs === undefined ? {} : { circuitHalfOpenMs }),
    ...(exchange.sandbox ? { sandbox: true as const } : {}),
    ...(symbols.length > 0 ? { symbols } : {}),
  }));
}
