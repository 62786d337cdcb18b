import { Dec, type DecimalInput } from '../../src/trading/core/decimal.js';
import { money, price, quantity } from '../../src/trading/core/money.js';
import type { Bar } from '../../src/trading/data/market-data.js';
import type { Fill } from '../../src/trading/model/fill.js';
import { makeInstrument, type InstrumentSpec } from '../../src/trading/model/instrument.js';
import { initOrder, type NewOrder, type Order } from '../../src/trading/model/order.js';
import { applyOrderEvent } from '../../src/trading/model/apply-order-event.js';
import { orderRef, type OrderEvent } from '../../src/trading/model/order-events.js';

/** An instrument with sensible test defaults. */
export function instrument(over: Partial<InstrumentSpec> = {}) {
  return makeInstrument({
    id: 'TEST/USD',
    base: 'TEST',
    quote: 'USD',
    tickSize: '0.01',
    lotSize: '1',
    makerFee: '0.001',
    takerFee: '0.002',
    ...over,
  });
}

/** A SUBMITTED order. */
export function submittedOrder(over: Partial<NewOrder> = {}, id = 'o-1'): Order {
  const o = newOrder(over, id);
  return applyOrderEvent(o, {
    kind: 'OrderSubmitted',
    clientOrderId: id,
    accountId: o.accountId,
    strategyId: 's',
    instrumentId: o.instrumentId,
    ts: 0,
  });
}

/** An INITIALIZED order. */
export function newOrder(over: Partial<NewOrder> = {}, id = 'o-1'): Order {
  return initOrder({
    clientOrderId: id,
    accountId: 'paper',
    strategyId: 's',
    instrumentId: 'TEST/USD',
    side: 'BUY',
    type: 'MARKET',
    timeInForce: 'GTC',
    quantity: quantity('10'),
    price: null,
    triggerPrice: null,
    postOnly: false,
    reduceOnly: false,
    createdAt: 0,
    tag: null,
    ...over,
  });
}

/** A new order of `accountId` as the order journal commits it: initialized, then submitted. */
export function journalEntry(accountId: string, id: string): { after: Order; event: OrderEvent }[] {
  const o = newOrder({ accountId }, id);
  const submitted: OrderEvent = { kind: 'OrderSubmitted', ...orderRef(o), ts: 2 };
  return [
    { after: o, event: { kind: 'OrderInitialized', ...orderRef(o), ts: 1, order: o } },
    { after: applyOrderEvent(o, submitted), event: submitted },
  ];
}

let barT = 0;
/** A bar; times advance by one minute per call unless given. */
export function bar(o: number, h: number, l: number, c: number, openTime?: number): Bar {
  const t = openTime ?? (barT += 60_000);
  return {
    instrumentId: 'TEST/USD',
    openTime: t,
    closeTime: t + 60_000,
    open: o,
    high: h,
    low: l,
    close: c,
    volume: 1000,
  };
}

/** A fill. */
export function fill(
  side: 'BUY' | 'SELL',
  p: DecimalInput,
  q: DecimalInput,
  fee: DecimalInput = '0',
  id = `t${Math.random()}`,
): Fill {
  return {
    venue: 'SIM',
    tradeId: id,
    accountId: 'paper',
    clientOrderId: 'o',
    instrumentId: 'TEST/USD',
    side,
    price: price(p),
    quantity: quantity(q),
    fee: money(fee, 'USD'),
    liquidity: 'TAKER',
    ts: 0,
  };
}

export { Dec };
