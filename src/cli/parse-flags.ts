import { DECIMAL_PATTERN } from '../api/number-grammar.js';
import { toDecimal } from '../trading/core/decimal.js';
import { KairosError } from '../trading/core/errors.js';

const DECIMAL = new RegExp(DECIMAL_PATTERN);

const bad = (flag: string, rule: string, value: string) =>
  new KairosError('USAGE', `${flag}: must be ${rule}, was ${JSON.stringify(value)}`);

/**
 * A decimal flag (`--cash 100000`), checked against a rule. Spelled as the API takes decimals
 * (`docs/api.md`, "Numbers in requests"): "007", "1e6", "+5", ".5" and spaces are refused.
 */
export function decimalFlag(
  flag: string,
  value: string,
  rule: 'positive' | 'non-negative',
): string {
  const why = `a ${rule} decimal ("0.5", "100000"; no leading zero, sign, exponent or space)`;
  if (!DECIMAL.test(value)) throw bad(flag, why, value);
  const d = toDecimal(value);
  if (rule === 'positive' && d.lte(0)) throw bad(flag, why, value);
  return d.toFixed();
}

/** A non-negative number flag (`--slippage-bps 5`). */
export function numberFlag(
  flag: string,
  value: string,
  opts: { integer?: boolean; max?: number } = {},
): number {
  const n = Number(value);
  const rule = opts.integer ? 'a non-negative integer' : 'a non-negative number';
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (opts.integer && !Number.isInteger(n)))
    throw bad(flag, rule, value);
  if (opts.max !== undefined && n > opts.max) throw bad(flag, `${rule} ≤ ${opts.max}`, value);
  return n;
}

/** An integer flag that may be negative (`--seed -3`). */
export function integerFlag(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n)) throw bad(flag, 'an integer', value);
  return n;
}

/** A date flag: `YYYY-MM-DD`, an ISO-8601 date-time, or epoch milliseconds. Returns ms (UTC). */
export function dateFlag(flag: string, value: string): number {
  if (/^\d{11,}$/.test(value)) return Number(value);
  const m = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? Date.parse(`${value}T00:00:00Z`)
    : Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(m))
    throw bad(flag, 'a date (YYYY-MM-DD, ISO-8601 or epoch ms)', value);
  return m;
}

const UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A duration flag like `1m`, `15m`, `1h`, `1d`. Returns ms. */
export function durationFlag(flag: string, value: string): number {
  const m = /^(\d+)([smhdw])$/.exec(value);
  if (!m || Number(m[1]) === 0) throw bad(flag, 'a duration like 30s, 1m, 4h or 1d', value);
  return Number(m[1]) * UNITS[m[2]!]!;
}
