import { toDecimal } from '../core/decimal.js';
import { KairosError } from '../core/errors.js';

/** The declaration of one strategy parameter. */
export type ParamSpec =
  | {
      readonly type: 'int';
      readonly default: number;
      readonly min?: number;
      readonly max?: number;
      /** The name of a param this one must be less than. */
      readonly lessThan?: string;
      readonly description?: string;
    }
  | {
      readonly type: 'number';
      readonly default: number;
      readonly min?: number;
      readonly max?: number;
      /** The name of a param this one must be less than. */
      readonly lessThan?: string;
      readonly description?: string;
    }
  | {
      readonly type: 'decimal';
      readonly default: string;
      readonly min?: string;
      readonly description?: string;
    }
  | { readonly type: 'boolean'; readonly default: boolean; readonly description?: string }
  | {
      readonly type: 'string';
      readonly default: string;
      readonly choices?: readonly string[];
      readonly description?: string;
    };

/** A strategy's parameter declarations by name. */
export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

/** The resolved values: ints and numbers as numbers, decimals as exact decimal strings. */
export type ParamValues<P extends ParamSpecs> = {
  readonly [K in keyof P]: P[K] extends { type: 'int' | 'number' }
    ? number
    : P[K] extends { type: 'boolean' }
      ? boolean
      : string;
};

type Opts<T> = {
  readonly min?: T;
  readonly max?: T;
  readonly lessThan?: string;
  readonly description?: string;
};

/**
 * Decimal params: JSON's number grammar without exponent (`docs/api.md`, "Numbers in requests"):
 * no leading zero, at most 30 digits on each side of the point, `-` only before a value that is
 * not zero (`"-0"` is refused below).
 */
const PLAIN_DECIMAL = /^-?(0|[1-9][0-9]{0,29})(\.[0-9]{1,30})?$/;
const DECIMAL_RULE =
  'a decimal number (plain digits, at most 30 on each side of the point, no leading zero, "-" only before a value other than 0)';

/**
 * Builders for parameter declarations.
 *
 * @example
 * const params = { fast: param.int(10, { min: 1 }), size: param.decimal('100', { min: '0' }) };
 */
export const param = {
  /** An integer. */
  int: (def: number, o: Opts<number> = {}) => ({ type: 'int' as const, default: def, ...o }),
  /** A float. */
  number: (def: number, o: Opts<number> = {}) => ({ type: 'number' as const, default: def, ...o }),
  /** An exact decimal, kept as a string (quantities, prices). */
  decimal: (def: string, o: { readonly min?: string; readonly description?: string } = {}) => ({
    type: 'decimal' as const,
    default: def,
    ...o,
  }),
  /** true or false. */
  boolean: (def: boolean, o: { readonly description?: string } = {}) => ({
    type: 'boolean' as const,
    default: def,
    ...o,
  }),
  /** A string, optionally one of `choices`. */
  string: (
    def: string,
    o: { readonly choices?: readonly string[]; readonly description?: string } = {},
  ) => ({ type: 'string' as const, default: def, ...o }),
};

const invalid = (name: string, rule: string, value: unknown) =>
  new KairosError(
    'PARAM_INVALID',
    `param "${name}": must be ${rule}, was ${JSON.stringify(value)}`,
  );

/**
 * One parameter's value checked against its declaration (type, min, max, choices): numbers for
 * ints and numbers, exact decimal strings for decimals. Throws `PARAM_INVALID` naming the param.
 *
 * @example
 * resolveParam('fast', param.int(10, { min: 1 }), '12'); // 12
 */
