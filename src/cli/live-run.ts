import path from 'node:path';
import { connectRedis } from '../scalability/connections.js';
import { MemoryBudget } from '../scalability/rate-limit/memory-budget.js';
import { RedisBudget } from '../scalability/rate-limit/redis-budget.js';
import { OrderRepository } from '../store/order-repository.js';
import { RiskRepository } from '../store/risk-repository.js';
import { StrategySnapshotRepository } from '../store/strategy-snapshot-repository.js';
import { AsyncQueue } from '../system/async-queue.js';
import { loadConfig } from '../system/config.js';
import { openConfiguredStore } from '../system/open-configured-store.js';
import type { Bar } from '../trading/data/market-data.js';
import { TradingNode } from '../trading/live/trading-node.js';
import { parseParamList } from '../trading/strategy/params.js';
import { CcxtExecutionClient } from '../trading/venues/ccxt/ccxt-execution.js';
import { CcxtMarketData } from '../trading/venues/ccxt/ccxt-market-data.js';
import { ClockSkew } from '../trading/venues/ccxt/clock-skew.js';
import { createExchange, credentialsFromEnv } from '../trading/venues/ccxt/exchange-factory.js';
import { Markets } from '../trading/venues/ccxt/markets.js';
import { timeframeMs } from '../trading/venues/ccxt/ohlcv-pages.js';
import { loadStrategy } from './load-strategy.js';
import { decimalFlag, numberFlag } from './parse-flags.js';

/** The flags of `kairos live`. */
export interface LiveFlags {
  exchange: string;
  symbol: string;
  timeframe: string;
  exchangeUrl?: string;
  params?: string;
  cash: string;
  warmup: string;
  account?: string;
  strategyId?: string;
  export?: string;
}

/** Runs `kairos live` (loaded only then: it brings ccxt). */
export async function runLive(file: string, flags: LiveFlags): Promise<void> {
  const config = loadConfig(process.env);
  const cash = decimalFlag('--cash', flags.cash, 'positive');
  const warmup = numberFlag('--warmup', flags.warmup, { integer: true, max: 1000 });
  const params = flags.params ? parseParamList(flags.params) : {};
  const strategy = await loadStrategy(file, path.join(config.home, 'build'), flags.export);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const onAlert = (a: { code: string; message: string }) =>
    process.stderr.write(`alert ${a.code}: ${a.message}\n`);
  // One request budget per venue and key; shared through Redis by every process when configured.
  const rule = { capacity: 1_200, intervalMs: 60_000 };
  const redis = config.redisUrl ? await connectRedis(config.redisUrl) : null;
  const budget = redis ? new RedisBudget(redis, { rule }) : new MemoryBudget({ rule });
  const base = {
    exchangeId: flags.exchange,
    ...credentialsFromEnv(process.env),
    exchangeUrl: flags.exchangeUrl,
    budget: { budget, onAlert },
  };
  const { exchange } = await createExchange(base);
  const { exchange: stream } = await createExchange({ ...base, pro: true });
  const { exchange: feedExchange } = await createExchange({ ...base, pro: true });
  const markets = new Markets(exchange);
  await markets.load();
  const inst = markets.instrument(flags.symbol);
  // Venue rules change (ticks, lots, minimums): refreshed hourly; the clock offset every minute.
  markets.startRefresh(3_600_000, (e) => log(`markets refresh failed: ${(e as Error).message}`));
  const skew = new ClockSkew(exchange, { onWarn: (m) => log(m) });
  await skew.measure();
  skew.start(60_000, (e) => log(`clock skew check failed: ${(e as Error).message}`));
  const store = await openConfiguredStore(config);
  const riskRepo = new RiskRepository(store.db);
  const strategyId = flags.strategyId ?? strategy.name;
  // Venue time: what its bars are stamped in (a simulator's can run ahead of this clock).
  const startedAt = (await exchange.fetchTime()) ?? Date.now();
  const bars = new AsyncQueue<readonly Bar[]>();
  const feed = new CcxtMarketData({
    exchange: feedExchange,
    symbol: flags.symbol,
    timeframe: flags.timeframe,
    since: startedAt - warmup * timeframeMs(exchange, flags.timeframe),
    onBars: (b) => bars.push(b),
    onLog: log,
  });
  let client: CcxtExecutionClient | null = null;
  const stop = async () => {
    await feed.stop();
    bars.end();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  try {
    const node = new TradingNode({
      instrument: inst,
      strategy,
      params,
      strategyId,
      cash,
      orders: new OrderRepository(store.db, flags.account ?? flags.exchange),
      snapshots: new StrategySnapshotRepository(store.db),
      risk: () => riskRepo.settings(),
      venue: (deliver, order) => {
        const c = (client = new CcxtExecutionClient(
          { exchange, stream, instruments: [inst], order, onAlert, onLog: log },
          deliver,
        ));
        c.start();
        return {
          submit: (o, ts) => c.submit(o, ts),
          cancel: (id, ts) => c.cancel(id, ts),
          orderByClientId: (id) => c.orderByClientId(id),
          openOrders: () => c.openOrders(),
          tradesSince: (ts) => c.tradesSince(ts),
          onBar: () => undefined, // the venue has its own market
        };
      },
      warmUntil: startedAt,
      onAlert,
      onLog: log,
    });
    await feed.start();
    log(
      `live ${strategyId} on ${flags.exchange} ${inst.id}: trading from ${new Date(startedAt).toISOString()}`,
    );
    const result = await node.run(bars);
    log(
      `live ${strategyId} stopped: ${result.barsProcessed} bars traded, ${result.reconciliations} reconciliations, drift ${result.drift}; ` +
        `position ${result.position.toFixed()}, cash ${result.cash.toFixed()} ${inst.quote}`,
    );
  } finally {
    markets.stop();
    skew.stop();
    redis?.disconnect();
    await (client as CcxtExecutionClient | null)?.close();
    await exchange.close();
    await store.close();
  }
}
