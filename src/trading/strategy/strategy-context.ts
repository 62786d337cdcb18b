import type { Decimal, DecimalInput } from '../core/decimal.js';
import type { Bar } from '../data/market-data.js';
import type { OrderRequest } from '../execution/order-request.js';
import type { Instrument } from '../model/instrument.js';
import type { Order } from '../model/order.js';
import type { ParamSpecs, ParamValues } from './params.js';

/** Strategy state: plain JSON, so it can be snapshotted and restored. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** A strategy's view of its position. Quantities and money are exact decimals. */
export interface PositionView {
  /** Signed: > 0 long, < 0 short, 0 flat. */
  readonly quantity: Decimal;
  readonly isFlat: boolean;
  readonly isLong: boolean;
  readonly isShort: boolean;
  /** Average entry price of the open lots, or null when flat. */
  readonly averagePrice: Decimal | null;
  /** Realized PnL before fees. */
  readonly realizedPnl: Decimal;
}

/** The outcome of a submit: the order's id and whether the risk gate let it through. */
export interface OrderTicket {
  readonly clientOrderId: string;
  /** False when the order was denied; `reason` then holds the stable code. */
  readonly accepted: boolean;
  readonly reason: string | null;
}

/** Options of `buy`/`sell`: everything of an order request but side and quantity. */
export type TradeOptions = Omit<OrderRequest, 'side' | 'quantity'>;

/**
 * Everything a strategy sees and does. The same context backs backtest, paper, live and Lambda,
 * so a strategy that uses only this runs the same everywhere. Data is only what has happened up
 * to `now()`.
 *
 * @example
 * onBar(ctx, bar) {
 *   if (ctx.position().isFlat && bar.close > ctx.indicators.slow.value!) ctx.buy(ctx.params.size);
 * }
 */
export interface StrategyContext<P extends ParamSpecs, S extends JsonObject, I> {
  /** The strategy's id (the prefix of its client order ids). */
  readonly strategyId: string;
  /** Resolved parameters. */
  readonly params: ParamValues<P>;
  /** Plain-JSON state, returned by `init`; mutate it freely. */
  state: S;
  /** Indicators declared by the strategy, updated by the engine before each handler. */
  readonly indicators: I;
  /** The strategy's instrument and its rules. */
  readonly instrument: Instrument;
  /** The current time, ms since the epoch (simulated in a backtest). */
  now(): number;
  /** A seeded random number in [0, 1): the same seed gives the same backtest. */
  random(): number;
  /**
   * The last `count` bars, oldest first, up to and including the current one, from the bars the
   * strategy keeps (`history`): a fraction is rounded down, 0 or less gives none, `Infinity`
   * every kept bar; NaN throws a `RangeError`.
   */
  bars(count: number): readonly Bar[];
  /** The last trade or close price seen, or null. */
  lastPrice(): number | null;
  /** The strategy's position in its instrument (or another one). */
  position(instrumentId?: string): PositionView;
  /** Cash in the instrument's quote currency (or another currency), before open orders. */
  cash(currency?: string): Decimal;
  /** The strategy's open orders. */
  openOrders(): readonly Order[];
  /**
   * One of the strategy's orders: an open one, or one closed (its last event, `updatedAt`) less
   * than `closedOrderRetentionMs` ago (10 minutes by default) on the mode's clock; older ones read
   * `undefined`. The same in every mode (a backtest hides them too, though its report lists every
   * order; in paper and live the OMS has released them), in-process and behind a Lambda function:
   * `docs/decisions/strategy-order-window.md`. Keep what you need of an order in the state, from
   * `onOrderEvent`.
   *
   * @example
   * const o = ctx.order(ctx.state.entryId); if (o?.status === 'FILLED') ctx.state.entered = true;
   */
  order(clientOrderId: string): Order | undefined;
  /** Submits an order; it is snapped to the grid and passes the risk gate. */
  submit(request: OrderRequest): OrderTicket;
  /** A market buy (or a limit/stop when `options` say so). */
  buy(quantity: DecimalInput, options?: TradeOptions): OrderTicket;
  /** A market sell (or a limit/stop when `options` say so). */
  sell(quantity: DecimalInput, options?: TradeOptions): OrderTicket;
  /** Asks to cancel one open order. */
  cancel(clientOrderId: string): void;
  /** Asks to cancel every open order of the strategy. */
  cancelAll(): void;
  /** Writes a line to the run's log. */
  log(message: string): void;
}
