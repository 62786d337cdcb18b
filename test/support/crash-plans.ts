import { SeededRandom } from '../../src/trading/core/random.js';
import type { CrashRig } from './crash-harness.js';

/** Kill points by kind: whether a step of a run's trace (`Killer.trace`) is one of that kind. */
export type Kinds = Record<string, (step: string) => boolean>;

/** Kill points of every kind a bar run has, as the steps of a run's trace name them. */
export const KINDS: Kinds = {
  'before an order commit': (s) => s.includes('before commit') && s.includes('OrderInitialized'),
  'after a send': (s) => s.endsWith('after send'),
  "after a cancel's send": (s) => s.endsWith('after cancel'),
  'after a fill is stored': (s) => s.includes('after commit') && s.includes('OrderFilled'),
  'after a cancel is stored': (s) => s.includes('after commit') && s.includes('OrderCanceled'),
  'after the bar, before its snapshot': (s) => s.includes('before save snapshot'),
  anywhere: () => true,
};

/** The kind drawn by the n-th venue submit rather than by a step of the trace. */
export const BETWEEN_COMMIT_AND_SEND = 'between commit and send';

/** A kill at step `at` (or before the `beforeSubmit`-th submit), then one at `restartAt`. */
export interface Plan {
  readonly kind: string;
  readonly at: number;
  readonly beforeSubmit: number;
  readonly restartAt: number;
}

/** The steps of the uninterrupted run's trace of `kind`, numbered from 1. */
export function stepsOf(trace: readonly string[], kinds: Kinds, kind: string): number[] {
  return trace.flatMap((s, n) => (kinds[kind]!(s) ? [n + 1] : []));
}

/**
 * `count` plans drawn from `seed`: the kinds `names` in turn, each at a seeded step of that kind
 * in the uninterrupted run (`clean`), then a seeded kill in the restart's first quarter.
 */
export function drawPlans(
  clean: { readonly steps: number; readonly trace: readonly string[] },
  kinds: Kinds,
  names: readonly string[],
  seed: number,
  count: number,
): Plan[] {
  const rng = new SeededRandom(seed);
  const sends = clean.trace.filter((s) => s.endsWith('before send')).length;
  const plans: Plan[] = [];
  for (let i = 0; i < count; i++) {
    const kind = names[i % names.length]!;
    const restartAt = 1 + rng.int(0, Math.floor(clean.steps / 4));
    if (kind === BETWEEN_COMMIT_AND_SEND) {
      plans.push({ kind, at: Infinity, beforeSubmit: rng.int(1, sends), restartAt });
      continue;
    }
    const steps = stepsOf(clean.trace, kinds, kind);
    plans.push({
      kind,
      at: steps[rng.int(0, steps.length - 1)]!,
      beforeSubmit: Infinity,
      restartAt,
    });
  }
  return plans;
}

/** A plan as a failure names it. */
export function describePlan(n: number, p: Plan, trace: readonly string[]): string {
  const at = p.at === Infinity ? `submit ${p.beforeSubmit}` : `${p.at} (${trace[p.at - 1]})`;
  return `plan ${n}: ${p.kind} @${at}, restart killed @${p.restartAt}`;
}

/**
 * Runs a plan on a fresh rig: killed at `at`, restarted and killed at `restartAt`, then run to
 * the end. Null when the first run was not killed; else the last run, the `REPLAY_MISMATCH`
 * messages of every run, and the codes of the last run's alerts other than drift.
 */
export async function runPlan(crashed: CrashRig, p: Plan) {
  const first = await crashed.run(p.at, p.beforeSubmit);
  if (first.finished) return null;
  const again = await crashed.run(p.restartAt);
  const last = again.finished ? again : await crashed.run();
  const mismatches = [...first.alerts, ...again.alerts, ...(last === again ? [] : last.alerts)]
    .filter((a) => a.code === 'REPLAY_MISMATCH')
    .map((a) => a.message);
  const alerts = last.alerts.filter((a) => a.code !== 'RECONCILIATION_DRIFT').map((a) => a.code);
  return { last, mismatches, alerts };
}

/** The keys of two outcomes whose values differ (as JSON). */
export function differingKeys<T extends object>(got: T, want: T): (keyof T)[] {
  return (Object.keys(want) as (keyof T)[]).filter(
    (k) => JSON.stringify(got[k]) !== JSON.stringify(want[k]),
  );
}

/**
 * A state's JSON with client order ids without their run's strategy id (`ids`: the pattern of
 * an id, its number in group 1), and without the fields in `omit`.
 */
export function localState(state: unknown, ids: RegExp, omit: readonly string[] = []): string {
  const kept =
    state === null || typeof state !== 'object'
      ? state
      : Object.fromEntries(Object.entries(state).filter(([k]) => !omit.includes(k)));
  return JSON.stringify(kept).replace(ids, '#$1');
}

/** The fields of two strategy states that differ, each as got / expected. */
export function stateDiff(got: unknown, want: unknown, ids: RegExp): string {
  const g = JSON.parse(localState(got ?? {}, ids)) as Record<string, unknown>;
  const w = JSON.parse(localState(want ?? {}, ids)) as Record<string, unknown>;
  return [...new Set([...Object.keys(g), ...Object.keys(w)])]
    .filter((k) => JSON.stringify(g[k]) !== JSON.stringify(w[k]))
    .map((k) => `${k}: ${JSON.stringify(g[k])} / ${JSON.stringify(w[k])}`)
    .join(', ');
}

/**
 * The plans' settings from the environment: `KAIROS_CRASH_SEED` (default random),
 * `KAIROS_CRASH_PLANS` (default `plans`), `KAIROS_CRASH_PLAN` (run only that plan).
 */
export function crashEnv(plans: number): {
  readonly seed: number;
  readonly plans: number;
  readonly only: number | null;
} {
  const env = process.env;
  return {
    seed: Number(env.KAIROS_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31)),
    plans: Number(env.KAIROS_CRASH_PLANS ?? plans),
    only: env.KAIROS_CRASH_PLAN ? Number(env.KAIROS_CRASH_PLAN) : null,
  };
}
