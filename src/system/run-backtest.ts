import path from 'node:path';
import {
  BacktestEngine,
  type BacktestConfig,
  type BacktestRun,
  type ProgressCallback,
} from '../trading/backtest/backtest-engine.js';
import { buildReport } from '../trading/backtest/build-report.js';
import type { BacktestReport } from '../trading/backtest/report.js';
import { BarAggregator } from '../trading/data/bar-aggregator.js';
import type { SeamHost, StrategySeam } from '../trading/strategy/strategy-seam.js';
import type { StrategyDefinition } from '../trading/strategy/define-strategy.js';
import { KairosError } from '../trading/core/errors.js';
import { CLOSED_ORDER_RETENTION_MS } from '../trading/execution/order-retention.js';
import { loadColumns, readColumns } from '../trading/venues/replay/columnar-cache.js';
import type { BarColumns } from '../trading/data/bar-columns.js';
import { openBarsOffThread } from '../trading/venues/replay/open-bars-off-thread.js';
import { detectFormat, openTrades } from '../trading/venues/replay/open-data.js';
import type { Instrument } from '../trading/model/instrument.js';
import { instrumentFromFlags } from './instrument-from-flags.js';

/** The market model and account of a backtest (the `kairos backtest` flags, checked). */
export interface BacktestSettings {
  readonly cash: string;
  readonly lot: string;
  /** Price tick (default: the finest step in the data). */
  readonly tick?: string;
  readonly minQty?: string;
  readonly minNotional: string;
  readonly makerFee: string;
  readonly takerFee: string;
  readonly slippageBps: number;
  readonly latencyMs: number;
  /** Which asset pays a buy's fee (default quote; Binance charges the base received). */
  readonly buyFeeIn?: 'quote' | 'base';
  readonly seed: number;
  /** Bar interval of a generic CSV when it cannot be inferred. */
  readonly intervalMs?: number;
  /** Bars built from trades, for onBar and charts. */
  readonly barIntervalMs: number;
  /** First bar/trade time, inclusive; end time, exclusive (ms). */
  readonly from?: number;
  readonly to?: number;
  readonly allowShort: boolean;
  /** Instrument id (default: from the file name) and the quote currency when it has none. */
  readonly symbol?: string;
  readonly quote?: string;
  /**
   * Prices adjusted from the file's "Adj Close" column and rounded to the tick (default 0.01
   * with it), as backtrader's Yahoo feed reads the same files. Default false: the prices as they are.
   */
  readonly adjustClose?: boolean;
  /**
   * How long after it closed a strategy still reads an order (`ctx.order`), ms of the simulated
   * clock, as the paper and live OMS keep it (default 10 minutes). Shown in the report when not
   * the default.
   */
  readonly closedOrderRetentionMs?: number;
}

/** What a backtest runs: a strategy (loaded once the data file is known good) on a data file. */
export interface BacktestInput {
  readonly data: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly strategy: () => Promise<StrategyDefinition<any, any, any>>;
  readonly params: Readonly<Record<string, unknown>>;
  readonly settings: BacktestSettings;
  /** How the engine talks to the strategy (default in-process; a Lambda function: `--lambda`). */
  readonly strategySeam?: (host: SeamHost) => StrategySeam;
  /**
   * A folder for columnar copies of bar files: the run reads the copy (built on first use, again
   * when the file changes) instead of parsing the file. The same report; for repeated runs.
   */
  readonly columnCache?: string;
  /** A progress display, told the estimated number of rows (null: unknown). */
  readonly progress?: (estimatedRows: number | null) => {
    update: ProgressCallback;
    stop(): void;
  };
}

/**
 * One backtest from a data file to its report: what `kairos backtest` and the API's backtest
 * jobs both run, so the same inputs give the same report (byte for byte, `reportText`).
 *
 * @example
 * const { report } = await runBacktest({ data: 'orcl.txt', strategy: () => loadStrategy(file, dir), params: {}, settings });
 */
