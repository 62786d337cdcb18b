import type { Logger } from '../../trading/core/logger.js';
import type { Bar } from '../../trading/data/market-data.js';
import type { SymbolSpecInput } from './symbol-spec.js';

/**
 * What every simulated venue over a replayed market takes (Binance's and OKX's options extend
 * it): where it listens, the market it replays, its fees and how its matcher fills.
 */
export interface ReplayVenueOptions {
  /** TCP port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** The market to replay: a candle file (read with the project's readers) or bars. */
  readonly data: string | readonly Bar[];
  /** Starting balances (default 10 base, 100000 quote); an account's own win. */
  readonly balances?: Readonly<Record<string, string>>;
  /** Fee rates (default 0.001 each); in the asset received unless the venue says otherwise. */
  readonly makerFee?: string;
  readonly takerFee?: string;
  /** Largest fraction of a replayed trade's size resting orders take (default 1). */
  readonly maxVolumeFraction?: number;
  /** Each fill is made of up to this many trades, one ms apart (default 1; `SpotMatcher`). */
  readonly tradesPerFill?: number;
  /** Ms between those trades (default 1; 0: all in one millisecond, `SpotMatcher`). */
  readonly tradesApartMs?: number;
  /** The server's clock: its time answers, the signature window, rate-limit windows and bans. */
  readonly clock?: { now(): number };
  /** Bars revealed before the venue opens (default 0). */
  readonly preloadBars?: number;
  /** Exchange filters; the tick defaults to the finest price step in the file. */
  readonly filters?: Omit<SymbolSpecInput, 'symbol'>;
  /** One line per request at `debug`, refusals at `info` (the venue names its component). */
  readonly logger?: Logger;
}
