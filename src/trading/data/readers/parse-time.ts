/**
 * The largest epoch time read as seconds written without a leading zero: `parseTime` reads a
 * whole number of up to 10 digits (leading zeros count) as seconds, a longer one as milliseconds,
 * so `9999999999` is seconds and `10000000000` milliseconds.
 */
export const MAX_EPOCH_SECONDS = 9_999_999_999;

/** The rule of a time field in every reader, for error messages. */
export const TIME_RULE =
  'wanted epoch seconds (up to 10 digits) or milliseconds (more) as digits with an optional fraction and no sign, or a date as YYYY-MM-DD or ISO-8601';

/**
 * The text a JSON time value is read from by `parseTime`, so a JSON reader takes a time as the
 * CSV readers take the same text: a string as it is; a number as the plain decimal JavaScript
 * writes for it (`1577836800.25`; `-0` kept, digits for what `String` writes with an exponent);
 * anything else as `String` writes it (no time).
 *
 * @example
 * parseTime(timeText(1000.5)); // 1000500 (seconds, as the CSV's 1000.5)
 */
export function timeText(x: unknown): string {
  if (typeof x !== 'number') return String(x);
  if (Object.is(x, -0)) return '-0';
  const s = String(x);
  // String writes |x| ≥ 1e21 and 0 < |x| < 1e-6 with an exponent (1e+21, 1e-7).
  if (!s.includes('e')) return s;
  return Math.abs(x) >= 1 ? BigInt(x).toString() : x.toFixed(20);
}

/**
 * Parses a time field: `YYYY-MM-DD` (midnight UTC), epoch seconds (10 digits or fewer before
 * any fraction: `1577836800.25` is 1577836800250 ms), epoch milliseconds (more digits), or an
 * ISO-8601 date-time (UTC when it has no zone). Returns NaN when invalid, a day its month does
 * not have (`2021-02-30`) included.
 *
 * @example
 * parseTime('1995-01-03'); // 789091200000
 */
export function parseTime(s: string): number {
  const c = s.charCodeAt(0);
  if (s.length === 10 && s.charCodeAt(4) === 45 /* - */ && s.charCodeAt(7) === 45) {
    return dayOf(s);
  }
  if (c >= 48 && c <= 57 && /^\d+(\.\d+)?$/.test(s)) {
    const dot = s.indexOf('.');
    if (dot < 0) return s.length <= 10 ? +s * 1000 : +s;
    // From the digits, not a float (whose rounding can reach the next millisecond): seconds with
    // a fraction as whole milliseconds, milliseconds with one rounded down.
    if (dot > 10) return +s.slice(0, dot);
    return +s.slice(0, dot) * 1000 + +s.slice(dot + 1, dot + 4).padEnd(3, '0');
  }
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(s) || Number.isNaN(dayOf(s.slice(0, 10))))
    return NaN;
  const iso = s.replace(' ', 'T');
  return Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`);
}

/** `YYYY-MM-DD` as midnight UTC; NaN unless the month has that day. */
function dayOf(s: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return NaN;
  const y = +s.slice(0, 4);
  const m = +s.slice(5, 7);
  const d = +s.slice(8, 10);
  if (m < 1 || m > 12 || d < 1) return NaN;
  // Day 0 of the next month is this month's last.
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate() ? Date.UTC(y, m - 1, d) : NaN;
}
