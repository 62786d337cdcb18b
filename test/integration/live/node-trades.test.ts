import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { BacktestEngine } from '../../../src/trading/backtest/backtest-engine.js';
import { BarAggregator } from '../../../src/trading/data/bar-aggregator.js';
import type { MarketEvent, TradeTick } from '../../../src/trading/data/market-data.js';
import { TradingNode } from '../../../src/trading/live/trading-node.js';
import type { Fill } from '../../../src/trading/model/fill.js';
import type { Order } from '../../../src/trading/model/order.js';
import tradeMomentum from '../../../examples/strategies/trade-momentum.js';
import { crossOf, defineStrategy, param, sma } from '../../../src/trading/strategy/index.js';
import type { StrategyDefinition } from '../../../src/trading/strategy/define-strategy.js';
import { batches, realTrades, simVenue, XRP_ETH } from '../../support/paper-trades.js';
import { anyStore } from '../../support/stores.js';

const INST = XRP_ETH;

/** What an order came to, for comparing two runs. */
const outcome = (o: Order) => ({
  id: o.clientOrderId,
  side: o.side,
  type: o.type,
  price: o.price?.toFixed() ?? null,
  status: o.status,
  filled: o.filledQuantity.toFixed(),
});

/** Trade-price SMA crossover at market only (no cancel races a venue's answer). */
const marketCross = defineStrategy({
  name: 'market-cross',
  params: {
    fast: param.int(5, { min: 1 }),
    slow: param.int(30, { min: 2 }),
  },
  indicators: (p) => ({ fast: sma(p.fast, 'trade'), slow: sma(p.slow, 'trade') }),
  init: () => ({ lastSign: 0 }),
  onTrade(ctx) {
    const { sign, cross } = crossOf(
      ctx.state.lastSign,
      ctx.indicators.fast.value,
      ctx.indicators.slow.value,
    );
    ctx.state.lastSign = sign;
    if (cross === 'up' && ctx.position().isFlat && ctx.openOrders().length === 0) ctx.buy('100');
    else if (cross === 'down' && ctx.position().isLong && ctx.openOrders().length === 0)
      ctx.sell(ctx.position().quantity);
  },
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStrategy = StrategyDefinition<any, any, any>;

function backtest(strategy: AnyStrategy, params: Record<string, unknown>, trades: TradeTick[]) {
  return new BacktestEngine({ instrument: INST, strategy, params, cash: '10' }).runTrades(
    batches(trades, 1000),
    (emit) => new BarAggregator(60_000, emit),
  );
}

/** A paper node on a replay of `trades`, its venue the backtester's exchange; its stored orders. */
async function paper(strategy: AnyStrategy, params: Record<string, unknown>, trades: TradeTick[]) {
  const store = await anyStore();
  try {
    const orders = new OrderRepository(store.db, 'paper');
    const node = new TradingNode({
      accountId: 'paper',
      instrument: INST,
      strategy,
      params,
      strategyId: strategy.name,
      cash: '10',
      orders,
      snapshots: new StrategySnapshotRepository(store.db, 'paper'),
      ownsTime: true,
      venue: (deliver) => simVenue(INST, deliver),
    });
    const result = await node.run(batches<MarketEvent>(trades, 1000));
    return {
      result,
      orders: await orders.ordersSince(Number.MIN_SAFE_INTEGER),
      fills: await orders.fills(),
    };
  } finally {
    await store.drop();
  }
}

// Paper and live used to feed strategies bars only: a strategy that trades on public trades
// (`onTrade`) never traded outside a backtest.
describe('a paper node fed public trades', () => {
  let trades: TradeTick[];
  beforeAll(async () => {
    trades = (await realTrades(INST)).slice(0, 1500);
  });

  it("calls onTrade: trade-momentum trades, and its first orders are the backtest's", async () => {
    const params = { fast: 5, slow: 30, size: '100' };
    const expected = await backtest(tradeMomentum, params, trades);
    const { result, orders } = await paper(tradeMomentum, params, trades);
    expect(result.failure).toBeNull();
    expect(orders.length).toBeGreaterThan(4);
    expect(orders.slice(0, 4).map(outcome)).toEqual(expected.orders.slice(0, 4).map(outcome));
  });

  it('makes exactly the orders, fills and position of the backtest on the same trades', async () => {
    const expected = await backtest(marketCross, {}, trades);
    expect(expected.orders.length).toBeGreaterThan(8);
    const { result, orders, fills } = await paper(marketCross, {}, trades);
    expect(result.failure).toBeNull();
    expect(orders.map(outcome)).toEqual(expected.orders.map(outcome));
    const position = expected.fills.reduce(
      (q, f) => (f.side === 'BUY' ? q.plus(f.quantity) : q.minus(f.quantity)),
      result.position.minus(result.position),
    );
    expect(result.position.toFixed()).toBe(position.toFixed());
    const fill = (f: Fill) => [
      f.clientOrderId,
      f.price.toFixed(),
      f.quantity.toFixed(),
      f.fee.amount.toFixed(),
      f.ts,
    ];
    expect(fills.map(fill)).toEqual(expected.fills.map(fill));
  });
});
