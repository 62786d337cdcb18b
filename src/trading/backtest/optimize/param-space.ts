import { toDecimal } from '../../core/decimal.js';
import { KairosError } from '../../core/errors.js';
import { SeededRandom } from '../../core/random.js';
import {
  brokenLessThan,
  resolveParam,
  type ParamSpec,
  type ParamSpecs,
} from '../../strategy/params.js';

/** A parameter's value as a strategy gets it (decimals as exact strings). */
export type ParamValue = number | string | boolean;

/** One parameter and the values a sweep tries, in the order given. */
export interface ParamAxis {
  readonly name: string;
  readonly values: readonly ParamValue[];
}

/**
 * The values a sweep tries: one axis per declared param, in the strategy's declaration order
 * (a param not swept has one value: its default). `size` is the product of the axes' lengths.
 */
export interface ParamSpace {
  readonly axes: readonly ParamAxis[];
  readonly size: number;
}

/** One combination: its index in the grid (the last axis varies fastest) and its values. */
export interface Combination {
  readonly index: number;
  readonly params: Readonly<Record<string, ParamValue>>;
}

/** Values one range may expand to. */
export const MAX_AXIS_VALUES = 100_000;
/** Grids up to this size are listed (and sampled from the list); larger ones only sampled. */
export const MAX_LISTED = 1_000_000;

const syntax = (message: string) => new KairosError('PARAM_SYNTAX', `--param ${message}`);

const RANGE =
  /^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*\.\.\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(?::\s*([0-9]+(?:\.[0-9]+)?)\s*)?$/;

/**
 * The values of one `--param name=values` for its declaration: a list (`5,10,20`), a range for
 * int and number params (`5..30:5`, both ends included when the step lands on them; an int's
 * step defaults to 1), `*` for every value of a boolean or of a string with choices. Each value
 * is checked against the declaration (type, min, max, choices): an error names the param.
 *
 * @example
 * axisValues('fast', param.int(10, { min: 1 }), '5..20:5'); // [5, 10, 15, 20]
 */
export function axisValues(name: string, spec: ParamSpec, text: string): ParamValue[] {
  const trimmed = text.trim();
  if (trimmed === '') throw syntax(`${name}: no values (give a list 5,10,20 or a range 5..30:5)`);
  let raw: unknown[];
  const range = RANGE.exec(trimmed);
  if (trimmed === '*') {
    if (spec.type === 'boolean') raw = [false, true];
    else if (spec.type === 'string' && spec.choices) raw = [...spec.choices];
    else
      throw syntax(
        `${name}: "*" (every value) is for boolean params and string params with choices`,
      );
  } else if (range && (spec.type === 'int' || spec.type === 'number')) {
    raw = rangeValues(name, spec.type, range[1]!, range[2]!, range[3]);
  } else if (range && spec.type === 'decimal') {
    throw syntax(`${name}: ranges are for int and number params; list a decimal's values (1,2.5)`);
  } else {
    raw = trimmed.split(',').map((v) => v.trim());
  }
  const values = raw.map((v) => resolveParam(name, spec, v));
  const seen = new Set<string>();
  for (const v of values) {
    const key = String(v);
    if (seen.has(key)) throw syntax(`${name}: value ${key} is given twice`);
    seen.add(key);
  }
  return values;
}

function rangeValues(
  name: string,
  type: 'int' | 'number',
  fromText: string,
  toText: string,
  stepText: string | undefined,
): number[] {
  if (stepText === undefined && type === 'number')
    throw syntax(`${name}: a number range needs a step (${fromText}..${toText}:0.5)`);
  const from = toDecimal(fromText);
  const to = toDecimal(toText);
  const step = toDecimal(stepText ?? '1');
  if (step.lte(0)) throw syntax(`${name}: the step of ${fromText}..${toText} must be positive`);
  if (from.gt(to)) throw syntax(`${name}: range ${fromText}..${toText} ends before it starts`);
  const count = to.minus(from).div(step).round(0, 0).toNumber() + 1;
  if (count > MAX_AXIS_VALUES)
    throw syntax(`${name}: range ${fromText}..${toText} has more than ${MAX_AXIS_VALUES} values`);
  // Exact steps: 0.1..0.3:0.1 is 0.1, 0.2, 0.3 (not 0.30000000000000004).
  return Array.from({ length: count }, (_, i) => from.plus(step.times(i)).toNumber());
}

/**
 * The space of a sweep from `--param name=values` flags (each param at most once), checked
 * against the strategy's declarations: an unknown name is `PARAM_UNKNOWN`, a bad value
 * `PARAM_INVALID`, a malformed flag `PARAM_SYNTAX`, each naming the param.
 *
 * @example
 * paramSpace(specs, ['fast=5..20:5', 'slow=30,50']).size; // 8 (size at its default)
 */
