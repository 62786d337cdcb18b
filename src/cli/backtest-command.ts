import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { renderReportHtml } from '../trading/backtest/report-html.js';
import { KairosError } from '../trading/core/errors.js';
import type { StrategyDefinition } from '../trading/strategy/define-strategy.js';
import { parseParamList, resolveParams } from '../trading/strategy/params.js';
import { reportText, runBacktest } from '../system/run-backtest.js';
import { loadStrategy } from '../system/load-strategy.js';
import { dateFlag, decimalFlag, durationFlag, integerFlag, numberFlag } from './parse-flags.js';
import { createProgress } from './progress.js';
import { printSummary } from './summary.js';
import { cliConfig, closedOrderRetentionOption, withClosedOrderRetention } from './cli-config.js';
import { isS3Url } from '../cloud/s3-url.js';
import { chartLibrarySource } from './paths.js';
import { writeFilesAtomically } from './write-files-atomically.js';

interface BacktestFlags {
  data: string;
  symbol?: string;
  quote?: string;
  tick?: string;
  lot: string;
  minQty?: string;
  minNotional?: string;
  cash: string;
  commission: string;
  makerFee?: string;
  takerFee?: string;
  slippageBps: string;
  latencyMs: string;
  buyFeeIn: string;
  from?: string;
  to?: string;
  params?: string;
  seed: string;
  out?: string;
  export?: string;
  lambda?: string;
  interval?: string;
  barInterval: string;
  allowShort?: boolean;
  adjustClose?: boolean;
  progress: boolean;
  cache?: boolean;
  closedOrderRetentionMs?: string;
}

/** Registers `kairos backtest`. */
export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('backtest a strategy file on historical bars or trades')
    .argument('<strategy>', 'TypeScript strategy file (export default defineStrategy(...))')
    .requiredOption(
      '--data <file|s3-url>',
      'bars (CSV, freqtrade JSON) or trades (JSON, CSV), .gz ok; or s3://bucket/key',
    )
    .option('--symbol <symbol>', 'instrument id, e.g. BTC/USDT (default: from the file name)')
    .option('--quote <ccy>', 'quote currency when the symbol has none', 'USD')
    .option(
      '--tick <size>',
      'price tick size (default: the finest step in the data, at most 8 decimals)',
    )
    .option('--lot <size>', 'quantity lot size', '1')
    .option('--min-qty <qty>', 'minimum order quantity (default: one lot)')
    .option('--min-notional <amount>', 'minimum order value', '0')
    .option('--cash <amount>', 'starting cash in the quote currency', '100000')
    .option('--commission <rate>', 'maker and taker fee as a fraction of notional', '0.001')
    .option('--maker-fee <rate>', 'maker fee (overrides --commission)')
    .option('--taker-fee <rate>', 'taker fee (overrides --commission)')
    .option('--slippage-bps <bps>', 'slippage on taker fills, basis points', '0')
    .option('--latency-ms <ms>', 'order and cancel latency to the simulated venue', '0')
    .option(
      '--buy-fee-in <asset>',
      "which asset pays a buy's fee: quote, or base (the asset received, as Binance charges)",
      'quote',
    )
    .option('--from <date>', 'first bar/trade time (YYYY-MM-DD, ISO-8601 or epoch ms), inclusive')
    .option('--to <date>', 'end time, exclusive')
    .option('--params <list>', 'strategy params, e.g. fast=10,slow=30,size=100')
    .option('--seed <n>', 'seed of ctx.random()', '1')
    .option(
      '--out <dir>',
      'folder for report.json and report.html (default: $KAIROS_HOME/reports/<strategy>-<data>)',
    )
    .option('--export <name>', 'the strategy export to run (default: the default export)')
    .option(
      '--interval <duration>',
      'bar interval of a generic CSV when it cannot be inferred, e.g. 1m',
    )
    .option('--bar-interval <duration>', 'bars built from trades, for onBar and charts', '1m')
    .option('--allow-short', 'let sells exceed the position (margin account)')
    .option(
      '--adjust-close',
      "split/dividend-adjust prices from the CSV's Adj Close column (open, high, low scaled by adj close / close), rounded half to even to the tick (default 0.01 with this flag): how backtrader's Yahoo feed reads the same file (docs/simulated-exchange.md)",
    )
    .option(...closedOrderRetentionOption())
    .option('--no-progress', 'no progress bar')
    .option(
      '--cache',
      'run from a columnar copy of the bar file, kept in $KAIROS_HOME/cache/bars (built on first use): the same report, faster for repeated runs and sweeps',
    )
    .option(
      '--lambda <function>',
      'run the strategy as this Lambda function, name[:alias|version]: the same report, slower (docs/cloud.md)',
    )
    .action(async (strategyFile: string, flags: BacktestFlags) =>
      backtestCommand(strategyFile, flags),
    );
}

