import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { BacktestEngine } from '../../../src/trading/backtest/backtest-engine.js';
import { BarAggregator } from '../../../src/trading/data/bar-aggregator.js';
import type { MarketEvent, TradeTick } from '../../../src/trading/data/market-data.js';
import { TradingNode } from '../../../src/trading/live/trading-node.js';
import type { Fill } from '../../../src/trading/model/fill.js';
import type { Order } from '../../../src/trading/model/order.js';
import type { StrategyDefinition } from '../../../src/trading/strategy/define-strategy.js';
import { crossOf, defineStrategy, param, sma } from '../../../src/trading/strategy/index.js';
import { batches, realTrades, simVenue, XRP_ETH } from '../../support/paper-trades.js';
import { remoteSeam } from '../../support/remote-strategy.js';
import { anyStore } from '../../support/stores.js';

const INST = XRP_ETH;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStrategy = StrategyDefinition<any, any, any>;

/** Trade-price SMA crossover: market orders on crosses, a resting limit it cancels on the next. */
const crossWithLimits = defineStrategy({
  name: 'cross-limits',
  params: { fast: param.int(5, { min: 1 }), slow: param.int(30, { min: 2 }) },
  indicators: (p) => ({ fast: sma(p.fast, 'trade'), slow: sma(p.slow, 'trade') }),
  init: () => ({ lastSign: 0, fills: 0 }),
  onTrade(ctx, tick) {
    const { sign, cross } = crossOf(
      ctx.state.lastSign,
      ctx.indicators.fast.value,
      ctx.indicators.slow.value,
    );
    ctx.state.lastSign = sign;
    if (cross === null) return;
    ctx.cancelAll();
    if (cross === 'up' && ctx.position().isFlat) {
      ctx.buy('100');
      ctx.buy('50', { price: (tick.price * 0.999).toFixed(8) });
    } else if (cross === 'down' && ctx.position().isLong) ctx.sell(ctx.position().quantity);
  },
  onOrderEvent(ctx, e) {
    if (e.kind === 'OrderFilled') ctx.state.fills++;
  },
});

/** Buys on every 40th trade, throws on the 300th. */
const throwsLate = defineStrategy({
  name: 'throws-late',
  init: () => ({ n: 0 }),
  onTrade(ctx) {
    ctx.state.n++;
    if (ctx.state.n === 300) throw new TypeError(`gave up at trade ${ctx.state.n}`);
    if (ctx.state.n % 40 === 0) ctx.buy('10');
  },
});

const outcome = (o: Order) => ({
  id: o.clientOrderId,
  side: o.side,
  type: o.type,
  price: o.price?.toFixed() ?? null,
  status: o.status,
  filled: o.filledQuantity.toFixed(),
  at: o.createdAt,
});
const fillOf = (f: Fill) => [f.clientOrderId, f.price.toFixed(), f.quantity.toFixed(), f.ts];

/** A paper node, the strategy in-process or behind the remote seam (text only). */
async function paper(strategy: AnyStrategy, trades: TradeTick[], remote: boolean) {
  const store = await anyStore();
  try {
    const orders = new OrderRepository(store.db, 'paper');
    const snapshots = new StrategySnapshotRepository(store.db, 'paper');
    let crossed = 0;
    const node = new TradingNode({
      accountId: 'paper',
      instrument: INST,
      strategy,
      strategyId: strategy.name,
      cash: '10',
      orders,
      snapshots,
      ownsTime: true,
      returnFailures: true,
      ...(remote ? { strategySeam: remoteSeam(strategy, () => crossed++) } : {}),
      venue: (deliver) => simVenue(INST, deliver),
    });
    const result = await node.run(batches<MarketEvent>(trades, 1000));
    return {
      result,
      crossed,
      orders: (await orders.ordersSince(Number.MIN_SAFE_INTEGER)).map(outcome),
      fills: (await orders.fills()).map(fillOf),
      snapshot: await snapshots.latest(strategy.name),
    };
  } finally {
    await store.drop();
  }
}

describe('a paper node with its strategy behind the remote seam', () => {
  let trades: TradeTick[];
  beforeAll(async () => {
    trades = (await realTrades(INST)).slice(0, 1500);
  });

  // The run behind the seam that two tests compare (with the in-process node, the backtest), made once.
  let crossRemote: Awaited<ReturnType<typeof paper>> | undefined;
  it('makes exactly the orders, fills, position and snapshots of the in-process node', async () => {
    const local = await paper(crossWithLimits, trades, false);
    const remote = (crossRemote ??= await paper(crossWithLimits, trades, true));
    expect(local.result.failure).toBeNull();
    expect(remote.result.failure).toBeNull();
    expect(local.orders.length).toBeGreaterThan(8);
    expect(local.orders.some((o) => o.status === 'CANCELED')).toBe(true);
    expect(remote.crossed).toBeGreaterThan(trades.length);
    expect(remote.orders).toEqual(local.orders);
    expect(remote.fills).toEqual(local.fills);
    expect(remote.result.position.toFixed()).toBe(local.result.position.toFixed());
    expect(remote.result.cash.toFixed()).toBe(local.result.cash.toFixed());
    expect(remote.snapshot).toEqual(local.snapshot);
  });

  it("behind the seam, its orders and fills are the backtest's", async () => {
    const expected = await new BacktestEngine({
      instrument: INST,
      strategy: crossWithLimits,
      cash: '10',
    }).runTrades(batches(trades, 1000), (emit) => new BarAggregator(60_000, emit));
    const remote = (crossRemote ??= await paper(crossWithLimits, trades, true));
    expect(remote.orders.map((o) => [o.id, o.side, o.type, o.status])).toEqual(
      expected.orders.map((o) => [o.clientOrderId, o.side, o.type, o.status]),
    );
    expect(remote.fills).toEqual(expected.fills.map(fillOf));
  });

  it('a strategy that throws behind the seam fails the run as in-process: STRATEGY_FAILED', async () => {
    const local = await paper(throwsLate, trades, false);
    const remote = await paper(throwsLate, trades, true);
    expect(local.result.failure?.code).toBe('STRATEGY_FAILED');
    expect(remote.result.failure).toEqual(local.result.failure);
    expect(remote.result.failure?.message).toContain('gave up at trade 300');
    expect(remote.orders).toEqual(local.orders);
    expect(remote.orders.length).toBe(7);
  });
});
