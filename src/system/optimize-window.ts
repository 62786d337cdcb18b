import { barName, reportRoundTrips, runMetrics } from '../trading/backtest/build-report.js';
import type { WindowRun } from '../trading/backtest/optimize/walk-forward-summary.js';
import type { ParamValue } from '../trading/backtest/optimize/param-space.js';
import type { Metrics } from '../trading/backtest/report.js';
import { decimalString } from '../trading/core/decimal.js';
import type { BarColumns } from '../trading/data/bar-columns.js';
import type { Instrument } from '../trading/model/instrument.js';
import type { StrategyDefinition } from '../trading/strategy/define-strategy.js';
import { StrategyError } from '../trading/strategy/strategy-error.js';
import { backtestEngine, type BacktestSettings } from './run-backtest.js';

/** One backtest of a sweep: a combination of params on a window of the bars (`[from, to)`). */
export interface WindowJob {
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Open times, as `kairos backtest --from/--to`: first included, end excluded (null: open). */
  readonly from: number | null;
  readonly to: number | null;
  /** Also return the equity curve and round trips (a walk-forward test window). */
  readonly detail: boolean;
}

/** Why a run of a sweep gave no metrics: the strategy threw, or the run could not start. */
export interface WindowError {
  readonly code: string;
  readonly message: string;
  /** When the strategy threw: in which handler, and at which bar (0-based) of the window. */
  readonly phase?: string;
  readonly barIndex?: number | null;
}

/** What one run gave. */
export type WindowResult =
  | {
      readonly ok: true;
      readonly metrics: Metrics;
      /** The report's period (bars named as `report.json` names them). */
      readonly period: { readonly from: number; readonly to: number; readonly bars: number };
      readonly detail?: WindowRun;
    }
  | { readonly ok: false; readonly error: WindowError };

/** What every run of a sweep shares: the strategy, the bars, the instrument and the settings. */
export interface WindowContext {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly strategy: StrategyDefinition<any, any, any>;
  readonly columns: BarColumns;
  readonly instrument: Instrument;
  readonly settings: BacktestSettings;
}

/**
 * Runs one job: the same engine and metrics as `kairos backtest` with these params, `--from` and
 * `--to` (so the numbers are the ones that command prints). A strategy that throws, or a run
 * that cannot start, is an error result, never a throw.
 *
 * @example
 * const r = await runWindow(ctx, { params: { fast: 10, slow: 30, size: '100' }, from: null, to: null, detail: false });
 */
export async function runWindow(ctx: WindowContext, job: WindowJob): Promise<WindowResult> {
  try {
    const engine = backtestEngine(ctx.strategy, job.params, ctx.settings, ctx.instrument);
    const run = await engine.runBarColumns(ctx.columns, {
      instrumentId: ctx.instrument.id,
      ...(job.from !== null ? { from: job.from } : {}),
      ...(job.to !== null ? { to: job.to } : {}),
    });
    if (run.failure) return { ok: false, error: errorOf(run.failure) };
    const trips = reportRoundTrips(run);
    const rec = run.recorder;
    const n = rec.length;
    return {
      ok: true,
      metrics: runMetrics(run, trips),
      period: {
        from: n > 0 ? barName(rec.times[0]!, rec.barMs) : 0,
        to: n > 0 ? barName(rec.times[n - 1]!, rec.barMs) : 0,
        bars: n,
      },
      ...(job.detail
        ? {
            detail: {
              times: rec.times.slice(0, n),
              equity: rec.equity.slice(0, n),
              startEquity: decimalString(run.startEquity),
              endEquity: decimalString(run.endEquity),
              roundTrips: trips,
              fees: decimalString(run.fees),
              barsInMarket: rec.barsInMarket,
            },
          }
        : {}),
    };
  } catch (e) {
    return { ok: false, error: errorOf(e) };
  }
}

function errorOf(e: unknown): WindowError {
  if (e instanceof StrategyError)
    return { code: e.code, message: e.message, phase: e.phase, barIndex: e.barIndex };
  const code = (e as { code?: unknown } | null)?.code;
  return {
    code: typeof code === 'string' ? code : 'ERROR',
    message: e instanceof Error ? e.message : String(e),
  };
}
