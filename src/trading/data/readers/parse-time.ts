/**
 * Parses a time field: `YYYY-MM-DD` (midnight UTC), epoch seconds (10 digits or fewer), epoch
 * milliseconds, or an ISO-8601 date-time (UTC when it has no zone). Returns NaN when invalid.
 *
 * @example
 * parseTime('1995-01-03'); // 789091200000
 */
export function parseTime(s: string): number {
  const c = s.charCodeAt(0);
  if (s.length === 10 && s.charCodeAt(4) === 45 /* - */ && s.charCodeAt(7) === 45) {
    const y = +s.slice(0, 4);
    const m = +s.slice(5, 7);
    const d = +s.slice(8, 10);
    if (!(m >= 1 && m <= 12 && d >= 1 && d <= 31) || !Number.isInteger(y)) return NaN;
    return Date.UTC(y, m - 1, d);
  }
  if (c >= 48 && c <= 57 && /^\d+(\.\d+)?$/.test(s)) {
    const n = +s;
    return s.indexOf('.') < 0 && s.length <= 10 ? n * 1000 : Math.floor(n);
  }
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(s)) return NaN;
  const iso = s.replace(' ', 'T');
  return Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`);
}
