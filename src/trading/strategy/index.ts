/**
 * The Kairos Strategy SDK: everything a strategy file imports.
 *
 * @example
 * import { defineStrategy, param, sma } from 'kairos/sdk';
 */
export { defineStrategy, isStrategyDefinition } from './define-strategy.js';
export type { IndicatorSet, StrategyDefinition, StrategySpec } from './define-strategy.js';
export { param, resolveParams, parseParamList } from './params.js';
export { crossOf, type Cross } from './cross.js';
export type { ParamSpec, ParamSpecs, ParamValues } from './params.js';
export type {
  JsonObject,
  JsonValue,
  OrderTicket,
  PositionView,
  StrategyContext,
  TradeOptions,
} from './strategy-context.js';
export * from './indicators/index.js';
export type { Bar, TradeTick } from '../data/market-data.js';
export type { OrderRequest } from '../execution/order-request.js';
export type { Order } from '../model/order.js';
export type { OrderEvent } from '../model/order-events.js';
export type { Instrument } from '../model/instrument.js';
export { Dec } from '../core/decimal.js';
export type { Decimal } from '../core/decimal.js';
