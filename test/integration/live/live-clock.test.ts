import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { SimulatedExchange } from '../../../src/trading/backtest/simulated-exchange.js';
import { LiveClock } from '../../../src/trading/clock/live-clock.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import type { ReconciliationResult } from '../../../src/trading/live/reconciler.js';
import { TradingNode, type NodeVenue } from '../../../src/trading/live/trading-node.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { defineStrategy } from '../../../src/trading/strategy/index.js';
import { bar, instrument } from '../../support/builders.js';
import { anyStore } from '../../support/stores.js';
import { until } from '../../support/until.js';

const MINUTE = 60_000;
const INST = instrument();

/** Buys 1 at market on the second bar, once. */
const buyOnce = defineStrategy({
  name: 'buy-once',
  init: () => ({ bars: 0 }),
  onBar(ctx) {
    ctx.state.bars++;
    if (ctx.state.bars === 2) ctx.buy('1');
  },
});

/** A venue that takes every order but whose answer to the node is lost (a timeout: UNKNOWN). */
function silentVenue(deliver: (e: OrderEvent) => void): NodeVenue {
  const sim = new SimulatedExchange({ venue: 'SIM', instruments: [INST] }, () => undefined);
  return {
    submit: (o, ts) => {
      sim.submit(o, ts);
      deliver({
        kind: 'OrderUnknown',
        clientOrderId: o.clientOrderId,
        accountId: 'live',
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
}

// Live ran on a simulated clock moved by bars: when bars stopped (a quiet market, a dropped
// feed), so did the in-flight checks and the periodic reconciliation.
describe('a live node on the live clock', () => {
  it('reconciles while no bar arrives: an unanswered order is resolved, and the periodic check runs', async () => {
    const store = await anyStore();
    const clock = new LiveClock();
    try {
      const orders = new OrderRepository(store.db, 'live');
      const reconciled: ReconciliationResult[] = [];
      const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
      let quietFrom = 0;
      let resolvedWhileQuiet: string | undefined;
      async function* feed(): AsyncIterable<readonly Bar[]> {
        yield [{ ...bar(100, 101, 99, 100, t0), instrumentId: INST.id }];
        yield [{ ...bar(100, 101, 99, 100, t0 + MINUTE), instrumentId: INST.id }];
        // The market goes quiet: no bar until the order is resolved and a periodic check ran.
        quietFrom = reconciled.length;
        resolvedWhileQuiet = await until(
          async () => {
            const stored = await orders.ordersSince(Number.MIN_SAFE_INTEGER);
            const o = stored[0];
            return o && o.status !== 'UNKNOWN' && reconciled.length >= quietFrom + 2
              ? o.status
              : undefined;
          },
          15_000,
          'reconciliation without bars',
        );
      }
      const node = new TradingNode({
        accountId: 'live',
        instrument: INST,
        strategy: buyOnce,
        strategyId: 'buy-once',
        cash: '100000',
        orders,
        snapshots: new StrategySnapshotRepository(store.db, 'live'),
        venue: (deliver) => silentVenue(deliver),
        clock,
        inflightCheckMs: 100,
        reconcileIntervalMs: 300,
        onReconciled: (r) => reconciled.push(r),
        returnFailures: true,
      });
      const wallBefore = Date.now();
      const result = await node.run(feed());
      expect(result.failure).toBeNull();
      expect(resolvedWhileQuiet).toBe('ACCEPTED');
      // The order was sent once and its stored events carry wall-clock times, not bar times.
      const [order] = await orders.ordersSince(Number.MIN_SAFE_INTEGER);
      expect(order!.createdAt).toBeGreaterThanOrEqual(wallBefore);
    } finally {
      clock.dispose();
      await store.drop();
    }
  });
});
