import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { OrderRepository } from '../store/order-repository.js';
import { RiskRepository } from '../store/risk-repository.js';
import { StrategySnapshotRepository } from '../store/strategy-snapshot-repository.js';
import type { Config } from '../system/config.js';
import { KairosError } from '../trading/core/errors.js';
import type { Bar, MarketEvent } from '../trading/data/market-data.js';
import type { Instrument } from '../trading/model/instrument.js';
import { TradingNode, type NodeRunResult } from '../trading/live/trading-node.js';
import { parseParamList, resolveParams } from '../trading/strategy/params.js';
import { PaperVenue } from '../trading/venues/paper/paper-venue.js';
import { detectFormat, openBars } from '../trading/venues/replay/open-data.js';
import { loadStrategy } from './load-strategy.js';
import { decimalFlag, numberFlag } from './parse-flags.js';
import {
  replayInstrument,
  replayInstrumentOptions,
  type ReplayInstrumentFlags,
} from './replay-instrument.js';
import { cliConfig, closedOrderRetentionOption, withClosedOrderRetention } from './cli-config.js';
import { failpointFromEnv } from './failpoint.js';
import { openConfiguredStore } from '../system/open-configured-store.js';
import { lambdaRuntime, type LambdaRuntime } from './lambda-runtime.js';
import { runLines } from './run-lines.js';
import type { RunLogging } from './run-logging.js';
import { replayedTradesSince, type LatestClosedBar } from '../trading/live/latest-closed-bar.js';
import { checkRunOwner, claimVenueFolder } from '../system/run-owner.js';

interface PaperFlags extends Omit<ReplayInstrumentFlags, 'data'> {
  data?: string;
  exchange?: string;
  exchangeUrl?: string;
  timeframe: string;
  warmup: string;
  params?: string;
  speed: string;
  account: string;
  strategyId?: string;
  export?: string;
  lambda?: string;
  closedOrderRetentionMs?: string;
  maxBanWait: string;
}

/** Where a paper run's bars come from: a replayed file or a venue's live market. */
interface MarketSource {
  readonly instrument: Instrument;
  readonly bars: AsyncIterable<readonly MarketEvent[]>;
  readonly pace?: (bar: Bar) => Promise<void>;
  /** Bars before it only warm the indicators (live data). */
  readonly warmUntil?: number;
  /** Live data: the venue's latest closed bar at start (`TradingNodeConfig.latestClosedBar`). */
  readonly latestClosedBar?: LatestClosedBar;
  readonly describe: string;
  /** Bars in the feed, when known (a file). */
  readonly totalBars?: number | null;
  readonly stop?: () => Promise<void>;
  /** Live data: starts the feed once the store is read (`VenueFeed.start`). */
  readonly start?: (tradesSince?: number) => Promise<void>;
  close(): Promise<void>;
}

/** The flags that mean something only with `--exchange` (flag, commander's attribute). */
const EXCHANGE_ONLY = [
  ['exchange-url', 'exchangeUrl'],
  ['timeframe', 'timeframe'],
  ['warmup', 'warmup'],
  ['max-ban-wait', 'maxBanWait'],
] as const;

/** Registers `kairos paper`. */
export function registerPaper(program: Command): void {
  replayInstrumentOptions(
    program
      .command('paper')
      .description(
        "paper-trade a strategy on a replayed file (--data) or a ccxt venue's live market " +
          '(--exchange); orders fill in the paper venue, everything persists, and a restart resumes',
      )
      .argument('<strategy>', 'TypeScript strategy file'),
    'bars to replay (CSV, freqtrade JSON)',
    true,
  )
    .option('--exchange <id>', 'live market data from this ccxt exchange instead of --data')
    .option('--exchange-url <url>', 'with --exchange: another base URL (a sandbox, a simulator)')
    .option('--timeframe <tf>', 'with --exchange: bar interval', '1m')
    .option('--warmup <bars>', 'with --exchange: past bars that only warm the indicators', '200')
    .option(
      '--max-ban-wait <seconds>',
      'with --exchange: at start, wait out a venue rate limit or ban this long at most (else exit saying until when)',
      '120',
    )
    .option('--params <list>', 'strategy params, e.g. fast=10,slow=30,size=100')
    .option(
      '--speed <factor>',
      'replay speed: bar time / real time (0 = as fast as possible)',
      '60',
    )
    .option('--account <id>', 'paper account (its venue state and orders)', 'paper')
    .option('--strategy-id <id>', 'id of this strategy run (default: the strategy name)')
    .option('--export <name>', 'the strategy export to run')
    .option(
      '--lambda <function>',
      'run the strategy as this Lambda function, name[:alias|version] (default alias live; docs/cloud.md)',
    )
    .option(...closedOrderRetentionOption())
    .action(async (file: string, flags: PaperFlags, cmd: Command) => {
      // With a venue, the instrument (tick, lot, fees) is the venue's: a flag would be ignored.
      for (const name of ['tick', 'lot', 'commission', 'quote', 'speed'])
        if (flags.exchange !== undefined && cmd.getOptionValueSource(name) === 'cli')
          throw new KairosError('USAGE', `--${name}: not with --exchange (the venue sets it)`);
      // A replay reaches no venue: a flag of the venue's market would be ignored.
      if (flags.data !== undefined && flags.exchange === undefined)
        for (const [name, attr] of EXCHANGE_ONLY)
          if (cmd.getOptionValueSource(attr) === 'cli')
            throw new KairosError(
              'USAGE',
              `--${name}: only with --exchange (a replay of --data reaches no venue, so it would be ignored)`,
            );
      await runPaper(file, flags);
    });
}

