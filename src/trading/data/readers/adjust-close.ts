import { Dec } from '../../core/decimal.js';

/** Adjusted open, high, low, close and volume of one row. */
export type AdjustedPrices = [
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
];

/** backtrader's `round(volume, 0)`: half to even on the exact value. */
const wholeUnits = tickRounder('1');

/**
 * Split- and dividend-adjusts a row from its "Adj Close" column, as backtrader's Yahoo feed does
 * by default (`adjclose=True, round=True, decimals=2`): open, high and low are divided by
 * `close / adjClose` (the same float operations, in the same order), the close becomes
 * `adjClose`, and each is rounded half to even to `tick` on its exact binary value (Python's
 * `round`). Volume is multiplied by the same factor (`adjvolume=True`: divided by
 * `adjClose / close`) and rounded half to even to a whole number (`roundvolume=0`), a float64
 * market-data value. Returns null when `adjClose` is not a positive number.
 *
 * @example
 * const adjust = closeAdjuster('0.01');
 * adjust(100.16, 105, 94.69, 96, 5_000_000, 22.63); // [23.61, 24.75, 22.32, 22.63, 21210782]
 */
export function closeAdjuster(
  tick: string,
): (
  o: number,
  h: number,
  l: number,
  c: number,
  v: number,
  adjClose: number,
) => AdjustedPrices | null {
  const round = tickRounder(tick);
  return (o, h, l, c, v, adjClose) => {
    if (!(adjClose > 0) || !Number.isFinite(adjClose)) return null;
    const factor = c / adjClose;
    return [
      round(o / factor),
      round(h / factor),
      round(l / factor),
      round(adjClose),
      wholeUnits(v * factor),
    ];
  };
}

/**
 * Rounds a number half to even to a multiple of `tick`, judged on the number's exact binary
 * value (so 2.675, stored as 2.67499999..., rounds to 2.67 at 0.01, and 30.875 to 30.88).
 * A power-of-ten tick takes a float path, except for ties and products of 2^52 and more; those
 * and other ticks go exact.
 *
 * @example
 * tickRounder('0.01')(23.625); // 23.62
 */
export function tickRounder(tick: string): (x: number) => number {
  const t = Dec(tick);
  if (t.lte(0)) throw new RangeError(`tick ${tick}: must be positive`);
  // A value that is not finite (a volume missing: NaN) passes through.
  const exact = (x: number) =>
    Number.isFinite(x)
      ? Number(Dec(x.toFixed(100)).div(t).round(0, Dec.roundHalfEven).times(t).toString())
      : x;
  // 10^-pow: its multiples k are found as k / 10^pow, the double nearest k × tick, while 10^pow
  // is a double exactly (pow <= 22).
  const pow = Dec(`1e${t.e}`).eq(t) ? -t.e : -1;
  if (pow < 0) return exact;
  // Stryker disable next-line EqualityOperator: equivalent, `>=` sends 1e-22 to the exact path, where the float path is right too (10^22 is a double)
  if (pow > 22) return exact;
  const scale = 10 ** pow;
  return (x) => {
    const m = x * scale;
    // Below 2^52 every half is a double, so the float product lies on the same side of a tie as
    // the exact one, or on the tie: only a tie (or a larger product, or NaN) needs the exact value.
    // Stryker disable next-line ConditionalExpression: equivalent, `true` sends every value to `exact` (always right, only slower); `false` (ties on the float path) is the `!==` mutant's case, killed by the ties of the property
    if (m - Math.floor(m) === 0.5) return exact(x);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, `false` sends every value to `exact` (always right, only slower), `<=` lets 2^52 itself take the float path, right there too; `true` and `>=` (products past 2^52 on the float path) are killed by the property's large products
    if (Math.abs(m) < 2 ** 52) return Math.round(m) / scale;
    return exact(x);
  };
}
