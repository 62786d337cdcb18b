import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { ccxtNodeVenue } from '../../../src/system/live-account-venue.js';
import { Endpoints } from '../../../src/trading/bus/topics.js';
import { makeOrder } from '../../../src/trading/execution/order-factory.js';
import { TradingCore } from '../../../src/trading/live/trading-core.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import { orderRef } from '../../../src/trading/model/order-events.js';
import { CcxtExecutionClient } from '../../../src/trading/venues/ccxt/ccxt-execution.js';
import { Markets } from '../../../src/trading/venues/ccxt/markets.js';
import { venueClientIds } from '../../../src/trading/venues/ccxt/venue-client-ids.js';
import { MINUTE, simExchange, startSim, syntheticBars } from '../../support/ccxt-sim.js';
import { nextDip, revealTo } from '../../support/many-fills.js';
import { anyStore } from '../../support/stores.js';
import { until } from '../../support/until.js';

const RETENTION = 120_000;
/** A window no run reaches: neither the OMS nor the client releases anything. */
const NEVER = Number.MAX_SAFE_INTEGER;

type Node = Awaited<ReturnType<typeof openNode>>;

/**
 * A trading core with ccxt's real `binance` and `pro.binance` on the simulator, both
 * retention layers on a clock the test moves forward (`jump`).
 */
async function openNode(sim: BinanceSim, retentionMs: number, hashed = false) {
  const store = await anyStore();
  const exchange = await simExchange(sim);
  // Hyperliquid's rule on Binance's API: client ids sent as `0x` and a digest (Binance takes 34
  // such characters), read back only while the client remembers what it sent.
  if (hashed) exchange.id = 'hyperliquid';
  const stream = await simExchange(sim, { pro: true });
  const markets = new Markets(exchange);
  await markets.load();
  const inst = markets.instrument('BTC/USDT');
  let skew = 0;
  const now = () => Date.now() + skew;
  const alerts: Alert[] = [];
  const orders = new OrderRepository(store.db, 'main');
  const box: { client?: CcxtExecutionClient } = {};
  const { core } = await TradingCore.open({
    accountId: 'main',
    instruments: [inst],
    cash: { USDT: '1000000' },
    orders,
    clock: { now, setTimer: () => undefined, cancelTimer: () => undefined },
    closedOrderRetentionMs: retentionMs,
    onAlert: (a) => alerts.push(a),
    venue: (deliver, order, stored) => {
      const c = (box.client = new CcxtExecutionClient(
        {
          exchange,
          stream,
          instruments: [inst],
          accountId: 'main',
          order,
          storedOrder: stored,
          now,
          closedOrderRetentionMs: retentionMs,
          fillGraceMs: 20,
          backoff: { initialMs: 20, maxMs: 200 },
          onAlert: (a) => alerts.push(a),
        },
        deliver,
      ));
      c.start();
      return ccxtNodeVenue(c);
    },
  });
  const client = box.client!;
  await until(() => sim.state.userDataListeners() >= 1, 10_000, 'user data stream');
  const place = (id: string, req: Parameters<typeof makeOrder>[0]) => {
    const { order } = makeOrder(req, inst, {
      clientOrderId: id,
      accountId: 'main',
      strategyId: 's',
      ts: now(),
    });
    core.exec.add(order);
    core.submit(order, now());
  };
  const settle = async () => {
    await client.idle();
    await core.settle();
  };
  return {
    core,
    client,
    orders,
    alerts,
    inst,
    now,
    place,
    settle,
    /** A buy the venue fills at once: a limit above the market (no bars here for a market order's mark). */
    taker: () => ({
      side: 'BUY' as const,
      quantity: '0.001',
      price: (sim.market.lastPrice()! * 1.01).toFixed(2),
    }),
    /** Places an order and waits until the OMS has it in `status`. */
    placed: async (id: string, req: Parameters<typeof makeOrder>[0], status: string) => {
      place(id, req);
      await until(() => core.exec.order(id)?.status === status, 10_000, `${id} ${status}`);
      await settle();
    },
    /** Past the window twice (the client notes an order closed at a sweep, releases it at the next). */
    release: async () => {
      skew += retentionMs === NEVER ? 0 : retentionMs;
      await client.tradesSince(now());
      skew += retentionMs === NEVER ? 0 : retentionMs + 1;
      await client.tradesSince(now());
    },
    close: async () => {
      await client.idle();
      await client.close();
      await exchange.close();
      await store.drop();
    },
  };
}