/** The bars of `--data`, replayed at `--speed`. */
async function replaySource(data: string, flags: PaperFlags): Promise<MarketSource> {
  const speed = numberFlag('--speed', flags.speed);
  const instrument = await replayInstrument({ ...flags, data });
  return {
    instrument,
    bars: (async function* () {
      yield* openBars(data, { instrumentId: instrument.id });
    })(),
    pace: speed > 0 ? (bar) => sleep((bar.closeTime - bar.openTime) / speed) : undefined,
    describe: data,
    totalBars: (await detectFormat(data)).estimatedRows ?? null,
    close: async () => undefined,
  };
}

/**
 * A venue's live closed bars (public data: no keys are given to the exchange, so no order can
 * reach it); the instrument's tick, lot and fees are the venue's.
 */
async function venueSource(
  config: Config,
  exchange: string,
  flags: PaperFlags,
  trades: boolean,
  logs: RunLogging,
): Promise<MarketSource> {
  if (flags.symbol === undefined) {
    throw new KairosError('USAGE', '--symbol: required with --exchange, e.g. BTC/USDT');
  }
  const { openVenueFeed } = await import('./venue-feed.js');
  const { banWaiter, openWaitingOutBans } = await import('./venue-ban-wait.js');
  // Start-up during a rate limit or ban: waited out (bounded) or one line saying until when, as
  // `kairos live`.
  const maxBanWaitMs = numberFlag('--max-ban-wait', flags.maxBanWait) * 1000;
  const symbol = flags.symbol;
  const venue = await openWaitingOutBans(exchange, banWaiter(maxBanWaitMs, logs.venueLine), () =>
    openVenueFeed(
      config,
      { ...flags, exchange, symbol },
      {},
      { alert: logs.onAlert, log: logs.venueLine },
      { trades },
    ),
  );
  return {
    // Started once the store is read; bars queue up until the node reads them.
    start: (tradesSince) => venue.start(tradesSince),
    instrument: venue.instrument,
    bars: venue.bars,
    warmUntil: venue.startedAt,
    ...(venue.latestClosedBar ? { latestClosedBar: venue.latestClosedBar } : {}),
    describe: `${exchange} live data from ${new Date(venue.startedAt).toISOString()}; orders fill in the paper venue`,
    stop: () => venue.stop(),
    close: () => venue.close(),
  };
}

async function runPaper(file: string, flags: PaperFlags): Promise<void> {
  const config = withClosedOrderRetention(cliConfig(), flags);
  if ((flags.data === undefined) === (flags.exchange === undefined)) {
    throw new KairosError(
      'USAGE',
      '--data or --exchange: give exactly one (a file to replay, or a venue whose live market to trade on)',
    );
  }
  const cash = decimalFlag('--cash', flags.cash, 'positive');
  const params = flags.params ? parseParamList(flags.params) : {};
  // A bad --lambda name, or a function that is not there, is refused before the strategy is
  // loaded and the store opened.
  const lambda = await lambdaRuntime(config, flags.lambda);
  try {
    await paperWith(file, flags, config, cash, params, lambda);
  } finally {
    lambda?.close();
  }
}

