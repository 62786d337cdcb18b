import type { Bar } from '../../data/market-data.js';

/**
 * The path a bar's price is assumed to take: open → low → high → close when the bar closes at or
 * above its open, open → high → low → close otherwise (the nearer extreme first is unknowable
 * from OHLC; this is the common convention, documented in docs/simulated-exchange.md).
 *
 * @example
 * intrabarPath(bar); // [open, low, high, close] for an up bar
 */
export function intrabarPath(bar: Bar): readonly [number, number, number, number] {
  return bar.close >= bar.open
    ? [bar.open, bar.low, bar.high, bar.close]
    : [bar.open, bar.high, bar.low, bar.close];
}

/** Where a price level is first reached along a path. */
export interface Touch {
  /** The price at the touch: the level, or the path's first price when it starts beyond it. */
  readonly price: number;
  /** Index of the path point the touch reaches (0 when the path starts beyond the level). */
  readonly index: number;
  /** True when the path starts at or beyond the level (a gap). */
  readonly gap: boolean;
}

/**
 * The first point where the path reaches `level` from below (`up`) or from above (`down`);
 * null when it never does.
 *
 * @example
 * firstTouch([10, 9, 12, 11], 11.5, 'up'); // { price: 11.5, index: 2, gap: false }
 */
export function firstTouch(
  path: readonly number[],
  level: number,
  dir: 'up' | 'down',
): Touch | null {
  const beyond = (x: number) => (dir === 'up' ? x >= level : x <= level);
  if (beyond(path[0]!)) return { price: path[0]!, index: 0, gap: true };
  // Stryker disable next-line EqualityOperator: one step past the end reads undefined, which is never at or beyond a level
  for (let i = 1; i < path.length; i++) {
    if (beyond(path[i]!)) return { price: level, index: i, gap: false };
  }
  return null;
}
