import os from 'node:os';
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { KairosError } from '../trading/core/errors.js';
import { OBJECTIVE_NAMES } from '../trading/backtest/optimize/objective.js';
import type { PoolLimits } from '../system/optimize-pool.js';
import type { OptimizeResults } from '../system/run-optimize.js';
import { isS3Url } from '../cloud/s3-url.js';
import {
  addBarOptions,
  addMarketOptions,
  backtestSettingsOf,
  dataStem,
  safeName,
  type BacktestModelFlags,
} from './backtest-options.js';
import { cliConfig } from './cli-config.js';
import { durationFlag, integerFlag, numberFlag } from './parse-flags.js';
import { writeFilesAtomically } from './write-files-atomically.js';

/** The flags of `kairos optimize`, as commander gives them. */
export interface OptimizeFlags extends BacktestModelFlags {
  param?: string[];
  search: string;
  samples?: string;
  objective: string;
  walkForward?: string;
  trainRatio: string;
  workers?: string;
  runTimeout: string;
  top: string;
  out?: string;
  export?: string;
  cache?: boolean;
  progress: boolean;
}

const collect = (v: string, all: string[] = []) => [...all, v];

/** `--run-timeout`'s default: hundreds of times a 1M-bar backtest (docs/optimize.md). */
export const RUN_TIMEOUT = '30m';
/** The longest delay a Node timer keeps (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `--run-timeout`: a duration, or `none` for no limit. */
function runTimeoutFlag(value: string): PoolLimits {
  if (value === 'none') return { runTimeoutMs: null };
  let ms: number;
  try {
    ms = durationFlag('--run-timeout', value);
  } catch {
    throw new KairosError(
      'USAGE',
      `--run-timeout: must be a duration like 30s, 10m or 2h, or none, was "${value}"`,
    );
  }
  if (ms > MAX_TIMER_MS)
    throw new KairosError('USAGE', `--run-timeout: must be at most 24d, or none, was "${value}"`);
  return { runTimeoutMs: ms, runTimeoutText: value };
}

/** Registers `kairos optimize`. */
export function registerOptimize(program: Command): void {
  const cmd = program
    .command('optimize')
    .description(
      'sweep a strategy’s params over bars (grid or seeded random), rank the runs, walk forward',
    )
    .argument('<strategy>', 'TypeScript strategy file (export default defineStrategy(...))');
  addMarketOptions(cmd, 'bars (CSV, freqtrade JSON), .gz ok; or s3://bucket/key')
    .option(
      '--param <name=values>',
      'values of a param to sweep: a list 5,10,20, a range 5..30:5 (int, number), * (boolean, choices); repeat for each param',
      collect,
    )
    .option('--search <kind>', 'grid (every combination) or random (--samples of them)', 'grid')
    .option('--samples <n>', 'combinations drawn by --search random')
    .option('--seed <n>', 'seed of ctx.random() in every run and of --search random', '1')
    .option(
      '--objective <name>',
      `what ranks the runs: ${OBJECTIVE_NAMES.join(', ')} (max-drawdown: lower is better)`,
      'sharpe',
    )
    .option(
      '--walk-forward <folds>',
      'rolling walk-forward: each fold picks the best on its train window, then runs it on the test window after it',
    )
    .option('--train-ratio <r>', 'train window length / test window length (walk-forward)', '3')
    .option('--workers <n>', 'worker threads (default: the cores)')
    .option(
      '--run-timeout <duration>',
      'a run still going after this (30s, 10m, 2h) has its thread ended and is recorded as OPTIMIZE_RUN_TIMEOUT; none: no limit',
      RUN_TIMEOUT,
    )
    .option('--top <n>', 'rows of the ranked table', '10')
    .option(
      '--out <dir>',
      'folder for results.json and results.csv (default: $KAIROS_HOME/reports/optimize-<strategy>-<data>)',
    )
    .option('--export <name>', 'the strategy export to run (default: the default export)');
  addBarOptions(cmd)
    .option('--no-progress', 'no progress bar')
    .option(
      '--cache',
      'read the bars from their columnar copy in $KAIROS_HOME/cache/bars (built on first use)',
    )
    .action(async (strategyFile: string, flags: OptimizeFlags) => {
      await optimizeCommand(strategyFile, flags);
    });
}

