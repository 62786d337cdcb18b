import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { SimulatedExchange } from '../../../src/trading/backtest/simulated-exchange.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { TradingNode, type NodeVenue } from '../../../src/trading/live/trading-node.js';
import type { ReconciliationResult } from '../../../src/trading/live/reconciler.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { defineStrategy } from '../../../src/trading/strategy/index.js';
import { bar, instrument } from '../../support/builders.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

const MINUTE = 60_000;

/** Buys 1 at market on the second bar, once. */
const buyOnce = defineStrategy({
  name: 'buy-once',
  init: () => ({ bars: 0 }),
  onBar(ctx) {
    ctx.state.bars++;
    if (ctx.state.bars === 2) ctx.buy('1');
  },
});

/**
 * A simulated venue behind a link that loses every answer about the orders `lost` picks: the venue
 * takes the order, but the node only hears a timeout (UNKNOWN) and never any later report.
 */
function lossyVenue(lost: (clientOrderId: string) => boolean, submits: string[]) {
  return (deliver: (e: OrderEvent) => void): NodeVenue => {
    const inst = instrument();
    const sim = new SimulatedExchange({ venue: 'SIM', instruments: [inst] }, (e) => {
      if (!lost(e.clientOrderId)) deliver(e);
    });
    return {
      submit: (o, ts) => {
        submits.push(o.clientOrderId);
        sim.submit(o, ts);
        if (lost(o.clientOrderId))
          deliver({
            kind: 'OrderUnknown',
            clientOrderId: o.clientOrderId,
            accountId: o.accountId,
            strategyId: o.strategyId,
            instrumentId: o.instrumentId,
            ts,
            reason: 'TIMEOUT',
          });
      },
      cancel: (id, ts) => sim.cancel(id, ts),
      onBar: (b: Bar) => sim.onBar(b),
      orderByClientId: (id) => sim.orderByClientId(id),
      openOrders: () => sim.openOrders(),
      tradesSince: (ts) => sim.tradesSince(ts),
    };
  };
}

async function* feed(n: number): AsyncIterable<readonly Bar[]> {
  for (let i = 0; i < n; i++) yield [bar(100, 101, 99, 100, (i + 1) * MINUTE)];
}

describe.each(DIALECTS)('an order whose answer is lost, on %s', (dialect) => {
  // One store for the dialect's two runs (a store is ~1 s of CPU on PGlite), each on an account
  // and a strategy id (its client order ids' tag) of its own.
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store?.drop();
  });

  it.each([
    ['every bar', MINUTE],
    ['rarely', 3_600_000],
  ])(
    'is resolved by client order id within 30 s of simulated time, never sent twice (full reconciliation %s)',
    async (_name, reconcileIntervalMs) => {
      const accountId = `paper-${reconcileIntervalMs}`;
      const orders = new OrderRepository(store.db, accountId);
      const submits: string[] = [];
      const reconciled: { ts: number; result: ReconciliationResult }[] = [];
      const unknownAt = new Map<string, number>();
      const node = new TradingNode({
        accountId,
        instrument: instrument(),
        strategy: buyOnce,
        strategyId: `buy-once-${reconcileIntervalMs}`,
        cash: '1000',
        orders,
        snapshots: new StrategySnapshotRepository(store.db, accountId),
        // Every answer about every order is lost.
        venue: (deliver) =>
          lossyVenue(
            () => true,
            submits,
          )((e) => {
            if (e.kind === 'OrderUnknown') unknownAt.set(e.clientOrderId, e.ts);
            deliver(e);
          }),
        reconcileIntervalMs,
        onReconciled: (result, ts) => reconciled.push({ ts, result }),
      });
      const result = await node.run(feed(6));

      expect(submits).toHaveLength(1);
      const id = submits[0]!;
      const at = unknownAt.get(id);
      expect(at).toBeDefined();
      const resolvedAt = reconciled.find((r) => r.result.resolved.includes(id))?.ts;
      expect(resolvedAt).toBeDefined();
      expect(resolvedAt! - at!).toBeLessThanOrEqual(30_000);
      // Its fill came through reconciliation alone, and the position is the venue's.
      expect((await orders.order(id))!.status).toBe('FILLED');
      expect(result.position.toFixed()).toBe('1');
      expect(result.drift).toBe(0);
    },
  );
});