async function backtestCommand(strategyFile: string, flags: BacktestFlags): Promise<void> {
  const from = flags.from !== undefined ? dateFlag('--from', flags.from) : undefined;
  const to = flags.to !== undefined ? dateFlag('--to', flags.to) : undefined;
  if (from !== undefined && to !== undefined && from >= to) {
    throw new KairosError('USAGE', `--from ${flags.from} is not before --to ${flags.to}`);
  }
  const commission = decimalFlag('--commission', flags.commission, 'non-negative');
  const settings = {
    cash: decimalFlag('--cash', flags.cash, 'positive'),
    lot: decimalFlag('--lot', flags.lot, 'positive'),
    tick: flags.tick !== undefined ? decimalFlag('--tick', flags.tick, 'positive') : undefined,
    minQty:
      flags.minQty !== undefined
        ? decimalFlag('--min-qty', flags.minQty, 'non-negative')
        : undefined,
    minNotional: decimalFlag('--min-notional', flags.minNotional ?? '0', 'non-negative'),
    makerFee:
      flags.makerFee !== undefined
        ? decimalFlag('--maker-fee', flags.makerFee, 'non-negative')
        : commission,
    takerFee:
      flags.takerFee !== undefined
        ? decimalFlag('--taker-fee', flags.takerFee, 'non-negative')
        : commission,
    slippageBps: numberFlag('--slippage-bps', flags.slippageBps, { max: 10_000 }),
    latencyMs: numberFlag('--latency-ms', flags.latencyMs, { integer: true }),
    buyFeeIn: buyFeeAsset(flags.buyFeeIn),
    seed: integerFlag('--seed', flags.seed),
    intervalMs:
      flags.interval !== undefined ? durationFlag('--interval', flags.interval) : undefined,
    barIntervalMs: durationFlag('--bar-interval', flags.barInterval),
    closedOrderRetentionMs: withClosedOrderRetention(cliConfig(), flags).closedOrderRetentionMs,
  };
  const rawParams = flags.params !== undefined ? parseParamList(flags.params) : {};
  // s3://bucket/key: read from a local copy, checked against the object's SHA-256.
  // (The S3 client is loaded only when a URL is given.)
  const data = isS3Url(flags.data)
    ? (await (await import('./object-file.js')).stageObject(flags.data, { mustExist: true })).file
    : flags.data;
  const load = () => loadStrategy(strategyFile, path.join(cliConfig().home, 'build'), flags.export);
  // With --lambda the strategy is loaded first: its params schema resolves what the function gets.
  const def = flags.lambda !== undefined ? await load() : null;
  const lambda = def ? await backtestLambda(flags.lambda!, def, rawParams) : null;
  const { report, run } = await runBacktest({
    data,
    strategy: def ? async () => def : load,
    ...(lambda ? { strategySeam: lambda.seam } : {}),
    params: rawParams,
    ...(flags.cache ? { columnCache: path.join(cliConfig().home, 'cache', 'bars') } : {}),
    settings: {
      ...settings,
      from,
      to,
      allowShort: flags.allowShort ?? false,
      adjustClose: flags.adjustClose ?? false,
      symbol: flags.symbol,
      quote: flags.quote,
    },
    progress: (rows) => createProgress(flags.progress && process.stderr.isTTY === true, rows),
  }).finally(() => lambda?.close());
  printSummary(report, run);
  const out =
    flags.out ??
    path.join(
      cliConfig().home,
      'reports',
      `${safeName(report.strategy)}-${safeName(dataStem(flags.data))}`,
    );
  await mkdir(out, { recursive: true });
  const html = renderReportHtml(report, { chartLibrarySource: await chartLibrarySource() });
  const [json, page] = await writeFilesAtomically(out, [
    { name: 'report.json', data: reportText(report) },
    { name: 'report.html', data: html },
  ]);
  const rel = (p: string) => {
    const r = path.relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  process.stdout.write(
    `${report.failure ? 'partial reports (run FAILED)' : 'reports'}: ${rel(json!)}, ${rel(page!)}\n`,
  );
  if (run.failure) throw run.failure;
}

/** `--lambda`: the function checked, the engine's seam; a halt is in the report's alerts. */
async function backtestLambda(
  spec: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  strategy: StrategyDefinition<any, any, any>,
  rawParams: Readonly<Record<string, unknown>>,
) {
  const { lambdaSeamFor } = await import('../system/lambda-strategy.js');
  return lambdaSeamFor(
    cliConfig(),
    spec,
    resolveParams(strategy.params, rawParams),
    async () => undefined,
  );
}

/** A data file's name without its extensions (`orcl-1995-2014.txt` → `orcl-1995-2014`). */
function dataStem(file: string): string {
  return path.basename(file).replace(/(\.(json|csv|txt|gz|feather|parquet))+$/i, '');
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');

function buyFeeAsset(value: string): 'quote' | 'base' {
  if (value !== 'quote' && value !== 'base')
    throw new KairosError('CONFIG_INVALID', `--buy-fee-in: must be quote or base, was ${value}`);
  return value;
}
