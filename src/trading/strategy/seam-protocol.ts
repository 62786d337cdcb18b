import type { Bar, TradeTick } from '../data/market-data.js';
import type { OrderEventJson, OrderJson } from '../model/order-json.js';
import type { StrategyPhase } from './strategy-error.js';
import type { StrategyOutput, StrategySnapshotJson, StrategyStart } from './strategy-seam.js';

/**
 * What the host knows that a strategy reads, sent with every call that runs a handler: the
 * host's time, the strategy's own position (its lots, so the average price is exact), cash per
 * currency (the instrument's base and quote) and its orders (open ones, and the one an order
 * event is about). Decimals are strings.
 */
export interface StrategyView {
  readonly ts: number;
  readonly position: {
    readonly quantity: string;
    readonly lots: readonly { readonly quantity: string; readonly price: string }[];
    readonly realizedPnl: string;
    readonly fees: string;
    readonly openedAt: number | null;
  };
  readonly cash: Readonly<Record<string, string>>;
  readonly orders: readonly OrderJson[];
}

/** A message from the host to the strategy side (sent as JSON text). */
export type SeamRequest =
  | {
      readonly kind: 'start';
      readonly start: StrategyStart;
      /** The account the strategy's orders trade on (stamped on the orders it sees). */
      readonly accountId: string;
      readonly view: StrategyView;
    }
  | { readonly kind: 'bar'; readonly bar: Bar; readonly view: StrategyView }
  | { readonly kind: 'trade'; readonly tick: TradeTick; readonly view: StrategyView }
  | { readonly kind: 'warm'; readonly bar: Bar }
  | { readonly kind: 'warmTrade'; readonly tick: TradeTick }
  | { readonly kind: 'orderEvent'; readonly event: OrderEventJson; readonly view: StrategyView }
  | { readonly kind: 'snapshot' }
  | { readonly kind: 'stop'; readonly view: StrategyView };

/** A handler's throw, as data: enough to rebuild the `StrategyError` on the host. */
export interface SeamErrorJson {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly strategy: string | null;
  readonly phase: StrategyPhase | null;
  readonly barIndex: number | null;
  readonly ts: number | null;
}

/** The strategy side's answer (sent as JSON text). */
export type SeamReply =
  | {
      readonly ok: true;
      readonly output: Omit<StrategyOutput, 'events'>;
      readonly ordersMade: number;
      readonly snapshot: StrategySnapshotJson | null;
    }
  | { readonly ok: false; readonly error: SeamErrorJson };

/**
 * Carries one request's text to the strategy side and resolves with its reply's text: the only
 * thing that crosses (in-process, a worker's message port, a Lambda invocation).
 */
export type StrategyTransport = (request: string) => Promise<string>;
