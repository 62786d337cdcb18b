import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { reconcile } from '../../../src/trading/live/reconciler.js';
import { orderRef } from '../../../src/trading/model/order-events.js';
import { simExchange, startSim, until } from '../../support/ccxt-sim.js';
import { executionHarness } from '../../support/execution-harness.js';
import { nextDip, revealTo } from '../../support/many-fills.js';

const SYMBOL = 'BTC/USDT';
const RETENTION = 120_000;

/** The harness's close, also when a test fails midway (its streams would keep the run alive). */
let cleanup: (() => Promise<void>) | null = null;

/**
 * The OMS and a ccxt client on the Binance simulator, on a clock the test moves forward
 * (`jump`): the client measures how long a closed order is kept on it.
 */
async function harness(sim: BinanceSim, over: { stream?: boolean; notFoundGraceMs?: number } = {}) {
  let skew = 0;
  // What is kept is the subject, not timeouts: 150 orders sent at once on a loaded machine took
  // over the 5 s default, and an order UNKNOWN was not the CANCELED the test expects.
  const h = await executionHarness(await simExchange(sim, { timeoutMs: 30_000 }), {
    symbol: SYMBOL,
    now: () => Date.now() + skew,
    closedOrderRetentionMs: RETENTION,
    fillGraceMs: 20,
    ...(over.notFoundGraceMs === undefined ? {} : { notFoundGraceMs: over.notFoundGraceMs }),
    ...(over.stream ? { stream: await simExchange(sim, { pro: true }) } : {}),
  });
  cleanup = h.close;
  return {
    ...h,
    jump: (ms: number) => {
      skew += ms;
    },
    now: () => Date.now() + skew,
  };
}

