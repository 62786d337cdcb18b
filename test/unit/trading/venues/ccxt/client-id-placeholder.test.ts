import type { Exchange, Order as CcxtOrder, Trade } from 'ccxt';
import { quantity } from '../../../../../src/trading/core/money.js';
import { MessageBus } from '../../../../../src/trading/bus/message-bus.js';
import { Topics } from '../../../../../src/trading/bus/topics.js';
import { ExecutionEngine } from '../../../../../src/trading/execution/execution-engine.js';
import { reconcile } from '../../../../../src/trading/live/reconciler.js';
import type { Alert } from '../../../../../src/trading/model/alert.js';
import { applyOrderEvent } from '../../../../../src/trading/model/apply-order-event.js';
import type { Order } from '../../../../../src/trading/model/order.js';
import { orderRef, type OrderEvent } from '../../../../../src/trading/model/order-events.js';
import { CcxtExecutionClient } from '../../../../../src/trading/venues/ccxt/ccxt-execution.js';
import { venueClientIds } from '../../../../../src/trading/venues/ccxt/venue-client-ids.js';
import { submittedOrder } from '../../../../support/builders.js';
import { btcInstrument } from '../../../../support/paper-args.js';
import { until } from '../../../../support/until.js';

const NOW = 1_800_000_000_000;
// Written by the process that sent the order: the restarted one has not seen this form.
const cid = venueClientIds('bitfinex').toVenue('sma-cross-1');

const trade = {
  id: 't-1',
  order: '11',
  symbol: 'BTC/X',
  side: 'buy',
  amount: 0.5,
  price: 100,
  cost: 50,
  timestamp: NOW - 1000,
  fee: { cost: 0, currency: 'X' },
  info: {},
} as unknown as Trade;

const venueOrder = (id: string, clientOrderId: string, filled: number) => ({
  id,
  symbol: 'BTC/X',
  status: 'open',
  amount: 1,
  filled,
  clientOrderId,
  info: {},
});

/** A trade of order `13`, placed elsewhere. */
const foreignTrade = { ...trade, id: 't-2', order: '13', amount: 0.25 } as unknown as Trade;

/**
 * Bitfinex as ccxt sees it: asked by venue id only. Its order `11` is ours, 0.5 of it filled
 * (`trade`); `13` was placed elsewhere (its `trades`, if any, are read too).
 */
function bitfinex(trades: readonly Trade[] = [trade]): Exchange {
  const orders = [venueOrder('11', cid, 0.5), venueOrder('13', '424242', 0)];
  return {
    id: 'bitfinex',
    has: { fetchOpenOrders: true, fetchClosedOrders: true },
    fetchOrder: async (id: string) => orders.find((o) => o.id === id) as unknown as CcxtOrder,
    fetchOpenOrders: async () => orders as unknown as CcxtOrder[],
    fetchClosedOrders: async () => [] as CcxtOrder[],
    fetchMyTrades: async () => [...trades],
  } as unknown as Exchange;
}

/** Our order `11` as the restarted node restores it: accepted, nothing filled yet. */
function restored(): Order {
  const sent = submittedOrder(
    { instrumentId: 'BTC/X', quantity: quantity('1'), accountId: 'main' },
    'sma-cross-1',
  );
  return applyOrderEvent(sent, {
    kind: 'OrderAccepted',
    ...orderRef(sent),
    ts: NOW - 5000,
    venueOrderId: '11',
  });
}

/**
 * A private stream that delivers `trade` once, then stays quiet; its close rejects the watch
 * that waits, as ccxt's does.
 */
function stream() {
  let calls = 0;
  let waiting: ((e: Error) => void) | null = null;
  const ws = {
    id: 'bitfinex',
    has: { watchMyTrades: true },
    clients: {},
    timeout: 10_000,
    watchMyTrades: () =>
      ++calls === 1
        ? Promise.resolve([trade])
        : new Promise<Trade[]>((_, reject) => {
            waiting = reject;
          }),
    close: async () => {
      waiting?.(new Error('connection closed by remote server, closing code 1000'));
      waiting = null;
    },
  };
  return { ws: ws as unknown as Exchange, watched: () => calls };
}

