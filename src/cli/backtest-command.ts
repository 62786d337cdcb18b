import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { StrategyDefinition } from '../trading/strategy/define-strategy.js';
import { parseParamList, resolveParams } from '../trading/strategy/params.js';
import {
  addBarOptions,
  addMarketOptions,
  backtestSettingsOf,
  dataStem,
  safeName,
  type BacktestModelFlags,
} from './backtest-options.js';
import { cliConfig } from './cli-config.js';
import { isS3Url } from '../cloud/s3-url.js';
import { chartLibrarySource } from './paths.js';
import { writeFilesAtomically } from './write-files-atomically.js';

interface BacktestFlags extends BacktestModelFlags {
  params?: string;
  out?: string;
  export?: string;
  lambda?: string;
  barInterval: string;
  progress: boolean;
  cache?: boolean;
}

/** Registers `kairos backtest`. */
export function registerBacktest(program: Command): void {
  const cmd = program
    .command('backtest')
    .description('backtest a strategy file on historical bars or trades')
    .argument('<strategy>', 'TypeScript strategy file (export default defineStrategy(...))');
  addMarketOptions(
    cmd,
    'bars (CSV, freqtrade JSON) or trades (JSON, CSV), .gz ok; or s3://bucket/key',
  )
    .option('--params <list>', 'strategy params, e.g. fast=10,slow=30,size=100')
    .option('--seed <n>', 'seed of ctx.random()', '1')
    .option(
      '--out <dir>',
      'folder for report.json and report.html (default: $KAIROS_HOME/reports/<strategy>-<data>)',
    )
    .option('--export <name>', 'the strategy export to run (default: the default export)')
    .option('--bar-interval <duration>', 'bars built from trades, for onBar and charts', '1m');
  addBarOptions(cmd)
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
  const settings = backtestSettingsOf(flags);
  // The engine, the strategy loader, the report and its printing load when a backtest runs, not
  // for the command tree of `kairos --help`.
  const [
    { reportText, runBacktest },
    { loadStrategy },
    { renderReportHtml },
    { printSummary },
    { createProgress },
  ] = await Promise.all([
    import('../system/run-backtest.js'),
    import('../system/load-strategy.js'),
    import('../trading/backtest/report-html.js'),
    import('./summary.js'),
    import('./progress.js'),
  ]);
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
    settings,
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
