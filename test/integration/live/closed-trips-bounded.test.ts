import fc from 'fast-check';
import { Topics } from '../../../src/trading/bus/topics.js';
import type { TradingCore } from '../../../src/trading/live/trading-core.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { Ledger } from '../../../src/trading/portfolio/ledger.js';
import { playRun, RUN_CASH, RUN_INSTRUMENT, type RunOp } from '../../support/retention-run.js';
import { anyStore } from '../../support/stores.js';

// A paper or live core keeps no closed round trip (only a backtest's report reads them): over a
// long run it holds none, and books what a ledger that keeps them books.

// Market orders of one unit, two owners, at random bar prices; mostly in pairs that go back to
// flat, so a run closes a trip every few bars (and, after a lone order, flips and builds up).
const owner = fc.constantFrom('s', 't');
const price = fc.integer({ min: 90, max: 110 });
const market = (buy: boolean, by: string): RunOp => ({ kind: 'market', buy, owner: by });
const bar = (p: number): RunOp => ({ kind: 'bar', price: p });
const step: fc.Arbitrary<RunOp[]> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.boolean(), owner, owner, price, price)
      .map(([buy, a, b, p, q]) => [market(buy, a), bar(p), market(!buy, b), bar(q)]),
  },
  { weight: 1, arbitrary: fc.tuple(fc.boolean(), owner).map(([buy, a]) => [market(buy, a)]) },
  { weight: 1, arbitrary: price.map((p) => [bar(p)]) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 0, max: 15 })
      .map((minutes): RunOp[] => [{ kind: 'jump', minutes }]),
  },
);

type Store = Awaited<ReturnType<typeof anyStore>>;

describe('a paper/live core holds no closed round trip', () => {
  let store: Store;
  beforeAll(async () => {
    store = await anyStore();
  });
  afterAll(async () => {
    await store.drop();
  });

  it('random runs: none held, and cash, positions and realized PnL are those of a ledger that keeps them (property)', async () => {
    let run = 0;
    let closed = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 30, maxLength: 50 }), async (steps) => {
        const ops = steps.flat();
        run++;
        // The same fills, in the order the core books them, on a ledger that keeps its trips.
        const kept = new Ledger(RUN_CASH, { keepRoundTrips: true });
        const opened = (core: TradingCore) => {
          core.bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
            if (e.kind === 'OrderFilled') kept.applyFill(e.fill, RUN_INSTRUMENT, e.strategyId);
          });
          return Promise.resolve();
        };
        const { core } = await playRun(store, `c${run}`, ops, { retentionMs: 120_000, opened });
        expect(kept.fillCount).toBeGreaterThan(0);
        expect(core.ledger.state()).toEqual(kept.state());
        expect(core.ledger.position(RUN_INSTRUMENT.id).realizedPnl.toFixed()).toBe(
          kept.position(RUN_INSTRUMENT.id).realizedPnl.toFixed(),
        );
        expect({ held: core.memory.roundTrips, list: core.ledger.roundTrips.length }).toEqual({
          held: 0,
          list: 0,
        });
        closed += kept.roundTrips.length;
      }),
      { numRuns: 4, seed: 20261207 },
    );
    // The runs closed many trips (a core of the old code held every one).
    expect(closed).toBeGreaterThan(30);
  }, 120_000);
});
