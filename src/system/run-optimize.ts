import os from 'node:os';
import path from 'node:path';
import {
  compareRanked,
  jsonValue,
  objective as objectiveNamed,
  type Objective,
} from '../trading/backtest/optimize/objective.js';
import {
  grid,
  paramList,
  paramSpace,
  sample,
  type Combination,
  type ParamValue,
} from '../trading/backtest/optimize/param-space.js';
import { walkForwardFolds } from '../trading/backtest/optimize/walk-forward.js';
import {
  chainedMetrics,
  paramStability,
  type ParamStability,
} from '../trading/backtest/optimize/walk-forward-summary.js';
import type { Metrics } from '../trading/backtest/report.js';
import { BAR_COLUMNS, columnsIn, rowsInRange } from '../trading/data/bar-columns.js';
import { KairosError } from '../trading/core/errors.js';
import { copyColumns } from '../trading/venues/replay/columnar-cache.js';
import { detectFormat } from '../trading/venues/replay/open-data.js';
import { bundleStrategy, importStrategy, writeBundle } from './load-strategy.js';
import { BacktestPool, type PoolLimits } from './optimize-pool.js';
import type { WindowError, WindowJob, WindowResult } from './optimize-window.js';
import {
  backtestInstrument,
  barColumnsOf,
  reportSettings,
  type BacktestSettings,
} from './run-backtest.js';

/** What `kairos optimize` runs. */
export interface OptimizeInput {
  readonly data: string;
  readonly strategyFile: string;
  readonly exportName?: string;
  /** Where the strategy's bundle is written. */
  readonly buildDir: string;
  readonly settings: BacktestSettings;
  /** The columnar cache's folder (`--cache`); else the bars are read into memory. */
  readonly columnCache?: string;
  /** `--param name=values`, one a param. */
  readonly params: readonly string[];
  readonly search:
    | { readonly kind: 'grid' }
    | { readonly kind: 'random'; readonly samples: number; readonly seed: number };
  readonly objective: string;
  /** `--walk-forward K --train-ratio R`. */
  readonly walkForward?: { readonly folds: number; readonly trainRatio: number };
  /** Worker threads (default: the cores). */
  readonly workers?: number;
  /** How long one run may take (`--run-timeout`); default: no limit. */
  readonly limits?: PoolLimits;
  /** Told the number of runs ahead (it grows once for walk-forward tests); `tick` after each. */
  readonly progress?: (total: number) => { tick(): void; stop(): void };
}

/** A window of the bars: open times `[from, to)` (null: unbounded), as `--from`/`--to` take them. */
export interface OptimizeWindow {
  readonly from: number | null;
  readonly to: number | null;
  readonly bars: number;
}

/** One run's figures in the results. */
export interface RunFigures {
  /** The objective's value: a number, "Infinity", or null when undefined for the run. */
  readonly objective: number | string | null;
  readonly metrics: Metrics | null;
  readonly error?: WindowError;
}

/** One combination in the results. */
export interface CombinationResult extends RunFigures {
  /** 1 is the best. */
  readonly rank: number;
  /** Its index in the grid (the last param varying fastest). */
  readonly index: number;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Walk-forward: its run on each fold's train window (`objective`: their mean). */
  readonly folds?: readonly (RunFigures & { readonly fold: number })[];
}

/** One walk-forward fold in the results. */
export interface FoldResult {
  readonly fold: number;
  readonly train: OptimizeWindow;
  readonly test: OptimizeWindow;
  /** The train window's best combination (null: none ran without error), and its figures there. */
  readonly best: {
    readonly index: number;
    readonly params: Readonly<Record<string, ParamValue>>;
    readonly train: RunFigures;
    /** Out of sample: the same params on the test window. */
    readonly test: RunFigures;
  } | null;
}

/** results.json. */
export interface OptimizeResults {
  readonly kairosOptimizeVersion: 1;
  readonly strategy: string;
  readonly instrumentId: string;
  readonly dataFile: string;
  readonly settings: Readonly<Record<string, string | number | null>>;
  readonly objective: { readonly name: string; readonly better: 'higher' | 'lower' };
  readonly search: OptimizeInput['search'];
  readonly space: {
    readonly params: Readonly<Record<string, readonly ParamValue[]>>;
    /** Combinations in the grid; skipped: those breaking a `lessThan` rule; run: those run. */
    readonly size: number;
    readonly skipped: number;
    readonly run: number;
    readonly failed: number;
  };
  readonly window: OptimizeWindow;
  readonly walkForward: {
    readonly mode: 'rolling';
    readonly folds: readonly FoldResult[];
    readonly trainRatio: number;
    /** The test windows chained: the out-of-sample figures. */
    readonly combined: RunFigures;
    readonly stability: readonly ParamStability[];
  } | null;
  /** Every combination run, best first. */
  readonly results: readonly CombinationResult[];
}

