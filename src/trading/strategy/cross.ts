/** What `crossOf` found. */
export interface Cross {
  /** The sign of a − b to remember (the last non-zero one; unchanged on a tie). */
  readonly sign: -1 | 0 | 1;
  /** 'up' when a moved above b, 'down' when below, else null. */
  readonly cross: 'up' | 'down' | null;
}

/**
 * Detects a crossover of `a` over `b`, judged against the last non-zero difference, so an exact
 * tie is no cross. Keep `sign` in the strategy's state and pass it back next time. The answer is
 * one of five shared, frozen values (read it, do not change it).
 *
 * @example
 * const { sign, cross } = crossOf(ctx.state.lastSign, fast.value, slow.value);
 * ctx.state.lastSign = sign;
 * if (cross === 'up') ctx.buy(size);
 */
export function crossOf(lastSign: unknown, a: number | null, b: number | null): Cross {
  const last = typeof lastSign !== 'number' ? 0 : lastSign > 0 ? 1 : lastSign < 0 ? -1 : 0;
  if (a === null || b === null || a === b) return NO_CROSS[last + 1]!;
  const sign = a > b ? 1 : -1;
  if (last === 0 || last === sign) return NO_CROSS[sign + 1]!;
  return sign > 0 ? UP : DOWN;
}

// The five possible answers, made once and frozen (a strategy calls this on every bar: a new
// object each time was a million short-lived objects in a million-bar backtest).
const NO_CROSS: readonly Cross[] = [-1, 0, 1].map((sign) =>
  Object.freeze({ sign: sign as Cross['sign'], cross: null }),
);
const UP: Cross = Object.freeze({ sign: 1, cross: 'up' });
const DOWN: Cross = Object.freeze({ sign: -1, cross: 'down' });