export async function runBacktest(
  input: BacktestInput,
): Promise<{ report: BacktestReport; run: BacktestRun }> {
  const { settings } = input;
  const format = await detectFormat(input.data);
  if (input.columnCache !== undefined && format.kind !== 'bars')
    throw new KairosError(
      'USAGE',
      `--cache keeps bar files; ${path.basename(input.data)} holds trades (run it without --cache)`,
    );
  const strategy = await input.strategy();
  const instrument = backtestInstrument(settings, format.tick, input.data);
  const adjustClose = adjustCloseOf(settings, instrument);
  const engine = backtestEngine(strategy, input.params, settings, instrument, {
    expectedBars: format.kind === 'bars' ? (format.estimatedRows ?? undefined) : undefined,
    ...(input.strategySeam ? { strategySeam: input.strategySeam } : {}),
  });
  const range = {
    instrumentId: instrument.id,
    from: settings.from,
    to: settings.to,
    intervalMs: settings.intervalMs,
    ...(adjustClose ? { adjustClose } : {}),
  };
  // The whole file goes in the copy (its key: path, size, mtime, instrument, interval); the run
  // takes the rows of the range, as the reader would.
  const columns =
    input.columnCache !== undefined
      ? await barColumnsOf(input.data, settings, instrument, input.columnCache)
      : null;
  const progress = input.progress?.(columns?.length ?? format.estimatedRows ?? null);
  // A bar file is parsed on a second thread while the engine runs its bars on this one.
  const run = columns
    ? await engine.runBarColumns(columns, range, progress?.update)
    : format.kind === 'bars'
      ? await engine.runBars(openBarsOffThread(input.data, range), progress?.update)
      : await engine.runTrades(
          openTrades(input.data, range),
          (emit) => new BarAggregator(settings.barIntervalMs, emit),
          progress?.update,
        );
  progress?.stop();
  const report = buildReport(run, {
    strategy: strategy.name,
    instrumentId: instrument.id,
    dataFile: path.basename(input.data),
    settings: reportSettings(settings, instrument),
  });
  return { report, run };
}

/**
 * Every bar of a bar file as columns: from its columnar copy in `columnCache` (built on first
 * use), or, without one, read into memory.
 */
export async function barColumnsOf(
  data: string,
  settings: BacktestSettings,
  instrument: Instrument,
  columnCache: string | undefined,
): Promise<BarColumns> {
  const adjustClose = adjustCloseOf(settings, instrument);
  const opts = { instrumentId: instrument.id, intervalMs: settings.intervalMs, adjustClose };
  if (columnCache === undefined) return readColumns(data, opts);
  // Adjusted copies live in a folder of their own since volume is adjusted too
  // (2026-12-06): one built before, with the volume as written, is never read.
  return loadColumns(
    data,
    opts,
    adjustClose ? path.join(columnCache, 'adj-close-volume') : columnCache,
  );
}

/** The instrument of a backtest: the flags, with the data's finest step as the default tick. */
export function backtestInstrument(
  settings: BacktestSettings,
  dataTick: string,
  data: string,
): Instrument {
  return instrumentFromFlags(
    { ...settings, tick: settings.tick ?? (settings.adjustClose ? '0.01' : dataTick) },
    data,
  );
}

/** `--adjust-close`: the prices adjusted and rounded to the instrument's tick. */
export function adjustCloseOf(
  settings: BacktestSettings,
  instrument: Instrument,
): { readonly tick: string } | undefined {
  return settings.adjustClose ? { tick: instrument.tickSize.toFixed() } : undefined;
}

/**
 * The engine of a backtest with these settings (what `runBacktest` and each run of a parameter
 * sweep build, so both give the same metrics).
 */
export function backtestEngine(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  strategy: StrategyDefinition<any, any, any>,
  params: Readonly<Record<string, unknown>>,
  settings: BacktestSettings,
  instrument: Instrument,
  extra: Pick<BacktestConfig, 'expectedBars' | 'strategySeam'> = {},
): BacktestEngine {
  return new BacktestEngine({
    instrument,
    ...extra,
    strategy,
    params,
    cash: settings.cash,
    slippageBps: settings.slippageBps,
    latencyMs: settings.latencyMs,
    buyFeeIn: settings.buyFeeIn ?? 'quote',
    seed: settings.seed,
    allowShort: settings.allowShort,
    ...(settings.closedOrderRetentionMs !== undefined
      ? { closedOrderRetentionMs: settings.closedOrderRetentionMs }
      : {}),
  });
}

/** The settings a report lists. */
export function reportSettings(
  settings: BacktestSettings,
  instrument: Instrument,
): Record<string, string | number | null> {
  return {
    cash: settings.cash,
    currency: instrument.quote,
    tick: instrument.tickSize.toFixed(),
    lot: instrument.lotSize.toFixed(),
    makerFee: settings.makerFee,
    takerFee: settings.takerFee,
    slippageBps: settings.slippageBps,
    latencyMs: settings.latencyMs,
    ...(settings.buyFeeIn === 'base' ? { buyFeeIn: 'base' } : {}),
    ...(settings.adjustClose ? { prices: 'adj-close' } : {}),
    // Only when not the default, so the reports of every run before it read the same.
    ...(settings.closedOrderRetentionMs !== undefined &&
    settings.closedOrderRetentionMs !== CLOSED_ORDER_RETENTION_MS
      ? { closedOrderRetentionMs: settings.closedOrderRetentionMs }
      : {}),
    seed: settings.seed,
    from: settings.from ?? null,
    to: settings.to ?? null,
  };
}

/** `report.json` as written: the same text from the CLI and the API. */
export function reportText(report: BacktestReport): string {
  return `${JSON.stringify(report, null, 1)}\n`;
}
