/** What `crossOf` found. */
export interface Cross {
  /** The sign of a − b to remember (the last non-zero one; unchanged on a tie). */
  readonly sign: -1 | 0 | 1;
  /** 'up' when a moved above b, 'down' when below, else null. */
  readonly cross: 'up' | 'down' | null;
}

/**
 * Detects a crossover of `a` over `b`, judged against the last non-zero difference, so an exact
 * tie is no cross. Keep `sign` in the strategy's state and pass it back next time.
 *
 * @example
 * const { sign, cross } = crossOf(ctx.state.lastSign, fast.value, slow.value);
 * ctx.state.lastSign = sign;
 * if (cross === 'up') ctx.buy(size);
 */
export function crossOf(lastSign: unknown, a: number | null, b: number | null): Cross {
  const last = typeof lastSign !== 'number' ? 0 : lastSign > 0 ? 1 : lastSign < 0 ? -1 : 0;
  if (a === null || b === null || a === b) return { sign: last, cross: null };
  const sign = a > b ? 1 : -1;
  if (last === 0 || last === sign) return { sign, cross: null };
  return { sign, cross: sign > 0 ? 'up' : 'down' };
}
