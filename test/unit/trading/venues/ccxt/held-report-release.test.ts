import type { Exchange } from 'ccxt';
import type { Alert } from '../../../../../src/trading/model/alert.js';
import type { OrderEvent } from '../../../../../src/trading/model/order-events.js';
import { quantity } from '../../../../../src/trading/core/money.js';
import { CcxtExecutionClient } from '../../../../../src/trading/venues/ccxt/ccxt-execution.js';
import { submittedOrder } from '../../../../support/builders.js';
import { btcInstrument } from '../../../../support/paper-args.js';
import { until } from '../../../../support/until.js';

/** ccxt's class name is what the client tells apart (`isCcxt`). */
class OrderNotFound extends Error {}

const T = 1_800_000_000_000;
const SYMBOL = btcInstrument().id;

/**
 * A venue whose create answer ends the order (an IOC cut short, part filled) but names no venue
 * order id and carries no trade: the terminal report is held for its fills. `shows`: whether a
 * look-up by client id finds the order (then with its venue id, 77, and its one trade).
 */
function venue(shows: boolean) {
  const calls: string[] = [];
  const order = { symbol: SYMBOL, clientOrderId: 'ioc-1', status: 'canceled', amount: 1 };
  const exchange = {
    id: 'kucoin',
    has: { fetchOrder: true, fetchOrderTrades: true, fetchOpenOrders: true },
    fetchOpenOrders: () => Promise.resolve([]),
    options: {},
    createOrder: () => {
      calls.push('createOrder');
      return Promise.resolve({ ...order, id: undefined, filled: 0.5, timestamp: T, trades: [] });
    },
    fetchOrder: (_id: string, _symbol: string, params: Record<string, unknown>) => {
      calls.push(`fetchOrder ${JSON.stringify(params)}`);
      return shows
        ? Promise.resolve({ ...order, id: '77', filled: 0.5, timestamp: T })
        : Promise.reject(new OrderNotFound('kucoin: no such order'));
    },
    fetchOrderTrades: (id: string) => {
      calls.push(`fetchOrderTrades ${id}`);
      return Promise.resolve([
        {
          id: 't-1',
          order: '77',
          symbol: SYMBOL,
          side: 'buy',
          price: 100,
          amount: 0.5,
          cost: 50,
          timestamp: T,
          fee: { cost: 0, currency: 'USDT' },
          info: {},
        },
      ]);
    },
  } as unknown as Exchange;
  return { exchange, calls };
}

function client(exchange: Exchange) {
  const clock = { now: T };
  const events: OrderEvent[] = [];
  const alerts: Alert[] = [];
  const c = new CcxtExecutionClient(
    {
      exchange,
      instruments: [btcInstrument()],
      accountId: 'main',
      now: () => clock.now,
      fillGraceMs: 1,
      closedOrderRetentionMs: 60_000,
      onAlert: (a) => alerts.push(a),
    },
    (e) => events.push(e),
  );
  const order = submittedOrder(
    { instrumentId: SYMBOL, side: 'BUY', quantity: quantity('1'), timeInForce: 'IOC' },
    'ioc-1',
  );
  return { c, events, alerts, order, clock };
}

describe('a terminal report that names no venue order id', () => {
  it('is not held for good: the order is looked up by client id, its fills fetched, then it goes out', async () => {
    const v = venue(true);
    const { c, events, alerts, order, clock } = client(v.exchange);
    c.submit(order, T);
    await until(() => c.memory.held === 0 && events.length >= 2, 5_000, 'the report released');
    await c.idle();
    expect(events.map((e) => e.kind)).toEqual(['OrderFilled', 'OrderCanceled']);
    // Looked up once by client id, then its trades asked for by the venue id found (page by page).
    expect(v.calls.slice(0, 3)).toEqual([
      'createOrder',
      'fetchOrder {"clientOrderId":"ioc-1"}',
      'fetchOrderTrades 77',
    ]);
    expect(new Set(v.calls.slice(3))).toEqual(new Set(['fetchOrderTrades 77']));
    expect(c.memory).toMatchObject({ held: 0, venueIds: 1, tradeIds: 1 });
    expect(alerts).toEqual([]);
    // Closed now, so released past the retention window like any other order.
    clock.now += 60_000;
    await c.openOrders();
    clock.now += 60_000;
    await c.openOrders();
    expect(c.memory).toMatchObject({ orders: 0, venueIds: 0, tradeIds: 0, held: 0 });
    await c.close();
  });

  it('nor when the venue never shows it: five tries, then VENUE_FILLS_MISSING and it is let go', async () => {
    const v = venue(false);
    const { c, events, alerts, order } = client(v.exchange);
    c.submit(order, T);
    await until(() => alerts.length > 0, 5_000, 'VENUE_FILLS_MISSING');
    await c.idle();
    expect(alerts.map((a) => a.code)).toEqual(['VENUE_FILLS_MISSING']);
    expect(v.calls.filter((x) => x.startsWith('fetchOrder '))).toHaveLength(5);
    expect(c.memory.held).toBe(0);
    expect(events).toEqual([]);
    await c.close();
  });
});