/**
 * Closes `id` in the OMS while it still rests at the venue (CANCELED NOT_AT_VENUE, as a
 * reconciliation that could not find it decides), then moves past both layers' windows.
 */
async function closedButResting(n: Node, id: string): Promise<void> {
  n.core.bus.send(Endpoints.executionReports, {
    kind: 'OrderCanceled',
    ...orderRef(n.core.exec.order(id)!),
    ts: n.now(),
    reason: 'NOT_AT_VENUE',
  });
  await n.settle();
  await n.release();
}

/** Runs `body` on a node over `sim`, then closes both (also when it fails). */
async function onNode<T>(
  sim: BinanceSim,
  body: (n: Node) => Promise<T>,
  retentionMs = RETENTION,
  hashed = false,
): Promise<T> {
  const n = await openNode(sim, retentionMs, hashed);
  try {
    return await body(n);
  } finally {
    await n.close();
    await sim.close();
  }
}

/** What a run came to: cash, position, the stored fills and orders (times aside). */
async function outcome(n: Node) {
  return {
    cash: n.core.ledger.cash('USDT').toFixed(),
    position: n.core.ledger.position(n.inst.id).quantity.toFixed(),
    fills: (await n.orders.fills()).map(
      (f) => `${f.tradeId} ${f.clientOrderId} ${f.price.toFixed()} ${f.quantity.toFixed()}`,
    ),
    orders: (await n.orders.ordersSince(0)).map(
      (o) => `${o.clientOrderId} ${o.status} ${o.filledQuantity.toFixed()}`,
    ),
    alerts: n.alerts.map((a) => a.code),
  };
}

/**
 * A resting buy (`k-a`) the OMS closes while it still rests at the venue (CANCELED
 * NOT_AT_VENUE, as a reconciliation that could not find it decides), released by both layers;
 * the venue then fills it, and its trade reaches the stream only after a later order's fill
 * (`k-c`) is stored: older than the last stored fill, so reconciliation never reads it.
 */
async function lateTradeRun(retentionMs: number, hashed = false) {
  const sim = await startSim();
  return onNode(
    sim,
    async (n) => {
      const dip = nextDip(sim.market);
      await n.placed('k-a', { side: 'BUY', quantity: '0.001', price: dip.price }, 'ACCEPTED');
      await n.placed('k-b', n.taker(), 'FILLED');
      await closedButResting(n, 'k-a');
      sim.faults.set({ holdReports: true });
      revealTo(sim.market, dip.tradeId);
      const asSent = hashed ? venueClientIds('hyperliquid').toVenue('k-a') : 'k-a';
      const late = sim.state.trades().find((t) => t.clientOrderId === asSent)!;
      // The venue's market moves on a bar: the next trade is stamped later.
      sim.advance(1);
      // This order's call sweeps the OMS: k-a and k-b are released (k-c is what it was about).
      await n.placed('k-c', n.taker(), 'FILLED');
      if (retentionMs !== NEVER) {
        expect(n.core.exec.order('k-a')).toBeUndefined();
        expect(n.client.memory).toMatchObject({ orders: 1 });
      }
      const lastFill = Math.max(...(await n.orders.fills()).map((f) => f.ts));
      expect(lastFill).toBeGreaterThan(late.time);
      sim.faults.set({ holdReports: false });
      await until(
        async () => (await n.orders.fills()).some((f) => f.clientOrderId === 'k-a'),
        10_000,
        `the late trade of k-a stored (alerts ${JSON.stringify(n.alerts)})`,
      );
      await n.settle();
      // The stored fills' window does not reach it: nothing more from reconciliation.
      expect(await n.core.reconcile()).toMatchObject({ fillsApplied: 0, drift: [] });
      return outcome(n);
    },
    retentionMs,
    hashed,
  );
}

