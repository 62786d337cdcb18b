import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { OrderRepository } from '../store/order-repository.js';
import { RiskRepository } from '../store/risk-repository.js';
import { StrategySnapshotRepository } from '../store/strategy-snapshot-repository.js';
import { loadConfig } from '../system/config.js';
import { TradingNode } from '../trading/live/trading-node.js';
import { parseParamList } from '../trading/strategy/params.js';
import { PaperVenue } from '../trading/venues/paper/paper-venue.js';
import { openBars } from '../trading/venues/replay/open-data.js';
import { loadStrategy } from './load-strategy.js';
import { decimalFlag, numberFlag } from './parse-flags.js';
import {
  replayInstrument,
  replayInstrumentOptions,
  type ReplayInstrumentFlags,
} from './replay-instrument.js';
import { failpointFromEnv } from './failpoint.js';
import { openConfiguredStore } from '../system/open-configured-store.js';

interface PaperFlags extends ReplayInstrumentFlags {
  params?: string;
  speed: string;
  account: string;
  strategyId?: string;
  export?: string;
}

/** Registers `kairos paper`. */
export function registerPaper(program: Command): void {
  replayInstrumentOptions(
    program
      .command('paper')
      .description(
        'paper-trade a strategy on a replayed feed; everything persists, and a restart resumes',
      )
      .argument('<strategy>', 'TypeScript strategy file'),
    'bars to replay (CSV, freqtrade JSON)',
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
    .action(async (file: string, flags: PaperFlags) => runPaper(file, flags));
}

async function runPaper(file: string, flags: PaperFlags): Promise<void> {
  const config = loadConfig(process.env);
  const speed = numberFlag('--speed', flags.speed);
  const cash = decimalFlag('--cash', flags.cash, 'positive');
  const params = flags.params ? parseParamList(flags.params) : {};
  const strategy = await loadStrategy(file, path.join(config.home, 'build'), flags.export);
  const instrument = await replayInstrument(flags);
  const store = await openConfiguredStore(config);
  const venueFile = path.join(
    config.home,
    'paper',
    flags.account.replace(/[^A-Za-z0-9_-]/g, '_'),
    'venue.json',
  );
  const strategyId = flags.strategyId ?? strategy.name;
  const riskRepo = new RiskRepository(store.db);
  let bars = 0;
  try {
    const node = new TradingNode({
      instrument,
      strategy,
      params,
      strategyId,
      cash,
      orders: new OrderRepository(store.db, flags.account),
      snapshots: new StrategySnapshotRepository(store.db),
      risk: () => riskRepo.settings(),
      venue: (deliver) =>
        new PaperVenue(venueFile, { venue: 'PAPER', instruments: [instrument] }, deliver),
      pace: speed > 0 ? (bar) => sleep((bar.closeTime - bar.openTime) / speed) : undefined,
      onAlert: (a) => process.stderr.write(`alert ${a.code}: ${a.message}\n`),
      onLog: (m) => process.stdout.write(`${m}\n`),
      failpoint: failpointFromEnv(process.env.KAIROS_FAILPOINT),
    });
    const result = await node.run(
      (async function* () {
        for await (const batch of openBars(flags.data, { instrumentId: instrument.id })) {
          bars += batch.length;
          yield batch;
        }
      })(),
    );
    const resumed =
      result.resumedFrom === null
        ? 'fresh start'
        : `resumed after ${new Date(result.resumedFrom).toISOString()}`;
    process.stdout.write(
      `paper ${strategyId} on ${instrument.id}: ${resumed}; recovery resolved ${result.recovery.resolved.length} orders, ${result.recovery.fillsApplied} fills; ` +
        `${result.reconciliations} reconciliations, drift ${result.drift}; ` +
        `${result.barsProcessed} of ${bars} bars traded; position ${result.position.toFixed()}, cash ${result.cash.toFixed()} ${instrument.quote}\n`,
    );
  } finally {
    await store.close();
  }
}
