import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { SimulatedExchange } from '../../../src/trading/backtest/simulated-exchange.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { TradingNode } from '../../../src/trading/live/trading-node.js';
import { defineStrategy } from '../../../src/trading/strategy/index.js';
import { bar, instrument } from '../../support/builders.js';
import { anyStore } from '../../support/stores.js';

const MINUTE = 60_000;
const INST = instrument({ tickSize: '0.01' });

/** Rests a buy at 50.07 on every bar (far below the market: it stays open). */
const restingBuys = defineStrategy({
  name: 'resting-buys',
  init: () => ({}),
  onBar(ctx) {
    ctx.buy('1', { type: 'LIMIT', price: '50.07' });
  },
});

// `kairos live` hears the venue's new rules after an hourly markets refresh
// (`VenueFeed.onInstrument` -> `TradingNode.setInstrument`): the next order snaps to them.
describe('a trading node told its instrument’s new rules', () => {
  it('snaps the orders made after the change to the new tick; the open ones keep theirs', async () => {
    const store = await anyStore();
    try {
      const orders = new OrderRepository(store.db, 'live');
      const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
      let node: TradingNode | null = null;
      async function* feed(): AsyncIterable<readonly Bar[]> {
        yield [{ ...bar(100, 101, 99, 100, t0), instrumentId: INST.id }];
        // The venue's tick is now 0.1 (as its markets say after a refresh).
        node!.setInstrument(instrument({ tickSize: '0.1' }));
        yield [{ ...bar(100, 101, 99, 100, t0 + MINUTE), instrumentId: INST.id }];
      }
      node = new TradingNode({
        accountId: 'live',
        instrument: INST,
        strategy: restingBuys,
        strategyId: 'resting-buys',
        cash: '100000',
        orders,
        snapshots: new StrategySnapshotRepository(store.db, 'live'),
        venue: (deliver) => new SimulatedExchange({ venue: 'SIM', instruments: [INST] }, deliver),
        returnFailures: true,
      });
      const result = await node.run(feed());
      expect(result.failure).toBeNull();
      const made = await orders.ordersSince(Number.MIN_SAFE_INTEGER);
      expect(made.map((o) => [o.price?.toFixed(), o.status])).toEqual([
        ['50.07', 'ACCEPTED'],
        ['50', 'ACCEPTED'],
      ]);
    } finally {
      await store.drop();
    }
  });
});