async function paperWith(
  file: string,
  flags: PaperFlags,
  config: Config,
  cash: ReturnType<typeof decimalFlag>,
  params: Record<string, unknown>,
  lambda: LambdaRuntime | null,
): Promise<void> {
  const strategy = await loadStrategy(file, path.join(config.home, 'build'), flags.export);
  // A replay tells its whole story on stdout and ends: its log starts at `warn` (docs/logging.md).
  const { runLogging } = await import('./run-logging.js');
  const logs = runLogging(config, 'paper', 'PAPER', flags.data ? 'warn' : undefined);
  await logs.openMetrics();
  const source = flags.data
    ? await replaySource(flags.data, flags)
    : await venueSource(config, flags.exchange!, flags, strategy.onTrade !== undefined, logs);
  const { instrument } = source;
  const venueFile = path.join(
    config.home,
    'paper',
    flags.account.replace(/[^A-Za-z0-9_-]/g, '_'),
    'venue.json',
  );
  // One run per (account, strategy id): another account's run of the same file gets its own id.
  const strategyId =
    flags.strategyId ??
    (flags.account === 'paper' ? strategy.name : `${strategy.name}@${flags.account}`);
  const lines = runLines(
    {
      mode: 'paper',
      strategy: strategy.name,
      strategyId,
      account: flags.account,
      venue: 'PAPER',
      instrument: instrument.id,
      params: resolveParams(strategy.params, params),
      source: source.describe,
      totalBars: source.totalBars ?? null,
      ...(flags.lambda !== undefined ? { lambda: flags.lambda } : {}),
    },
    { onStop: () => source.stop?.() },
  );
  let store: Awaited<ReturnType<typeof openConfiguredStore>> | null = null;
  let result: NodeRunResult | null = null;
  let venue: PaperVenue | null = null;
  try {
    store = await openConfiguredStore(config, logs.metrics ?? undefined, logs.logger);
    await checkRunOwner(store.db, {
      accountId: flags.account,
      strategyId,
      instrumentId: instrument.id,
    });
    claimVenueFolder(path.dirname(venueFile), flags.account);
    const snapshots = new StrategySnapshotRepository(store.db, flags.account);
    // A node that plays again the bar it died in hears that bar's trades again first.
    const resume = source.start ? await snapshots.latest(strategyId) : null;
    await source.start?.(replayedTradesSince(resume?.ts ?? null, source.latestClosedBar));
    const riskRepo = new RiskRepository(store.db);
    const node = new TradingNode({
      instrument,
      strategy,
      params,
      strategyId,
      accountId: flags.account,
      cash,
      closedOrderRetentionMs: config.closedOrderRetentionMs,
      // The node's clock is the replay's: the audit log stamps its rows with the wall clock too.
      orders: lines.orders(new OrderRepository(store.db, flags.account, Date.now)),
      snapshots: lines.snapshots(snapshots),
      risk: () => riskRepo.settings(),
      venue: (deliver) =>
        (venue = new PaperVenue(
          venueFile,
          { venue: 'PAPER', instruments: [instrument] },
          deliver,
          undefined,
          // A live feed's bars never wait for a snapshot (a replay's neither).
          { compactOffThread: true },
        )),
      pace: source.pace,
      ...(source.warmUntil === undefined ? {} : { warmUntil: source.warmUntil }),
      // The bar it died in, when the venue closed no other since, is played again (docs/paper.md).
      ...(source.latestClosedBar ? { latestClosedBar: source.latestClosedBar } : {}),
      onAlert: logs.onAlert,
      // The strategy's own messages are the user's output.
      onLog: (m) => process.stdout.write(`${m}\n`),
      observe: logs.observe,
      onReconciled: logs.onReconciled,
      failpoint: failpointFromEnv(config.failpoint),
      // A replay owns its time: a crashed bar is replayed exactly (docs/paper.md).
      ownsTime: source.warmUntil === undefined,
      ...(lambda ? { strategySeam: lambda.seam(strategy, params, store, logs.metrics) } : {}),
    });
    result = await node.run(lines.feed(source.bars));
    process.stdout.write(
      `recovery resolved ${result.recovery.resolved.length} orders, ${result.recovery.fillsApplied} fills; ` +
        `${result.reconciliations} reconciliations, drift ${result.drift}; ${result.barsProcessed} bars traded\n`,
    );
  } catch (e) {
    (venue as PaperVenue | null)?.close();
    lines.end(result, instrument);
    // A fatal error ends the command at once (one line, non-zero): a live feed that is slow to
    // close must not keep it hanging.
    void source.close().catch(() => undefined);
    await store?.close();
    await logs.closeMetrics();
    throw e;
  }
  (venue as PaperVenue | null)?.close();
  lines.end(result, instrument);
  await source.close();
  await store.close();
  await logs.closeMetrics();
}
