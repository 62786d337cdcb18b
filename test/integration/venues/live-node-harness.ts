import { MemoryBudget } from '../../../src/scalability/rate-limit/memory-budget.js';
import { ccxtNodeVenue } from '../../../src/system/live-account-venue.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import {
  TradingNode,
  type NodeRunResult,
  type TradingNodeConfig,
} from '../../../src/trading/live/trading-node.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { CcxtExecutionClient } from '../../../src/trading/venues/ccxt/ccxt-execution.js';
import { createExchange } from '../../../src/trading/venues/ccxt/exchange-factory.js';
import { Markets } from '../../../src/trading/venues/ccxt/markets.js';
import { startSim, syntheticBars } from '../../support/ccxt-sim.js';
import { freshStore } from '../../support/stores.js';

export const MINUTE = 60_000;
export const PRELOAD = 600;

/**
 * The simulator on bars that reach the present (its market opens at about now), revealed only
 * when a test advances it, with Binance's BTCUSDT lot and no BTC at the start.
 */
export async function nowSim(over: Parameters<typeof startSim>[0] = {}): Promise<{
  sim: BinanceSim;
  bars: Bar[];
}> {
  const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - PRELOAD * MINUTE;
  const bars = syntheticBars(PRELOAD + 200, 7, t0);
  const sim = await startSim({
    data: bars,
    preloadBars: PRELOAD,
    filters: { tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001', minNotional: '10' },
    balances: { BTC: '0', USDT: '1000000' },
    ...over,
  });
  return { sim, bars };
}

/** What one in-process live run against the simulator did. */
export interface LiveRun {
  readonly result?: NodeRunResult;
  readonly error?: unknown;
  readonly alerts: Alert[];
  readonly logs: string[];
  readonly store: Awaited<ReturnType<typeof freshStore>>;
  readonly orders: OrderRepository;
}

/** What a test may ask of a running node (filled in by `runLiveNode` before the first bar). */
export interface NodeProbe {
  /** Until when (epoch ms) the node's request gate holds a ban from a 429/418; undefined: none. */
  bannedUntil?: () => number | undefined;
  /** How many 429/418 answers the node's request gate has recorded as bans. */
  bansHeard?: () => number;
}

/**
 * `kairos live` in-process: a TradingNode with ccxt's real `binance` (REST, behind the request
 * gate) and `pro.binance` (user-data stream) against the simulator, on a fresh store. `feed`
 * yields the bars the venue reveals (it advances the simulator itself).
 */
export async function runLiveNode(
  sim: BinanceSim,
  feed: AsyncIterable<readonly Bar[]>,
  over: Partial<TradingNodeConfig> & Pick<TradingNodeConfig, 'strategy'>,
  options: { store?: Awaited<ReturnType<typeof freshStore>>; probe?: NodeProbe } = {},
): Promise<LiveRun> {
  const alerts: Alert[] = [];
  const logs: string[] = [];
  const onAlert = (a: Alert) => alerts.push(a);
  const built = await createExchange({
    exchangeId: 'binance',
    apiKey: sim.apiKey,
    secret: sim.secret,
    exchangeUrl: sim.url,
    timeoutMs: 2000,
    rateLimitMs: 1,
    budget: {
      budget: new MemoryBudget({ rule: { capacity: 100_000, intervalMs: 60_000 } }),
      onAlert,
    },
  });
  const exchange = built.exchange;
  if (options.probe) {
    const gate = built.gate;
    options.probe.bannedUntil = () => gate?.bannedUntil()?.untilMs;
    options.probe.bansHeard = () => gate?.bans ?? 0;
  }
  const { exchange: stream } = await createExchange({
    exchangeId: 'binance',
    apiKey: sim.apiKey,
    secret: sim.secret,
    exchangeUrl: sim.url,
    pro: true,
  });
  const markets = new Markets(exchange);
  await markets.load();
  const inst = markets.instrument('BTC/USDT');
  const store = options.store ?? (await freshStore('postgres'));
  const orders = new OrderRepository(store.db, 'binance');
  let client: CcxtExecutionClient | null = null;
  const node = new TradingNode({
    accountId: 'binance',
    instrument: inst,
    strategyId: over.strategy.name,
    cash: '1000000',
    orders,
    snapshots: new StrategySnapshotRepository(store.db, 'binance'),
    venue: (deliver, order) => {
      void client?.close();
      const c = (client = new CcxtExecutionClient(
        {
          exchange,
          stream,
          instruments: [inst],
          accountId: 'binance',
          order,
          onAlert,
          onLog: (l) => logs.push(l),
          bannedUntil: () => built.gate?.bannedUntil()?.untilMs,
          notFoundGraceMs: 1000,
          fillGraceMs: 100,
          backoff: { initialMs: 20, maxMs: 200 },
        },
        deliver,
      ));
      c.start();
      return ccxtNodeVenue(c);
    },
    closeVenue: async () => {
      const c = client as CcxtExecutionClient | null;
      await c?.close();
      await c?.idle();
    },
    onAlert,
    onLog: (l) => logs.push(l),
    returnFailures: true,
    ...over,
  });
  let result: NodeRunResult | undefined;
  let error: unknown;
  try {
    result = await node.run(feed);
  } catch (e) {
    error = e;
  } finally {
    await (client as CcxtExecutionClient | null)?.close();
    await exchange.close();
    await stream.close();
  }
  return { result, error, alerts, logs, store, orders };
}

/** Bars as the venue reveals them: each `advance` shows the next one, then it is yielded. */
export async function* revealed(
  sim: BinanceSim,
  bars: readonly Bar[],
  n: number,
  before: (i: number) => Promise<void> | void = () => undefined,
): AsyncIterable<readonly Bar[]> {
  for (let i = 0; i < n; i++) {
    await before(i);
    sim.advance(1);
    yield [bars[PRELOAD + i]!];
  }
}

/** The store against the venue: every venue trade stored once, orders in the same state. */
export async function storeVersusVenue(sim: BinanceSim, orders: OrderRepository) {
  const fills = (await orders.fills())
    .map((f) => `${f.tradeId} ${f.clientOrderId} ${f.price.toFixed()} ${f.quantity.toFixed()}`)
    .sort();
  const venue = sim.state
    .trades()
    .map((t) => `${t.id} ${t.clientOrderId} ${t.price.toFixed()} ${t.qty.toFixed()}`)
    .sort();
  const open = (await orders.restorable({})).open.map((o) => o.clientOrderId).sort();
  const venueOpen = sim.state
    .openOrders()
    .map((o) => o.clientOrderId)
    .sort();
  const btc = sim.state.balances().find((b) => b.asset === 'BTC');
  return {
    fills,
    venue,
    open,
    venueOpen,
    venueBtc: btc ? Number(btc.free) + Number(btc.locked) : 0,
  };
}