export function resolveParam(
  name: string,
  spec: ParamSpec,
  raw: unknown,
): number | string | boolean {
  switch (spec.type) {
    case 'int':
    case 'number': {
      const n =
        typeof raw === 'number'
          ? raw
          : typeof raw === 'string' && raw.trim() !== ''
            ? Number(raw)
            : NaN;
      const kind = spec.type === 'int' ? 'an integer' : 'a number';
      if (!Number.isFinite(n) || (spec.type === 'int' && !Number.isSafeInteger(n)))
        throw invalid(name, kind, raw);
      if (spec.min !== undefined && n < spec.min) throw invalid(name, `${kind} ≥ ${spec.min}`, raw);
      if (spec.max !== undefined && n > spec.max) throw invalid(name, `${kind} ≤ ${spec.max}`, raw);
      return n;
    }
    case 'decimal': {
      const text = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
      if (typeof text !== 'string' || !PLAIN_DECIMAL.test(text))
        throw invalid(name, DECIMAL_RULE, raw);
      let d;
      try {
        d = toDecimal(text);
      } catch {
        throw invalid(name, 'a decimal number', raw);
      }
      if (text.startsWith('-') && d.eq(0)) throw invalid(name, DECIMAL_RULE, raw);
      if (spec.min !== undefined && d.lt(spec.min))
        throw invalid(name, `a decimal ≥ ${spec.min}`, raw);
      return d.toFixed();
    }
    case 'boolean':
      if (raw === true || raw === 'true' || raw === '1') return true;
      if (raw === false || raw === 'false' || raw === '0') return false;
      throw invalid(name, 'true or false', raw);
    case 'string':
      if (typeof raw !== 'string') throw invalid(name, 'a string', raw);
      if (spec.choices && !spec.choices.includes(raw))
        throw invalid(name, `one of ${spec.choices.join(', ')}`, raw);
      return raw;
  }
}

/**
 * Resolves parameter values: defaults, overridden by `given`. An unknown name or a value that
 * breaks its rule throws `KairosError` (`PARAM_UNKNOWN` / `PARAM_INVALID`) naming the param.
 *
 * @example
 * resolveParams({ fast: param.int(10) }, { fast: '12' }); // { fast: 12 }
 */
export function resolveParams<P extends ParamSpecs>(
  specs: P,
  given: Readonly<Record<string, unknown>> = {},
): ParamValues<P> {
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(specs, name)) {
      const known = Object.keys(specs);
      throw new KairosError(
        'PARAM_UNKNOWN',
        `unknown param "${name}" (known: ${known.length ? known.join(', ') : 'none'})`,
      );
    }
  }
  const out: Record<string, number | string | boolean> = {};
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = resolveParam(name, spec, Object.hasOwn(given, name) ? given[name] : spec.default);
  }
  const broken = brokenLessThan(specs, out);
  if (broken) throw invalid(broken.name, broken.rule, broken.value);
  return Object.freeze(out) as ParamValues<P>;
}

/**
 * The first `lessThan` rule that resolved values break (in declaration order), or null: an int
 * or number param must be less than the number param it names.
 *
 * @example
 * brokenLessThan(specs, { fast: 30, slow: 10 }); // { name: 'fast', rule: 'less than "slow" (10)', value: 30 }
 */
export function brokenLessThan(
  specs: ParamSpecs,
  values: Readonly<Record<string, unknown>>,
): { readonly name: string; readonly rule: string; readonly value: unknown } | null {
  for (const [name, spec] of Object.entries(specs)) {
    if ((spec.type === 'int' || spec.type === 'number') && spec.lessThan !== undefined) {
      const other = values[spec.lessThan];
      if (typeof other === 'number' && !((values[name] as number) < other))
        return { name, rule: `less than "${spec.lessThan}" (${other})`, value: values[name] };
    }
  }
  return null;
}

/**
 * Parses `fast=10,slow=30,size=100` into raw strings; a malformed pair throws `PARAM_SYNTAX`.
 *
 * @example
 * parseParamList('fast=10,slow=30'); // { fast: '10', slow: '30' }
 */
export function parseParamList(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? '' : part.slice(0, eq).trim();
    if (eq < 0 || name === '') {
      throw new KairosError('PARAM_SYNTAX', `--params: "${part}" is not name=value`);
    }
    if (Object.hasOwn(out, name))
      throw new KairosError('PARAM_SYNTAX', `--params: "${name}" is given twice`);
    out[name] = part.slice(eq + 1).trim();
  }
  return out;
}
