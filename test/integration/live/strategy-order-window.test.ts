import fc from 'fast-check';
import { runLambdaStep } from '../../../src/cloud/lambda/lambda-handler.js';
import type { LambdaStep } from '../../../src/cloud/lambda/lambda-protocol.js';
import { LambdaSeam } from '../../../src/cloud/lambda/lambda-seam.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { BacktestEngine } from '../../../src/trading/backtest/backtest-engine.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { TradingNode } from '../../../src/trading/live/trading-node.js';
import type { Order } from '../../../src/trading/model/order.js';
import type { StrategyDefinition } from '../../../src/trading/strategy/define-strategy.js';
import { defineStrategy } from '../../../src/trading/strategy/index.js';
import { resolveParams } from '../../../src/trading/strategy/params.js';
import type { SeamHost } from '../../../src/trading/strategy/strategy-seam.js';
import { bar, instrument } from '../../support/builders.js';
import { batches, simVenue } from '../../support/paper-trades.js';
import { remoteSeam } from '../../support/remote-strategy.js';
import { freshStore } from '../../support/stores.js';

const MINUTE = 60_000;
const INST = instrument();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStrategy = StrategyDefinition<any, any, any>;

/**
 * On every bar, logs what `ctx.order` answers for each order it made (its status, or `-`), and
 * decides on it: at the bars of `plan` it trades (a market buy or sell, and at every third a far
 * limit it cancels at once), buying 1 while its first order still reads and 2 after.
 */
function reader(plan: ReadonlySet<number>): AnyStrategy {
  return defineStrategy({
    name: 'reader',
    init: () => ({ n: 0, ids: [] as string[] }),
    onBar(ctx) {
      const n = ctx.state.n++;
      const seen = ctx.state.ids.map((id) => ctx.order(id)?.status ?? '-');
      ctx.log(`${n} ${seen.join(',')}`);
      if (!plan.has(n)) return;
      const firstReads = seen.length === 0 || seen[0] !== '-';
      const flat = ctx.position().isFlat;
      const t = flat ? ctx.buy(firstReads ? '1' : '2') : ctx.sell(ctx.position().quantity);
      ctx.state.ids.push(t.clientOrderId);
      if (n % 3 === 0) {
        const limit = ctx.buy('1', { price: '1' });
        ctx.state.ids.push(limit.clientOrderId);
        ctx.cancel(limit.clientOrderId);
      }
    },
  });
}

/** One bar a minute, from minute 1. */
const barsOf = (n: number): Bar[] =>
  Array.from({ length: n }, (_, i) => bar(100, 101, 99, 100, (i + 1) * MINUTE));

/** An order's sequence number (its id without the strategy's), side, quantity and status. */
const outcome = (o: Order) =>
  `${o.clientOrderId.slice(o.clientOrderId.lastIndexOf('-') + 1)} ${o.side} ${o.quantity.toFixed()} ${o.status}`;

/** How a run reaches its strategy: in-process, behind the remote seam, or as a Lambda function. */
type Mode = 'in-process' | 'seam' | 'lambda';

/** The host's seam of a mode (none in-process). */
function seamOf(strategy: AnyStrategy, mode: Mode) {
  if (mode === 'in-process') return {};
  if (mode === 'seam') return { strategySeam: remoteSeam(strategy) };
  // The Lambda function's handler, invoked in-process: each step a new strategy side.
  const invoke = async (payload: string) =>
    JSON.stringify(runLambdaStep(strategy, JSON.parse(payload) as LambdaStep));
  return {
    strategySeam: (host: SeamHost) =>
      new LambdaSeam(host, { params: resolveParams(strategy.params, {}), invoke }),
  };
}

async function backtest(strategy: AnyStrategy, bars: Bar[], windowMs: number, mode: Mode) {
  const run = await new BacktestEngine({
    instrument: INST,
    strategy,
    cash: '1000000',
    closedOrderRetentionMs: windowMs,
    ...seamOf(strategy, mode),
  }).runBars(batches(bars, 7));
  expect(run.failure).toBeUndefined();
  return {
    reads: run.logs.map((l) => l.message),
    orders: run.orders.map(outcome),
  };
}

