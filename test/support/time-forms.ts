// The one rule of a time field in every reader (docs/decisions/data-readers.md, "Times"), as
// forms of text and the milliseconds each must read as, for the readers' model tests: epoch
// seconds (10 digits or fewer before any fraction, leading zeros counted) or milliseconds (more),
// no sign, a fraction of a millisecond dropped; a date or ISO-8601 date-time.

/** The rule as the readers' errors state it. */
export const TIME_RULE =
  'wanted epoch seconds (up to 10 digits) or milliseconds (more) as digits with an optional fraction and no sign, or a date as YYYY-MM-DD or ISO-8601';

/** A time cell's text and the milliseconds it means (NaN: not a time), from seconds `s` and `k` ms. */
export type TimeForm = (s: number, k: number) => [string, number];

export const TIME_FORMS: Record<string, TimeForm> = {
  ms: (s, k) => [String(s * 1000 + k), s * 1000 + k],
  seconds: (s) => [String(s), s * 1000],
  fraction: (s, k) => [`${s}.${String(k).padStart(3, '0')}`, s * 1000 + k],
  short: (s, k) => [`${s}.${Math.floor(k / 100)}`, s * 1000 + Math.floor(k / 100) * 100],
  // A fraction finer than a millisecond is dropped (rounded down), of seconds or milliseconds.
  fineFraction: (s, k) => [`${s}.${String(k).padStart(3, '0')}9`, s * 1000 + k],
  msFraction: (s, k) => [`${s * 1000 + k}.5`, s * 1000 + k],
  msFineFraction: (s, k) => [`${s * 1000 + k}.999`, s * 1000 + k],
  // Leading zeros count as digits: 13 of them are milliseconds, whatever their value.
  paddedSeconds: (s) => [`000${s}`, s],
  paddedMs: (s) => [`00${s * 1000}`, s * 1000],
  date: (s) => {
    const day = Math.floor((s * 1000) / 86_400_000) * 86_400_000;
    return [new Date(day).toISOString().slice(0, 10), day];
  },
  iso: (s) => [new Date(s * 1000).toISOString().replace('.000Z', 'Z'), s * 1000],
  zero: () => ['0', 0],
  // The edge of seconds: 10 digits are seconds, 11 milliseconds.
  lastSeconds: () => ['9999999999', 9_999_999_999_000],
  firstMs: () => ['10000000000', 10_000_000_000],
  negative: (s) => [`-${s}`, NaN],
  negativeMs: (s, k) => [`-${s * 1000 + k}`, NaN],
  negativeFraction: (s, k) => [`-${s}.${String(k).padStart(3, '0')}`, NaN],
  minusZero: () => ['-0', NaN],
  exponent: (s) => [`${s / 1e9}e9`, NaN],
  plus: (s) => [`+${s}`, NaN],
  spaced: (s) => [` ${s}`, NaN],
  empty: () => ['', NaN],
  text: () => ['x', NaN],
};

/** The forms whose text is also a JSON number (a JSON reader gets them as numbers or as text). */
export const JSON_NUMBER_FORMS = new Set([
  'ms',
  'seconds',
  'fraction',
  'short',
  'fineFraction',
  'msFraction',
  'msFineFraction',
  'zero',
  'lastSeconds',
  'firstMs',
  'negative',
  'negativeMs',
  'negativeFraction',
  'minusZero',
]);