describe('CcxtExecutionClient: what it keeps of closed orders', () => {
  let sim: BinanceSim;
  afterEach(async () => {
    await cleanup?.().catch(() => undefined);
    cleanup = null;
    await sim.close();
  });

  it('150 orders filled, cancelled or rejected are released after the retention window; the open one stays', async () => {
    sim = await startSim();
    const h = await harness(sim);
    const last = sim.market.lastPrice()!;
    const filled = Array.from({ length: 100 }, (_, i) =>
      h.send({ side: i % 2 === 0 ? 'BUY' : 'SELL', quantity: '0.01' }),
    );
    const resting = Array.from({ length: 30 }, () =>
      h.send({ side: 'BUY', quantity: '0.01', price: (last * 0.5).toFixed(2) }),
    );
    await h.client.idle();
    for (const o of resting) h.cancel(o.clientOrderId);
    sim.faults.set({
      rejectNextOrders: { code: -1013, msg: 'Filter failure: LOT_SIZE', count: 20 },
    });
    const rejected = Array.from({ length: 20 }, () => h.send({ side: 'BUY', quantity: '0.01' }));
    await h.client.idle();
    const open = h.send({ side: 'BUY', quantity: '0.01', price: (last * 0.5).toFixed(2) });
    await h.client.idle();
    const statuses = (os: { clientOrderId: string }[]) =>
      new Set(os.map((o) => h.exec.order(o.clientOrderId)!.status));
    expect(statuses(filled)).toEqual(new Set(['FILLED']));
    expect(statuses(resting)).toEqual(new Set(['CANCELED']));
    expect(statuses(rejected)).toEqual(new Set(['REJECTED']));
    expect(h.exec.order(open.clientOrderId)!.status).toBe('ACCEPTED');
    const fills = h.events.filter((e) => e.kind === 'OrderFilled').length;
    expect(fills).toBeGreaterThanOrEqual(100);
    expect(h.client.memory).toMatchObject({ orders: 151, venueIds: 131, tradeIds: fills });

    // Within the window (a reconciliation query sweeps): all kept.
    h.jump(RETENTION / 2);
    await h.client.openOrders();
    expect(h.client.memory.orders).toBe(151);

    // Past it: only the open order is left.
    h.jump(RETENTION);
    await h.client.openOrders();
    expect(h.client.memory).toEqual({
      orders: 1,
      venueIds: 1,
      tradeIds: 0,
      held: 0,
      hashedIds: 0,
      parkedTrades: 0,
    });
    // The released orders are found again by asking the venue: a reconciliation reading the
    // whole trade history counts nothing twice and finds no drift.
    const r = await reconcile(h.exec, h.client, h.bus, 0, h.now());
    expect(r).toMatchObject({ fillsApplied: 0, drift: [] });
    expect(h.events.filter((e) => e.kind === 'OrderFilled')).toHaveLength(fills);
    expect(h.alerts).toEqual([]);
    // What that look-up brought back is released again in turn.
    h.jump(2 * RETENTION);
    await h.client.openOrders();
    h.jump(2 * RETENTION);
    await h.client.openOrders();
    expect(h.client.memory.orders).toBe(1);
    await h.close();
  });

  /**
   * A resting buy the OMS closes (CANCELED NOT_AT_VENUE, as a reconciliation that could not find
   * it decides) while it still rests at the venue, which then fills it: a fill the venue reports,
   * over the private stream, after the order was closed here.
   */
  const closedThenFilled = async (released: boolean) => {
    sim = await startSim();
    const h = await harness(sim, { stream: true });
    h.client.start();
    await until(() => sim.state.userDataListeners() === 1, 10_000, 'user data stream');
    const dip = nextDip(sim.market);
    const buy = h.send({ side: 'BUY', quantity: '0.001', price: dip.price });
    await h.client.idle();
    expect(h.exec.order(buy.clientOrderId)!.status).toBe('ACCEPTED');
    h.exec.process({
      kind: 'OrderCanceled',
      ...orderRef(h.exec.order(buy.clientOrderId)!),
      ts: h.now(),
      reason: 'NOT_AT_VENUE',
    });
    expect(h.exec.order(buy.clientOrderId)).toMatchObject({
      status: 'CANCELED',
      reason: 'NOT_AT_VENUE',
    });
    if (released) {
      // Closed by the OMS, not by a report of the client's: the next sweep notes it
      // closed, one past the window releases it.
      h.jump(RETENTION);
      await h.client.tradesSince(h.now());
      expect(h.client.memory.orders).toBe(1);
      h.jump(RETENTION + 1);
      await h.client.tradesSince(h.now());
      expect(h.client.memory).toMatchObject({ orders: 0, venueIds: 0, tradeIds: 0 });
    }
    revealTo(sim.market, dip.tradeId);
    const atVenue = () => sim.state.orders().find((o) => o.clientOrderId === buy.clientOrderId)!;
    expect(atVenue().executedQty.gt(0)).toBe(true);
    await until(
      () => h.exec.order(buy.clientOrderId)!.filledQuantity.eq(atVenue().executedQty),
      10_000,
      `the late fill applied (alerts ${JSON.stringify(h.alerts)})`,
    );
    await h.client.idle();
    expect(h.exec.order(buy.clientOrderId)!.status).toBe('CANCELED');
    expect(h.alerts.map((a) => a.code)).toEqual(['LATE_FILL']);
    // Counted once: the venue's history read again applies nothing.
    const r = await reconcile(h.exec, h.client, h.bus, 0, h.now());
    expect(r.fillsApplied).toBe(0);
    expect(
      h.events.filter((e) => e.kind === 'OrderFilled' && e.clientOrderId === buy.clientOrderId),
    ).toHaveLength(sim.state.trades().length);
    await h.close();
  };

  it('a fill reported after the order was closed here, within the window, is applied (LATE_FILL), once', async () => {
    await closedThenFilled(false);
  });

  it('a fill reported after the order was released here is not lost: the OMS applies it (LATE_FILL), once', async () => {
    await closedThenFilled(true);
  });

  it('refuses a retention that is not a number of milliseconds >= 0, naming the option', async () => {
    sim = await startSim();
    const exchange = await simExchange(sim);
    await expect(executionHarness(exchange, { closedOrderRetentionMs: -1 })).rejects.toThrow(
      /closedOrderRetentionMs: must be a finite number of milliseconds >= 0, was -1/,
    );
    await exchange.close();
  });
});
