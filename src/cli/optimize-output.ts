import Table from 'cli-table3';
import type { Metrics } from '../trading/backtest/report.js';
import type { ParamValue } from '../trading/backtest/optimize/param-space.js';
import {
  backtestFlags,
  type OptimizeResults,
  type OptimizeWindow,
  type RunFigures,
} from '../system/run-optimize.js';

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const num = (v: number | string | null) =>
  v === null ? 'n/a' : typeof v === 'string' ? v : Number.isInteger(v) ? String(v) : v.toFixed(4);
const day = 86_400_000;
const when = (ms: number) => {
  const iso = new Date(ms).toISOString();
  return ms % day === 0 ? iso.slice(0, 10) : iso.replace('.000Z', 'Z');
};
const span = (w: OptimizeWindow) =>
  `${w.from === null ? 'start' : when(w.from)} → ${w.to === null ? 'end' : when(w.to)} (${w.bars})`;

/** Tables without a line between rows. */
const COMPACT = {
  style: { head: [], border: [] },
  chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
};

/** The params a sweep varies, shown as `fast=10 slow=30`. */
function swept(results: OptimizeResults, params: Readonly<Record<string, ParamValue>>): string {
  const names = Object.entries(results.space.params)
    .filter(([, v]) => v.length > 1)
    .map(([k]) => k);
  return (names.length ? names : Object.keys(params)).map((k) => `${k}=${params[k]}`).join(' ');
}

const figures = (f: RunFigures): string[] =>
  f.metrics
    ? [
        num(f.objective),
        pct(f.metrics.totalReturn),
        f.metrics.sharpe.toFixed(3),
        pct(f.metrics.maxDrawdown),
        String(f.metrics.roundTrips),
      ]
    : [f.error ? `failed: ${f.error.code}` : 'n/a', '', '', '', ''];

/** The objectives the out-of-sample line shows anyway (return, Sharpe, max drawdown). */
const ALWAYS_SHOWN: ReadonlySet<string> = new Set(['sharpe', 'total-return', 'max-drawdown']);

/** Prints the ranked table (top `top`) and, with walk-forward, the folds and out-of-sample lines. */
export function printOptimize(results: OptimizeResults, top: number): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const obj = results.objective.name;
  const s = results.space;
  out(
    `${results.strategy} on ${results.instrumentId}: ${s.run} of ${s.size} combinations run` +
      `${s.skipped ? `, ${s.skipped} skipped (break a lessThan rule)` : ''}` +
      `${s.failed ? `, ${s.failed} failed` : ''}; objective ${obj}` +
      `${results.objective.better === 'lower' ? ' (lower is better)' : ''}`,
  );
  const wf = results.walkForward;
  const t = new Table({
    head: wf
      ? ['rank', 'params', `${obj} (train mean)`, ...wf.folds.map((f) => `fold ${f.fold}`)]
      : ['rank', 'params', obj, 'return', 'Sharpe', 'max DD', 'trips'],
    ...COMPACT,
  });
  for (const r of results.results.slice(0, top)) {
    const failed = r.error ?? r.folds?.find((f) => f.error)?.error;
    t.push(
      wf
        ? [
            String(r.rank),
            swept(results, r.params),
            failed ? `failed: ${failed.code}` : num(r.objective),
            ...(r.folds ?? []).map((f) => (f.error ? 'failed' : num(f.objective))),
          ]
        : [String(r.rank), swept(results, r.params), ...figures(r)],
    );
  }
  out(t.toString());
  if (!wf) {
    const best = results.results[0];
    if (best?.metrics)
      out(
        `best: kairos backtest … ${backtestFlags(best.params, results.window)} --seed ${results.settings.seed}`,
      );
    return;
  }
  const f = new Table({
    head: [
      'fold',
      'train',
      'test',
      'best params',
      `train ${obj}`,
      `test ${obj}`,
      'test return',
      'test trips',
    ],
    ...COMPACT,
  });
  for (const fold of wf.folds) {
    const b = fold.best;
    f.push([
      String(fold.fold),
      span(fold.train),
      span(fold.test),
      b ? swept(results, b.params) : 'none (all failed)',
      b ? num(b.train.objective) : '',
      b ? (b.test.metrics ? num(b.test.objective) : `failed: ${b.test.error?.code}`) : '',
      b?.test.metrics ? pct(b.test.metrics.totalReturn) : '',
      b?.test.metrics ? String(b.test.metrics.roundTrips) : '',
    ]);
  }
  out(f.toString());
  const c = wf.combined.metrics;
  out(
    c
      ? `out of sample (the ${wf.folds.length} test windows chained): return ${pct(c.totalReturn)}, ` +
          // The objective once: not again when it is one of the figures the line always shows.
          `${ALWAYS_SHOWN.has(obj) ? '' : `${obj} ${num(wf.combined.objective)}, `}` +
          `Sharpe ${c.sharpe.toFixed(3)}, max DD ${pct(c.maxDrawdown)}, ${c.roundTrips} round trips`
      : 'out of sample: n/a (a fold has no test run)',
  );
  for (const p of wf.stability)
    out(
      `stability of ${p.name}: ${p.values.map((v) => (v === null ? '-' : String(v))).join(', ')} ` +
        `(${p.distinct} distinct; ${String(p.mostCommon)} in ${pct(p.mostCommonShare)} of folds` +
        `${p.relativeSpread !== undefined ? `; mean ${p.mean}, spread ${pct(p.relativeSpread)}` : ''})`,
    );
}

/** results.json: the results, one space of indent, ∞ as "Infinity" (numbers otherwise). */
export function optimizeJson(results: OptimizeResults): string {
  return `${JSON.stringify(results, null, 1)}\n`;
}

const METRICS: readonly (keyof Metrics)[] = [
  'startEquity',
  'endEquity',
  'totalReturn',
  'cagr',
  'sharpe',
  'sortino',
  'maxDrawdown',
  'maxDrawdownDuration',
  'winRate',
  'profitFactor',
  'roundTrips',
  'exposure',
  'fees',
  'periodsPerYear',
];

const cell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * results.csv: one row a run: every combination's (window `all`, or `train-<fold>` with
 * walk-forward) and each fold's best on its test window (`test-<fold>`), with rank, index, the
 * params, the objective, the metrics and the error's code and message.
 */
export function optimizeCsv(results: OptimizeResults): string {
  const names = Object.keys(results.space.params);
  const rows: string[][] = [
    ['window', 'rank', 'index', ...names, 'objective', ...METRICS, 'error', 'message'],
  ];
  const row = (
    window: string,
    rank: number | null,
    index: number,
    params: Readonly<Record<string, ParamValue>>,
    f: RunFigures,
  ) =>
    rows.push(
      [
        window,
        rank,
        index,
        ...names.map((n) => params[n]),
        f.objective,
        ...METRICS.map((k) => f.metrics?.[k]),
        f.error?.code,
        f.error?.message,
      ].map(cell),
    );
  for (const r of results.results) {
    if (r.folds) for (const f of r.folds) row(`train-${f.fold}`, r.rank, r.index, r.params, f);
    else row('all', r.rank, r.index, r.params, r);
  }
  for (const fold of results.walkForward?.folds ?? [])
    if (fold.best)
      row(`test-${fold.fold}`, null, fold.best.index, fold.best.params, fold.best.test);
  return rows.map((r) => r.join(',')).join('\n') + '\n';
}