/**
 * A parameter sweep: every combination (or a seeded sample) of the `--param` values backtested
 * on the bars, in worker threads that each load the data once, ranked by the objective; with
 * walk-forward, each fold's best on its train window run again on its test window. The same
 * inputs give the same results, with any number of workers.
 *
 * @example
 * const results = await runOptimize({ data, strategyFile, buildDir, settings, params: ['fast=5..20:5'], search: { kind: 'grid' }, objective: 'sharpe' });
 */
export async function runOptimize(input: OptimizeInput): Promise<OptimizeResults> {
  const obj = objectiveNamed(input.objective);
  const { settings } = input;
  const format = await detectFormat(input.data);
  if (format.kind !== 'bars')
    throw new KairosError(
      'USAGE',
      `--data: optimize runs on bar files; ${path.basename(input.data)} holds trades`,
    );
  const bundle = await bundleStrategy(input.strategyFile);
  const module = await writeBundle(bundle, input.buildDir);
  const strategy = await importStrategy(module, input.exportName, input.strategyFile);
  const space = paramSpace(strategy.params, input.params);
  const selection =
    input.search.kind === 'grid'
      ? grid(strategy.params, space)
      : sample(strategy.params, space, input.search.samples, input.search.seed);
  if (selection.combinations.length === 0)
    throw new KairosError(
      'USAGE',
      `--param: every one of the ${space.size} combinations breaks a lessThan rule`,
    );
  const instrument = backtestInstrument(settings, format.tick, input.data);
  const all = await barColumnsOf(input.data, settings, instrument, input.columnCache);
  // One copy of the bars every thread reads.
  const shared = new SharedArrayBuffer(all.length * BAR_COLUMNS * 8);
  const columns = columnsIn(new Float64Array(shared), all.length);
  copyColumns(all, columns);
  const rows = rowsInRange(columns, {
    instrumentId: instrument.id,
    ...(settings.from !== undefined ? { from: settings.from } : {}),
    ...(settings.to !== undefined ? { to: settings.to } : {}),
  });
  if (!rows) throw new KairosError('DATA_EMPTY', 'the data holds no bars in the chosen range');
  const window: OptimizeWindow = {
    from: settings.from ?? null,
    to: settings.to ?? null,
    bars: rows.end - rows.start,
  };
  const rowWindow = (start: number, end: number): OptimizeWindow => ({
    from: columns.openTime[rows.start + start]!,
    to: rows.start + end < rows.end ? columns.openTime[rows.start + end]! : window.to,
    bars: end - start,
  });
  const folds = input.walkForward
    ? walkForwardFolds(window.bars, input.walkForward.folds, input.walkForward.trainRatio).map(
        (f) => ({
          fold: f.fold,
          train: rowWindow(f.train.start, f.train.end),
          test: rowWindow(f.test.start, f.test.end),
        }),
      )
    : null;
  const combos = selection.combinations;
  const firstJobs: WindowJob[] = combos.flatMap((c) =>
    (folds ?? [{ train: window }]).map((f) => ({
      params: c.params,
      from: f.train.from,
      to: f.train.to,
      detail: false,
    })),
  );
  const progress = input.progress?.(firstJobs.length + (folds?.length ?? 0));
  const pool = await BacktestPool.start(
    Math.min(input.workers ?? os.availableParallelism(), firstJobs.length),
    {
      module,
      exportName: input.exportName,
      strategyFile: input.strategyFile,
      columns: shared,
      length: columns.length,
      dataFile: input.data,
      dataTick: format.tick,
      settings,
    },
    input.limits,
  );
  try {
    const first = await pool.run(firstJobs, () => progress?.tick());
    const figures = (r: WindowResult): RunFigures & { value: number | null | undefined } => {
      const value = r.ok ? obj.of(r.metrics) : undefined;
      return r.ok
        ? { objective: jsonValue(value), metrics: r.metrics, value }
        : { objective: null, metrics: null, error: r.error, value };
    };
    const per = folds?.length ?? 1;
    const byCombo = combos.map((c, i) => first.slice(i * per, (i + 1) * per).map(figures));
    let walkForward: OptimizeResults['walkForward'] = null;
    if (folds) {
      const bests = folds.map((_, f) => bestOf(obj, combos, (i) => byCombo[i]![f]!.value));
      const tests = await pool.run(
        bests.flatMap((b, f) =>
          b === null
            ? []
            : [
                {
                  params: b.params,
                  from: folds[f]!.test.from,
                  to: folds[f]!.test.to,
                  detail: true,
                },
              ],
        ),
        () => progress?.tick(),
      );
      let t = 0;
      const foldResults: FoldResult[] = folds.map((f, k) => {
        const b = bests[k]!;
        if (b === null) return { ...f, best: null };
        const { value: _v, ...train } = byCombo[combos.indexOf(b)]![k]!;
        const { value: _w, ...test } = figures(tests[t++]!);
        return { ...f, best: { index: b.index, params: b.params, train, test } };
      });
      const oos = tests.flatMap((r) => (r.ok && r.detail ? [r.detail] : []));
      const combined = oos.length === tests.length && oos.length > 0 ? chainedMetrics(oos) : null;
      walkForward = {
        mode: 'rolling',
        trainRatio: input.walkForward!.trainRatio,
        folds: foldResults,
        combined: combined
          ? { objective: jsonValue(obj.of(combined)), metrics: combined }
          : { objective: null, metrics: null },
        stability: paramStability(
          bests.map((b) => b?.params ?? null),
          space.axes.filter((a) => a.values.length > 1).map((a) => a.name),
        ),
      };
    }
    progress?.stop();
    const scored = combos.map((c, i) => {
      const runs = byCombo[i]!;
      return { c, runs, value: folds ? meanOf(runs.map((r) => r.value)) : runs[0]!.value };
    });
    const ranked = [...scored].sort((a, b) =>
      compareRanked(obj)(
        { index: a.c.index, value: a.value },
        { index: b.c.index, value: b.value },
      ),
    );
    const results: CombinationResult[] = ranked.map((s, r) => {
      const { value: _v, ...only } = s.runs[0]!;
      return {
        rank: r + 1,
        index: s.c.index,
        params: s.c.params,
        ...(folds
          ? {
              objective: jsonValue(s.value),
              metrics: null,
              folds: s.runs.map(({ value: _w, ...f }, k) => ({ fold: k + 1, ...f })),
            }
          : only),
      };
    });
    return {
      kairosOptimizeVersion: 1,
      strategy: strategy.name,
      instrumentId: instrument.id,
      dataFile: path.basename(input.data),
      settings: reportSettings(settings, instrument),
      objective: { name: obj.name, better: obj.better },
      search: input.search,
      space: {
        params: Object.fromEntries(space.axes.map((a) => [a.name, a.values])),
        size: space.size,
        skipped: selection.skipped,
        run: combos.length,
        failed: scored.filter((s) => s.runs.some((r) => r.value === undefined)).length,
      },
      window,
      walkForward,
      results,
    };
  } finally {
    progress?.stop();
    await pool.close();
  }
}

/** The combination whose value ranks first (null when every run failed). */
function bestOf(
  obj: Objective,
  combos: readonly Combination[],
  value: (i: number) => number | null | undefined,
): Combination | null {
  const order = combos
    .map((c, i) => ({ index: c.index, value: value(i), c }))
    .sort(compareRanked(obj));
  return order[0]!.value === undefined ? null : order[0]!.c;
}

/** The mean of fold values: undefined if a run failed, null if one is undefined for its run. */
function meanOf(values: readonly (number | null | undefined)[]): number | null | undefined {
  if (values.some((v) => v === undefined)) return undefined;
  if (values.some((v) => v === null)) return null;
  return (values as number[]).reduce((s, v) => s + v, 0) / values.length;
}

/** `--params … --from … --to …`: the `kairos backtest` flags of a run of the results. */
export function backtestFlags(
  params: Readonly<Record<string, ParamValue>>,
  w: Pick<OptimizeWindow, 'from' | 'to'>,
): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  return [
    `--params ${paramList(params)}`,
    ...(w.from !== null ? [`--from ${iso(w.from)}`] : []),
    ...(w.to !== null ? [`--to ${iso(w.to)}`] : []),
  ].join(' ');
}
