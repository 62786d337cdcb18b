import type { JsonObject, JsonValue } from '../strategy-context.js';

/**
 * A float64 as JSON, exactly: a finite number is written as itself (JSON.stringify writes the
 * shortest text that parses back to the same double), and the values JSON has no number for
 * (-0, NaN, ±Infinity) as a string.
 *
 * @example
 * encodeNumber(0.1); // 0.1
 * encodeNumber(-0); // '-0'
 */
export function encodeNumber(x: number): number | string {
  if (Object.is(x, -0)) return '-0';
  return Number.isFinite(x) ? x : String(x);
}

/**
 * The float64 `encodeNumber` wrote (throws a `RangeError` naming `at` on anything else).
 *
 * @example
 * decodeNumber('-0', 'ema.value'); // -0
 */
export function decodeNumber(v: JsonValue | undefined, at: string): number {
  if (typeof v === 'number') return v;
  if (v === '-0') return -0;
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
  throw new RangeError(`indicator state: ${at} is not a number`);
}

/**
 * A number or null, as `encodeNumber` writes it.
 *
 * @example
 * decodeNullable(null, 'ema.value'); // null
 */
export function decodeNullable(v: JsonValue | undefined, at: string): number | null {
  return v === null ? null : decodeNumber(v, at);
}

/**
 * An encoded number or null.
 *
 * @example
 * encodeNullable(null); // null
 */
export function encodeNullable(x: number | null): number | string | null {
  return x === null ? null : encodeNumber(x);
}

/**
 * A list of numbers written by `encodeNumber`, of length `length` when given.
 *
 * @example
 * decodeNumbers([1, '-0'], 'bb.window', 2); // [1, -0]
 */
export function decodeNumbers(v: JsonValue | undefined, at: string, length?: number): number[] {
  if (!Array.isArray(v) || (length !== undefined && v.length !== length))
    throw new RangeError(
      `indicator state: ${at} is not a list of ${length ?? 'any number of'} numbers`,
    );
  return v.map((x, i) => decodeNumber(x, `${at}[${i}]`));
}

/**
 * The saved state of the indicator named `name`: `state` checked to be one (an object saved by
 * an indicator of the same name and parameters, with its update count).
 *
 * @example
 * const s = savedState('EMA(5)', state); // s.n, s.value, ...
 */
export function savedState(name: string, state: unknown): JsonObject & { n: number } {
  const s = state as JsonObject | null;
  if (typeof s !== 'object' || s === null || Array.isArray(s))
    throw new RangeError(`indicator state: ${name}: not an object`);
  if (s.name !== name)
    throw new RangeError(`indicator state: ${name}: the state is of ${JSON.stringify(s.name)}`);
  if (!Number.isSafeInteger(s.n) || (s.n as number) < 0)
    throw new RangeError(`indicator state: ${name}: n is not a count`);
  return s as JsonObject & { n: number };
}