/**
 * One store for every paper run, each on an account and under a strategy id of its own (client
 * order ids are unique in the store). A Postgres schema, not PGlite: the file's 83 paper runs
 * commit ~3,400 bars' orders and snapshots, which PGlite's WebAssembly ran in this worker at
 * several times Postgres's CPU (the store is not what the file tests; `ctx.order` is).
 */
let store: Awaited<ReturnType<typeof freshStore>>;
let runs = 0;
beforeAll(async () => {
  store = await freshStore('postgres');
});
afterAll(async () => {
  await store.drop();
});

/** A paper node on the store whose OMS releases orders closed for `windowMs` of its clock. */
async function paper(strategy: AnyStrategy, bars: Bar[], windowMs: number, mode: Mode) {
  const accountId = `paper-${++runs}`;
  const orders = new OrderRepository(store.db, accountId);
  const reads: string[] = [];
  const node = new TradingNode({
    accountId,
    instrument: INST,
    strategy,
    strategyId: `reader${runs}`,
    cash: '1000000',
    orders,
    snapshots: new StrategySnapshotRepository(store.db, accountId),
    ownsTime: true,
    returnFailures: true,
    closedOrderRetentionMs: windowMs,
    onLog: (m) => reads.push(m),
    ...seamOf(strategy, mode),
    venue: (deliver) => simVenue(INST, deliver),
  });
  const result = await node.run(batches(bars, 7));
  expect(result.failure).toBeNull();
  return {
    reads,
    // In the order they were made (the store orders those of one time by id text: 10 before 9).
    orders: (await orders.ordersSince(Number.MIN_SAFE_INTEGER))
      .map(outcome)
      .sort((a, b) => parseInt(a) - parseInt(b)),
  };
}

describe('ctx.order reads the same in a backtest as in a paper node (invariant 1)', () => {
  it('an order closed more than the window ago reads undefined in both, in-process, behind the seam and as a Lambda function', async () => {
    const strategy = reader(new Set([0, 2, 3, 30, 45]));
    const bars = barsOf(60);
    const window = 10 * MINUTE;
    const bt = await backtest(strategy, bars, window, 'in-process');
    const live = await paper(strategy, bars, window, 'in-process');
    // The paper OMS released the old orders; the backtest's report still lists every one.
    expect(bt.orders).toHaveLength(9);
    expect(live.orders).toEqual(bt.orders);
    expect(live.reads).toEqual(bt.reads);
    // Read while within the window, then no longer (the first fill at minute 2, bar 10 closes at minute 12).
    expect(bt.reads[9]).toBe('9 FILLED,CANCELED,FILLED,FILLED,CANCELED');
    expect(bt.reads[10]).toBe('10 -,-,FILLED,FILLED,CANCELED');
    expect(bt.reads[20]).toBe('20 -,-,-,-,-');
    // The decision that depends on it: at bar 45 the first order no longer reads, so it buys 2.
    expect(bt.orders[7]).toBe('8 BUY 2 FILLED');
    for (const mode of ['seam', 'lambda'] as const) {
      expect((await backtest(strategy, bars, window, mode)).reads).toEqual(bt.reads);
      expect((await paper(strategy, bars, window, mode)).reads).toEqual(bt.reads);
    }
  });

  it('for random windows and order timings, ctx.order answers the same in every mode', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 * MINUTE }),
        fc.uniqueArray(fc.integer({ min: 0, max: 39 }), { minLength: 1, maxLength: 10 }),
        // Each run checks the paper node in-process and behind one of the two seams (every mode
        // in all three of the fixed case above): two paper runs a sample, not three.
        fc.constantFrom('seam' as const, 'lambda' as const),
        async (windowMs, plan, mode) => {
          const strategy = reader(new Set(plan));
          const bars = barsOf(40);
          const bt = await backtest(strategy, bars, windowMs, 'in-process');
          const live = await paper(strategy, bars, windowMs, 'in-process');
          expect(live.reads).toEqual(bt.reads);
          expect(live.orders).toEqual(bt.orders);
          expect((await paper(strategy, bars, windowMs, mode)).reads).toEqual(bt.reads);
        },
      ),
      // A fixed seed: the same 40 samples every run.
      { numRuns: 40, seed: 0x5eed_0d3 },
    );
  }, 180_000);
});
