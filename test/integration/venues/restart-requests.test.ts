import { reconcile } from '../../../src/trading/live/reconciler.js';
import type { Order } from '../../../src/trading/model/order.js';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { simExchange, startSim } from '../../support/ccxt-sim.js';
import { executionHarness } from '../../support/execution-harness.js';

const SYMBOL = 'BTC/USDT';

/** The REST requests the simulator served since `before`, by `METHOD path`. */
const since = (sim: BinanceSim, before: ReadonlyMap<string, number>) =>
  Object.fromEntries(
    [...sim.state.requests]
      .map(([k, n]) => [k, n - (before.get(k) ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );

describe('restart reconciliation against the Binance simulator (ccxt binance)', () => {
  let sim: BinanceSim;
  afterEach(async () => {
    await sim.close();
  });

  it('200 orders open, 195 still open at the venue: one open-orders request and 5 look-ups, not 200', async () => {
    sim = await startSim();
    const start = Date.now();
    const first = await executionHarness(await simExchange(sim), { symbol: SYMBOL });
    const sent: Order[] = [];
    // Resting buys well below the market.
    for (let i = 0; i < 200; i++)
      sent.push(first.send({ side: 'BUY', quantity: '0.01', price: String(20_000 + i) }));
    await first.client.idle();
    const written = sent.map((o) => first.exec.order(o.clientOrderId)!);
    expect(written.every((o) => o.status === 'ACCEPTED')).toBe(true);
    // While the node is down, 5 of them are cancelled at the venue (the node never learns it).
    const gone = sent.filter((_, i) => i % 40 === 7).map((o) => o.clientOrderId);
    for (const id of gone) first.cancel(id);
    await first.client.idle();
    await first.close();
    expect(sim.state.openOrders()).toHaveLength(195);

    // A restarted node: a new connection, the orders as they were stored.
    const second = await executionHarness(await simExchange(sim), { symbol: SYMBOL });
    for (const o of written) second.exec.restore(o);
    const before = new Map(sim.state.requests);
    // Our trades since the first order was sent (as `TradingCore` asks before any fill is stored).
    const result = await reconcile(second.exec, second.client, second.bus, start, Date.now());
    const asked = since(sim, before);
    expect(result.drift).toEqual([]);
    expect([...result.resolved].sort()).toEqual([...gone].sort());
    for (const id of gone)
      expect(second.exec.order(id)).toMatchObject({
        status: 'CANCELED',
        reason: 'CANCELED_AT_VENUE',
      });
    expect(second.exec.openOrders()).toHaveLength(195);
    expect(second.alerts).toEqual([]);
    // One page of our trades, one list of open orders, and a look-up for each order not in it.
    expect(asked).toEqual({
      'GET /api/v3/myTrades': 1,
      'GET /api/v3/openOrders': 1,
      'GET /api/v3/order': 5,
    });
    expect(sim.state.errors).toEqual([]);
    await second.close();
  });
});