export function paramSpace(specs: ParamSpecs, flags: readonly string[]): ParamSpace {
  const given = new Map<string, string>();
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = eq < 0 ? '' : flag.slice(0, eq).trim();
    if (name === '') throw syntax(`"${flag}": not name=values`);
    if (!Object.hasOwn(specs, name)) {
      const known = Object.keys(specs);
      throw new KairosError(
        'PARAM_UNKNOWN',
        `--param: unknown param "${name}" (known: ${known.length ? known.join(', ') : 'none'})`,
      );
    }
    if (given.has(name)) throw syntax(`${name}: given twice`);
    given.set(name, flag.slice(eq + 1));
  }
  const axes = Object.entries(specs).map(([name, spec]) => ({
    name,
    values: given.has(name)
      ? axisValues(name, spec, given.get(name)!)
      : [resolveParam(name, spec, spec.default)],
  }));
  const size = axes.reduce((n, a) => n * a.values.length, 1);
  if (!Number.isSafeInteger(size)) throw syntax(`the grid has more than 2^53 combinations`);
  return { axes, size };
}

/**
 * `--param` flags that give this space again (`paramSpace(specs, paramFlags(space))` equals it):
 * every axis as a list.
 *
 * @example
 * paramFlags(space); // ['fast=5,10,15,20', 'slow=30,50', 'size=100']
 */
export function paramFlags(space: ParamSpace): string[] {
  return space.axes.map((a) => `${a.name}=${a.values.map(String).join(',')}`);
}

/**
 * The combination at `index` of the grid: axes in order, the last varying fastest.
 *
 * @example
 * combinationAt(space, 0).params; // every axis at its first value
 */
export function combinationAt(space: ParamSpace, index: number): Combination {
  const params: Record<string, ParamValue> = {};
  let rest = index;
  for (let i = space.axes.length - 1; i >= 0; i--) {
    const axis = space.axes[i]!;
    params[axis.name] = axis.values[rest % axis.values.length]!;
    rest = Math.floor(rest / axis.values.length);
  }
  const ordered: Record<string, ParamValue> = {};
  for (const a of space.axes) ordered[a.name] = params[a.name]!;
  return { index, params: ordered };
}

/** The combinations a search runs, in grid order, and how many broke a `lessThan` rule. */
export interface Selection {
  readonly combinations: readonly Combination[];
  /** Combinations skipped (never run) because they break a `lessThan` rule. */
  readonly skipped: number;
}

/**
 * Every combination of the grid, in grid order, but those that break a `lessThan` rule (counted
 * in `skipped`). A grid over `MAX_LISTED` is refused: sample it (`--search random`).
 *
 * @example
 * grid(specs, space).combinations.length; // space.size - skipped
 */
export function grid(specs: ParamSpecs, space: ParamSpace): Selection {
  if (space.size > MAX_LISTED)
    throw new KairosError(
      'USAGE',
      `--search grid: ${space.size} combinations is more than ${MAX_LISTED}; sample them with --search random --samples N`,
    );
  const combinations: Combination[] = [];
  let skipped = 0;
  for (let i = 0; i < space.size; i++) {
    const c = combinationAt(space, i);
    if (brokenLessThan(specs, c.params)) skipped++;
    else combinations.push(c);
  }
  return { combinations, skipped };
}

/**
 * `samples` distinct combinations drawn uniformly with a seeded generator from those that keep
 * every `lessThan` rule (all of them when there are fewer), returned in grid order: the same seed
 * gives the same sample. `skipped`: the combinations of the grid that break a rule (for a grid
 * over `MAX_LISTED`, the breaking draws met while sampling).
 *
 * @example
 * sample(specs, space, 20, 7).combinations.length; // 20, or fewer when fewer are valid
 */
export function sample(
  specs: ParamSpecs,
  space: ParamSpace,
  samples: number,
  seed: number,
): Selection {
  const rng = new SeededRandom(seed);
  if (space.size <= MAX_LISTED) {
    const all = grid(specs, space);
    const pool = [...all.combinations];
    const n = Math.min(samples, pool.length);
    // A partial Fisher–Yates shuffle: the first n of a uniform permutation.
    for (let i = 0; i < n; i++) {
      const j = rng.int(i, pool.length - 1);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return {
      combinations: pool.slice(0, n).sort((a, b) => a.index - b.index),
      skipped: all.skipped,
    };
  }
  const drawn = new Set<number>();
  const picked: Combination[] = [];
  let skipped = 0;
  // Rejection sampling; a space this large with too few valid combinations is refused.
  for (let tries = 0; picked.length < samples; tries++) {
    if (tries >= samples * 1000)
      throw new KairosError(
        'USAGE',
        `--samples ${samples}: found only ${picked.length} combinations that keep the lessThan rules in ${tries} draws`,
      );
    const index = rng.int(0, space.size - 1);
    if (drawn.has(index)) continue;
    drawn.add(index);
    const c = combinationAt(space, index);
    if (brokenLessThan(specs, c.params)) skipped++;
    else picked.push(c);
  }
  return { combinations: picked.sort((a, b) => a.index - b.index), skipped };
}

/**
 * `name=value,…` of a combination, as `kairos backtest --params` takes it.
 *
 * @example
 * paramList({ fast: 10, slow: 30, size: '100' }); // 'fast=10,slow=30,size=100'
 */
export function paramList(params: Readonly<Record<string, ParamValue>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
}
