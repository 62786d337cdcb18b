import { ZERO } from '../../trading/core/decimal.js';
import type { BalanceUpdate } from './account.js';
import { fmt } from './format.js';
import type { SimOrder, SimTrade } from './sim-order.js';

/** What a new-order answer carries (Binance's `newOrderRespType`). */
export type OrderRespType = 'ACK' | 'RESULT' | 'FULL';

/** The execution types of an `executionReport`. */
export type ExecutionType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED';

const isOpen = (o: SimOrder) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';

/** The fields of an order's state that the new-order and cancel answers share. */
const orderState = (o: SimOrder) => ({
  price: fmt(o.price),
  origQty: fmt(o.origQty),
  executedQty: fmt(o.executedQty),
  origQuoteOrderQty: fmt(o.origQuoteOrderQty),
  cummulativeQuoteQty: fmt(o.cummulativeQuoteQty),
  status: o.status,
  timeInForce: o.timeInForce,
  type: o.type,
  side: o.side,
});

/**
 * Binance's JSON for orders, fills and user-data events, built from the simulator's records.
 *
 * @example
 * res.end(JSON.stringify(BinanceJson.order('BTCUSDT', order)));
 */
export const BinanceJson = {
  /** An order as `GET /api/v3/order`, `openOrders` and `allOrders` return it. */
  order(symbol: string, o: SimOrder): Record<string, unknown> {
    return {
      symbol,
      orderId: o.orderId,
      orderListId: -1,
      clientOrderId: o.clientOrderId,
      price: fmt(o.price),
      origQty: fmt(o.origQty),
      executedQty: fmt(o.executedQty),
      cummulativeQuoteQty: fmt(o.cummulativeQuoteQty),
      status: o.status,
      timeInForce: o.timeInForce,
      type: o.type,
      side: o.side,
      stopPrice: fmt(ZERO),
      icebergQty: fmt(ZERO),
      time: o.time,
      updateTime: o.updateTime,
      isWorking: true,
      workingTime: o.time,
      origQuoteOrderQty: fmt(o.origQuoteOrderQty),
      selfTradePreventionMode: 'NONE',
    };
  },

  /** The answer to `POST /api/v3/order`. */
  newOrder(
    symbol: string,
    o: SimOrder,
    fills: readonly SimTrade[],
    type: OrderRespType,
    transactTime: number,
  ): Record<string, unknown> {
    const ack = {
      symbol,
      orderId: o.orderId,
      orderListId: -1,
      clientOrderId: o.clientOrderId,
      transactTime,
    };
    if (type === 'ACK') return ack;
    const result = {
      ...ack,
      ...orderState(o),
      workingTime: o.time,
      selfTradePreventionMode: 'NONE',
    };
    if (type === 'RESULT') return result;
    return {
      ...result,
      fills: fills.map((t) => ({
        price: fmt(t.price),
        qty: fmt(t.qty),
        commission: fmt(t.commission),
        commissionAsset: t.commissionAsset,
        tradeId: t.id,
      })),
    };
  },

  /** The answer to `DELETE /api/v3/order`. */
  canceled(symbol: string, o: SimOrder, transactTime: number): Record<string, unknown> {
    return {
      symbol,
      origClientOrderId: o.clientOrderId,
      orderId: o.orderId,
      orderListId: -1,
      clientOrderId: o.cancelClientOrderId,
      transactTime,
      ...orderState(o),
      selfTradePreventionMode: 'NONE',
    };
  },

  /** A fill as `GET /api/v3/myTrades` returns it. */
  myTrade(symbol: string, t: SimTrade): Record<string, unknown> {
    return {
      symbol,
      id: t.id,
      orderId: t.orderId,
      orderListId: -1,
      price: fmt(t.price),
      qty: fmt(t.qty),
      quoteQty: fmt(t.quoteQty),
      commission: fmt(t.commission),
      commissionAsset: t.commissionAsset,
      time: t.time,
      isBuyer: t.side === 'BUY',
      isMaker: t.isMaker,
      isBestMatch: true,
    };
  },

  /** The user-data `executionReport` event for an order change (and its fill, if any). */
  executionReport(
    symbol: string,
    o: SimOrder,
    x: ExecutionType,
    trade: SimTrade | null,
    eventTime: number,
  ): Record<string, unknown> {
    const canceled = x === 'CANCELED';
    return {
      e: 'executionReport',
      E: eventTime,
      s: symbol,
      c: canceled ? (o.cancelClientOrderId ?? o.clientOrderId) : o.clientOrderId,
      S: o.side,
      o: o.type,
      f: o.timeInForce,
      q: fmt(o.origQty),
      p: fmt(o.price),
      P: fmt(ZERO),
      F: fmt(ZERO),
      g: -1,
      C: canceled ? o.clientOrderId : '',
      x,
      X: o.status,
      r: 'NONE',
      i: o.orderId,
      l: fmt(trade ? trade.qty : ZERO),
      z: fmt(o.executedQty),
      L: fmt(trade ? trade.price : ZERO),
      n: fmt(trade ? trade.commission : ZERO),
      N: trade ? trade.commissionAsset : null,
      T: trade ? trade.time : o.updateTime,
      t: trade ? trade.id : -1,
      I: o.orderId * 10 + (trade ? 1 : 0),
      w: isOpen(o),
      m: trade ? trade.isMaker : false,
      M: false,
      O: o.time,
      Z: fmt(o.cummulativeQuoteQty),
      Y: fmt(trade ? trade.quoteQty : ZERO),
      Q: fmt(o.origQuoteOrderQty),
      W: o.time,
      V: 'NONE',
    };
  },

  /** The user-data `outboundAccountPosition` event. */
  accountPosition(eventTime: number, balances: readonly BalanceUpdate[]): Record<string, unknown> {
    return { e: 'outboundAccountPosition', E: eventTime, u: eventTime, B: balances };
  },
};
