import { KairosError } from '../../core/errors.js';
import type { Metrics } from '../report.js';

/** How a sweep ranks its runs: from the report's metrics (docs/metrics.md). */
export interface Objective {
  readonly name: ObjectiveName;
  /** Higher is better, or lower (max drawdown). */
  readonly better: 'higher' | 'lower';
  readonly describe: string;
  /** The value; null when it is not defined for the run (no round trip, no drawdown…). */
  readonly of: (m: Metrics) => number | null;
}

/** The objectives `--objective` takes. */
export const OBJECTIVE_NAMES = [
  'sharpe',
  'sortino',
  'total-return',
  'cagr',
  'calmar',
  'max-drawdown',
  'profit-factor',
  'win-rate',
] as const;

/** One of `OBJECTIVE_NAMES`. */
export type ObjectiveName = (typeof OBJECTIVE_NAMES)[number];

const OBJECTIVES: Readonly<Record<ObjectiveName, Omit<Objective, 'name'>>> = {
  sharpe: { better: 'higher', describe: 'Sharpe ratio', of: (m) => m.sharpe },
  sortino: { better: 'higher', describe: 'Sortino ratio', of: (m) => m.sortino },
  'total-return': { better: 'higher', describe: 'total return', of: (m) => m.totalReturn },
  cagr: { better: 'higher', describe: 'CAGR', of: (m) => m.cagr },
  calmar: {
    better: 'higher',
    describe: 'Calmar ratio (CAGR / max drawdown)',
    // No drawdown: a gain with no drawdown is better than any finite ratio; no gain, undefined.
    of: (m) => (m.maxDrawdown > 0 ? m.cagr / m.maxDrawdown : m.cagr > 0 ? Infinity : null),
  },
  'max-drawdown': { better: 'lower', describe: 'max drawdown', of: (m) => m.maxDrawdown },
  'profit-factor': {
    better: 'higher',
    describe: 'profit factor',
    // null in the metrics when no trip lost: winners only beat any ratio; no trip at all, undefined.
    of: (m) => m.profitFactor ?? (m.winRate > 0 ? Infinity : null),
  },
  'win-rate': {
    better: 'higher',
    describe: 'win rate',
    of: (m) => (m.roundTrips > 0 ? m.winRate : null),
  },
};

/**
 * The objective `--objective name` names; an unknown name is a `USAGE` error listing them.
 *
 * @example
 * objective('max-drawdown').better; // 'lower'
 */
export function objective(name: string): Objective {
  if (!(OBJECTIVE_NAMES as readonly string[]).includes(name))
    throw new KairosError(
      'USAGE',
      `--objective: must be one of ${OBJECTIVE_NAMES.join(', ')}, was ${JSON.stringify(name)}`,
    );
  return { name: name as ObjectiveName, ...OBJECTIVES[name as ObjectiveName] };
}

/** What a ranking compares: a run's objective value (undefined: the run failed) and its index. */
export interface Ranked {
  readonly index: number;
  readonly value: number | null | undefined;
}

/**
 * Orders runs best first: defined values by the objective (ties by the lower combination index,
 * the grid order), then those whose value is undefined (null), then failed runs (undefined),
 * each by index. A total order: the same results rank the same however they were computed.
 *
 * @example
 * [...runs].sort(compareRanked(objective('sharpe')));
 */
export function compareRanked(obj: Objective): (a: Ranked, b: Ranked) => number {
  const tier = (v: number | null | undefined) => (v === undefined ? 2 : v === null ? 1 : 0);
  return (a, b) => {
    const ta = tier(a.value);
    const tb = tier(b.value);
    if (ta !== tb) return ta - tb;
    if (ta === 0 && a.value !== b.value) {
      const d = (a.value as number) < (b.value as number) ? -1 : 1;
      return obj.better === 'higher' ? -d : d;
    }
    return a.index - b.index;
  };
}

/** An objective value as JSON has it: `"Infinity"` for an unbounded ratio (JSON has no ∞). */
export function jsonValue(v: number | null | undefined): number | string | null {
  if (v === undefined || v === null) return null;
  return Number.isFinite(v) ? v : String(v);
}