describe('a restarted client lists an order whose hashed client id it cannot read back', () => {
  it('a fill arriving before the look-up by client id reaches that order once it is looked up', async () => {
    let mine = restored();
    const fills: OrderEvent[] = [];
    const { ws, watched } = stream();
    const client = new CcxtExecutionClient(
      {
        exchange: bitfinex(),
        stream: ws,
        instruments: [btcInstrument()],
        accountId: 'main',
        now: () => NOW,
        notFoundGraceMs: 0,
        order: (id) => (id === mine.clientOrderId ? mine : undefined),
      },
      (e) => {
        if (e.kind === 'OrderFilled') fills.push(e);
        mine = applyOrderEvent(mine, e);
      },
    );
    // Restart reconciliation reads the open orders first: the order is reported under a
    // placeholder, which no order of ours has.
    const listed = await client.openOrders();
    expect(listed.map((r) => r.clientOrderId)).toEqual(['venue-order-11', 'venue-order-13']);
    // Its fill comes on the stream before the order is asked for by client id.
    client.start();
    await until(() => watched() >= 2, 5_000, 'the stream update handled');
    await client.idle();
    // A trade read meanwhile names no order of ours either.
    const read = await client.tradesSince(NOW - 60_000);
    expect(read.map((f) => f.clientOrderId)).toEqual(['venue-order-11']);
    // The placeholder is not remembered: the client holds no order, link or trade id for it.
    expect(client.memory).toMatchObject({ orders: 0, venueIds: 0, tradeIds: 0 });
    // The look-up teaches the client the order's id: the fill is applied to it.
    expect(await client.orderByClientId('sma-cross-1')).toMatchObject({ venueOrderId: '11' });
    await client.idle();
    expect(fills.map((e) => [e.clientOrderId, e.kind === 'OrderFilled' && e.fill.tradeId])).toEqual(
      [['sma-cross-1', 't-1']],
    );
    expect(mine.filledQuantity.toFixed()).toBe('0.5');
    await client.close();
  });

  it('restart reconciliation applies the fills of our order once, without drift, and reports those of one placed elsewhere', async () => {
    const bus = new MessageBus();
    const fills: string[] = [];
    bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
      if (e.kind === 'OrderFilled') fills.push(`${e.clientOrderId} ${e.fill.tradeId}`);
    });
    const alerts: string[] = [];
    bus.subscribe<Alert>(Topics.alerts, (a) => alerts.push(`${a.code}: ${a.message}`));
    const box: { exec?: ExecutionEngine } = {};
    const client = new CcxtExecutionClient(
      {
        exchange: bitfinex([trade, foreignTrade]),
        instruments: [btcInstrument()],
        accountId: 'main',
        now: () => NOW,
        notFoundGraceMs: 0,
        order: (id) => box.exec!.order(id),
      },
      (e) => box.exec!.process(e),
    );
    const exec = (box.exec = new ExecutionEngine(bus, () => client));
    exec.restore(restored());
    const r = await reconcile(exec, client, bus, NOW - 60_000, NOW);
    expect(exec.order('sma-cross-1')).toMatchObject({ status: 'PARTIALLY_FILLED' });
    expect(exec.order('sma-cross-1')!.filledQuantity.toFixed()).toBe('0.5');
    expect(fills).toEqual(['sma-cross-1 t-1']);
    // Read before the look-up, our trade named no order of ours: it is held until the look-up
    // links the order (which applies it), then not reported. The order placed elsewhere and its
    // trade are drift; the listed order of ours is matched by its venue id.
    expect(r.drift).toEqual([
      'trade t-2 for unknown order venue-order-13',
      'venue order venue-order-13 is not known here',
    ]);
    expect(alerts).toEqual(r.drift.map((m) => `RECONCILIATION_DRIFT: ${m}`));
    expect(client.memory).toMatchObject({ orders: 1, venueIds: 1, parkedTrades: 1 });
    // A second reconciliation finds nothing new: the fill is not applied again.
    const again = await reconcile(exec, client, bus, NOW - 60_000, NOW);
    expect(fills).toEqual(['sma-cross-1 t-1']);
    expect(again.drift).toEqual(r.drift);
    await client.close();
  });
});
