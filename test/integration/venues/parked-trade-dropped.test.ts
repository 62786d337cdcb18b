import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import { CcxtExecutionClient } from '../../../src/trading/venues/ccxt/ccxt-execution.js';
import { Markets } from '../../../src/trading/venues/ccxt/markets.js';
import { venueClientIds } from '../../../src/trading/venues/ccxt/venue-client-ids.js';
import { simExchange, startSim } from '../../support/ccxt-sim.js';
import { nextDip, revealTo } from '../../support/many-fills.js';
import { until } from '../../support/until.js';

const WINDOW = 60_000;

/**
 * A venue whose client ids are hashed (Hyperliquid's rule on the Binance simulator, as
 * `late-trade-after-release` runs it): an order sent by an earlier process, under a form this
 * one cannot read back, fills while this client runs. With no store to ask, its stream trade is
 * kept aside until a look-up links the order, which never comes: once the window has passed the
 * trade is dropped, and that is an alert, never silent.
 */
describe('a trade kept aside for a venue order never linked (hashed client ids, Binance simulator)', () => {
  let sim: BinanceSim;
  afterEach(async () => {
    await sim.close();
  });

  it('is dropped after the closed-order window with a PARKED_TRADE_DROPPED alert naming it', async () => {
    sim = await startSim();
    const exchange = await simExchange(sim);
    exchange.id = 'hyperliquid';
    const stream = await simExchange(sim, { pro: true });
    const markets = new Markets(exchange);
    await markets.load();
    const inst = markets.instrument('BTC/USDT');
    // Sent before a restart: its hashed form is in no memory of this process.
    const dip = nextDip(sim.market);
    const placed = await exchange.createOrder(
      'BTC/USDT',
      'limit',
      'buy',
      0.001,
      Number(dip.price),
      {
        clientOrderId: venueClientIds('hyperliquid').toVenue('k-1'),
      },
    );
    let skew = 0;
    const now = () => Date.now() + skew;
    const alerts: Alert[] = [];
    const logs: string[] = [];
    const client = new CcxtExecutionClient(
      {
        exchange,
        stream,
        instruments: [inst],
        accountId: 'main',
        order: () => undefined,
        now,
        closedOrderRetentionMs: WINDOW,
        notFoundGraceMs: 0,
        onAlert: (a) => alerts.push(a),
        onLog: (l) => logs.push(l),
      },
      () => undefined,
    );
    client.start();
    try {
      await until(() => sim.state.userDataListeners() >= 1, 10_000, 'user data stream');
      revealTo(sim.market, dip.tradeId);
      // Read by reconciliation's trade read (the stream, which may have subscribed after the
      // fill, keeps it aside the same way, once): kept aside.
      const [t] = sim.state.trades().filter((x) => String(x.orderId) === placed.id);
      await client.tradesSince(t!.time - 1);
      expect(client.memory.parkedTrades).toBe(1);
      await client.idle();
      // Within the window: kept, nothing said.
      skew += WINDOW - 1_000;
      await client.tradesSince(now());
      expect(client.memory.parkedTrades).toBe(1);
      expect(alerts.filter((a) => a.code === 'PARKED_TRADE_DROPPED')).toEqual([]);
      // Past it: dropped, and alerted once, naming the trade and its venue order.
      skew += 1_000;
      await client.tradesSince(now());
      await client.tradesSince(now());
      expect(client.memory.parkedTrades).toBe(0);
      const dropped = alerts.filter((a) => a.code === 'PARKED_TRADE_DROPPED');
      expect(dropped).toHaveLength(1);
      expect(dropped[0]!.message).toContain(`trade ${String(t!.id)} (BTC/USDT buy 0.001 at`);
      expect(dropped[0]!.message).toContain(
        `of venue order ${placed.id} dropped unlinked after 60000 ms (the closed-order window)`,
      );
    } finally {
      await client.idle();
      await client.close();
      await exchange.close();
      await stream.close();
    }
  });
});
