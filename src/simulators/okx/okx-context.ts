import type { Decimal } from '../../trading/core/decimal.js';
import type { Account } from '../binance/account.js';
import type { ReplayMarket } from '../binance/market.js';
import type { SpotMatcher } from '../binance/matching.js';
import type { SymbolSpec } from '../binance/symbol-spec.js';
import type { OkxParams } from './okx-params.js';
import type { OkxCredentials } from './signature.js';

/** One account at the simulated OKX: its credentials, balances and matcher. */
export interface OkxAccount extends OkxCredentials {
  readonly account: Account;
  readonly matcher: SpotMatcher;
}

/** What a route reads: the instrument, the replay, the calling account (private routes). */
export interface OkxContext {
  readonly spec: SymbolSpec;
  readonly market: ReplayMarket;
  readonly fees: { readonly maker: Decimal; readonly taker: Decimal };
  /** The caller's account; only on private routes. */
  readonly caller: OkxAccount | null;
  readonly serverNow: () => number;
}

/** An `/api/v5` endpoint. `data` is what goes in the `{ code: "0", msg: "", data }` envelope. */
export interface OkxRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly private: boolean;
  /**
   * OKX's documented limit of this endpoint and method: `limit` requests per `windowMs` (per
   * account on private routes, else per IP; orders on `batch` routes); `rate-limits.ts` says what
   * each costs. The window is 2 s for the trading and market endpoints, 1 s for some others
   * (`asset/currencies`: 6 per second).
   */
  readonly limit: number;
  readonly windowMs: 1_000 | 2_000;
  /** The limit's rule is "User ID + Instrument ID": a window per `instId` too. */
  readonly perInstrument?: boolean;
  /** A place request: honours the `expTime` header, and can be held in flight (`InFlightOrders`). */
  readonly expiring?: boolean;
  /** The POST body is an array of objects (batch endpoints). */
  readonly batch?: boolean;
  handle(p: OkxParams[], ctx: OkxContext): OkxAnswer;
}

/** A route's answer: its data rows, and for a batch with refused items code `1` (OKX's). */
export interface OkxAnswer {
  readonly data: unknown[];
  readonly code?: string;
  readonly msg?: string;
}
