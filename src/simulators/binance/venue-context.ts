import type { Decimal } from '../../trading/core/decimal.js';
import type { Account } from './account.js';
import type { Faults } from './faults.js';
import type { ReplayMarket } from './market.js';
import type { SpotMatcher } from './matching.js';
import type { RestParams } from './rest-params.js';
import type { SymbolSpec } from './symbol-spec.js';
import type { UserDataStream } from './user-data-stream.js';

/** Everything a REST route works with. */
export interface VenueContext {
  readonly spec: SymbolSpec;
  /** Symbols it lists and does not trade (`exchangeInfo` only). */
  readonly listed: readonly SymbolSpec[];
  readonly market: ReplayMarket;
  readonly matcher: SpotMatcher;
  readonly account: Account;
  readonly userData: UserDataStream;
  readonly faults: Faults;
  readonly fees: { readonly maker: Decimal; readonly taker: Decimal };
  readonly weightPerMinute: number;
  /** The window `weightPerMinute` counts in, ms (Binance's minute unless configured). */
  readonly weightWindowMs: number;
  /** The `ORDERS` limit per 10 s it advertises. */
  readonly ordersPer10s: number;
  /** Server (wall) clock: serverTime and the timestamp window. */
  readonly serverNow: () => number;
}

/** Who may call a route: anyone, holders of the API key, or signed requests only. */
export type Security = 'NONE' | 'API_KEY' | 'SIGNED';

/** One REST endpoint. */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly security: Security;
  /** Request weight (Binance's), possibly depending on the parameters. */
  readonly weight: number | ((p: RestParams) => number);
  /** True for order creation: the answer may be dropped (fault) after the order is booked. */
  readonly createsOrder?: boolean;
  readonly handle: (p: RestParams, ctx: VenueContext) => unknown;
}