describe('a late trade of an order both the ccxt client and the OMS released (Binance simulator)', () => {
  it('older than the last stored fill, it is applied once (LATE_FILL): as in a run that never released', async () => {
    const released = await lateTradeRun(RETENTION);
    const kept = await lateTradeRun(NEVER);
    expect(released).toEqual(kept);
    expect(released.orders).toContain('k-a CANCELED 0.001');
    expect(released.fills.filter((f) => f.includes(' k-a '))).toHaveLength(1);
    expect(released.alerts).toEqual(['LATE_FILL']);
  });

  it('on a venue whose client ids are hashed (found by its venue order id in the store), the same', async () => {
    const released = await lateTradeRun(RETENTION, true);
    const kept = await lateTradeRun(NEVER, true);
    expect(released).toEqual(kept);
    expect(released.orders).toContain('k-a CANCELED 0.001');
    expect(released.alerts).toEqual(['LATE_FILL']);
  });

  it("a trade whose report the stream lost, read by a reconnect's catch-up (a minute before the last fill), is applied once too", async () => {
    // Bars reaching the present: the catch-up reads from a minute before the client's last fill.
    const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 600 * MINUTE;
    const sim = await startSim({ data: syntheticBars(1200, 7, t0) });
    await onNode(sim, async (n) => {
      const dip = nextDip(sim.market);
      sim.faults.set({ loseOrderReports: 1 });
      await n.placed('k-a', { side: 'BUY', quantity: '0.001', price: dip.price }, 'ACCEPTED');
      await closedButResting(n, 'k-a');
      revealTo(sim.market, dip.tradeId);
      const late = sim.state.trades().find((t) => t.clientOrderId === 'k-a')!;
      // One replayed trade on (15 s of the venue's clock): the next fill is stamped after it.
      sim.market.step();
      await n.placed('k-c', n.taker(), 'FILLED');
      expect(n.core.exec.order('k-a')).toBeUndefined();
      const lastFill = Math.max(...(await n.orders.fills()).map((f) => f.ts));
      expect(lastFill).toBeGreaterThan(late.time);
      expect(lastFill - late.time).toBeLessThan(MINUTE);
      expect(sim.dropWebSockets()).toBeGreaterThan(0);
      await until(
        async () => (await n.orders.fills()).some((f) => f.clientOrderId === 'k-a'),
        10_000,
        `the lost trade of k-a stored (alerts ${JSON.stringify(n.alerts)})`,
      );
      await n.settle();
      expect(await n.core.reconcile()).toMatchObject({ fillsApplied: 0, drift: [] });
      const end = await outcome(n);
      expect(end.orders).toContain('k-a CANCELED 0.001');
      expect(end.fills.filter((f) => f.includes(' k-a '))).toHaveLength(1);
      expect(end.alerts).toEqual(['LATE_FILL']);
    });
  });

  it('a stream copy of a stored trade is applied zero times: the order comes back, the copy ends there', async () => {
    const sim = await startSim();
    await onNode(sim, async (n) => {
      sim.faults.set({ holdReports: true });
      await n.placed('k-b', n.taker(), 'FILLED');
      const before = await outcome(n);
      expect(before.fills).toHaveLength(1);
      await n.release();
      // Its call sweeps the OMS: k-b is released.
      const far = (sim.market.lastPrice()! * 0.5).toFixed(2);
      await n.placed('k-d', { side: 'BUY', quantity: '0.001', price: far }, 'ACCEPTED');
      expect(n.core.exec.order('k-b')).toBeUndefined();
      expect(n.client.memory).toMatchObject({ orders: 1, tradeIds: 0 });
      sim.faults.set({ holdReports: false });
      await until(() => n.core.exec.order('k-b'), 10_000, 'k-b taken back for its copy');
      await n.settle();
      const after = await outcome(n);
      expect(after).toEqual({ ...before, orders: [...before.orders, 'k-d ACCEPTED 0'] });
      expect(after.alerts).toEqual([]);
    });
  });

  it('a trade of an order the store does not know either raises UNKNOWN_ORDER_REPORT', async () => {
    const sim = await startSim();
    const n = await openNode(sim, RETENTION);
    const elsewhere = await simExchange(sim);
    try {
      await elsewhere.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, {
        newClientOrderId: 'placed-elsewhere-1',
      });
      await until(
        () => n.alerts.some((a) => a.code === 'UNKNOWN_ORDER_REPORT'),
        10_000,
        `UNKNOWN_ORDER_REPORT (alerts ${JSON.stringify(n.alerts)})`,
      );
      await n.settle();
      expect(n.alerts.map((a) => a.code)).toEqual(['UNKNOWN_ORDER_REPORT']);
      expect(n.alerts[0]!.message).toMatch(/placed-elsewhere-1/);
      expect(await n.orders.fills()).toEqual([]);
    } finally {
      await elsewhere.close();
      await n.close();
      await sim.close();
    }
  });
});