/**
 * `kairos optimize`: checks the flags (each error names its flag), runs the sweep, prints the
 * ranked table and writes results.json and results.csv. Returns the results and where they went.
 */
export async function optimizeCommand(
  strategyFile: string,
  flags: OptimizeFlags,
): Promise<{ results: OptimizeResults; out: string }> {
  const settings = backtestSettingsOf(flags);
  if (flags.search !== 'grid' && flags.search !== 'random')
    throw new KairosError('USAGE', `--search: must be grid or random, was "${flags.search}"`);
  if (flags.search === 'random' && flags.samples === undefined)
    throw new KairosError('USAGE', '--samples: required with --search random');
  if (flags.search === 'grid' && flags.samples !== undefined)
    throw new KairosError('USAGE', '--samples: only with --search random');
  const positive = (flag: string, v: string) => {
    const n = numberFlag(flag, v, { integer: true });
    if (n < 1) throw new KairosError('USAGE', `${flag}: must be an integer ≥ 1, was "${v}"`);
    return n;
  };
  const search =
    flags.search === 'random'
      ? {
          kind: 'random' as const,
          samples: positive('--samples', flags.samples!),
          seed: integerFlag('--seed', flags.seed),
        }
      : { kind: 'grid' as const };
  const walkForward =
    flags.walkForward !== undefined
      ? {
          folds: positive('--walk-forward', flags.walkForward),
          trainRatio: numberFlag('--train-ratio', flags.trainRatio),
        }
      : undefined;
  if (walkForward && walkForward.trainRatio <= 0)
    throw new KairosError(
      'USAGE',
      `--train-ratio: must be a positive number, was "${flags.trainRatio}"`,
    );
  const workers =
    flags.workers !== undefined ? positive('--workers', flags.workers) : os.availableParallelism();
  const limits = runTimeoutFlag(flags.runTimeout);
  const top = positive('--top', flags.top);
  const data = isS3Url(flags.data)
    ? (await (await import('./object-file.js')).stageObject(flags.data, { mustExist: true })).file
    : flags.data;
  const home = cliConfig().home;
  // The sweep and its output load when one runs, not for the command tree of `kairos --help`.
  const [{ runOptimize }, { optimizeCsv, optimizeJson, printOptimize }] = await Promise.all([
    import('../system/run-optimize.js'),
    import('./optimize-output.js'),
  ]);
  const results = await runOptimize({
    data,
    strategyFile,
    ...(flags.export !== undefined ? { exportName: flags.export } : {}),
    buildDir: path.join(home, 'build'),
    settings,
    ...(flags.cache ? { columnCache: path.join(home, 'cache', 'bars') } : {}),
    params: flags.param ?? [],
    search,
    objective: flags.objective,
    ...(walkForward ? { walkForward } : {}),
    workers,
    limits,
    progress: (total) => progressBar(flags.progress && process.stderr.isTTY === true, total),
  });
  const out =
    flags.out ??
    path.join(
      home,
      'reports',
      `optimize-${safeName(results.strategy)}-${safeName(dataStem(flags.data))}`,
    );
  await mkdir(out, { recursive: true });
  const [json, csv] = await writeFilesAtomically(out, [
    { name: 'results.json', data: optimizeJson(results) },
    { name: 'results.csv', data: optimizeCsv(results) },
  ]);
  const rel = (p: string) => {
    const r = path.relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  // The files first: a reader that stops early (`| head`) ends the output, not the results.
  printOptimize(results, top);
  process.stdout.write(`results: ${rel(json!)}, ${rel(csv!)}\n`);
  return { results, out };
}

/** A bar of runs done on stderr when it is a terminal. */
function progressBar(enabled: boolean, total: number): { tick(): void; stop(): void } {
  if (!enabled) return { tick: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ' {bar} {percentage}% | {value}/{total} runs | eta {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  let stopped = false;
  return {
    tick: () => bar.increment(),
    stop: () => {
      if (!stopped) bar.stop();
      stopped = true;
    },
  };
}
