import { Dec, type Decimal } from '../core/decimal.js';
import { price, quantity, type Price, type Quantity } from '../core/money.js';
import { decimalPlaces, fromScaled, scaledInteger } from '../core/scaled-decimal.js';

/** How a value moves onto a grid. */
export type SnapMode = 'down' | 'up' | 'nearest';

/**
 * Puts `x` on the grid of multiples of `step` (exactly: integer count of steps times step).
 *
 * @example
 * snapToGrid(Dec('1.237'), Dec('0.01'), 'down').toFixed(); // '1.23'
 */
export function snapToGrid(x: Decimal, step: Decimal, mode: SnapMode): Decimal {
  // The fast path: both on a common scale as safe integers (ticks and lots), the same results.
  // Stryker disable next-line MethodExpression: equivalent, at the smaller scale one value is no integer (NaN) and the exact path below answers the same
  const scale = Math.max(decimalPlaces(x), decimalPlaces(step));
  const xs = scaledInteger(x, scale);
  const ss = scaledInteger(step, scale);
  // Stryker disable next-line ConditionalExpression: equivalent, never taking the fast path gives the same results from the exact path below
  if (xs === xs && ss === ss && ss !== 0) return snapScaled(x, xs, ss, scale, mode);
  // Exact remainder arithmetic: division would round at its last decimal place.
  const rem = x.mod(step);
  if (rem.eq(0)) return x;
  const floor = rem.gt(0) ? x.minus(rem) : x.minus(rem).minus(step);
  if (mode === 'down') return floor;
  if (mode === 'up') return floor.plus(step);
  return x.minus(floor).times(2).gte(step) ? floor.plus(step) : floor;
}

/** `snapToGrid` on integers: |x|, |step| < 10^15, so every sum below stays under 2^53. */
function snapScaled(x: Decimal, xs: number, ss: number, scale: number, mode: SnapMode): Decimal {
  const rem = xs % ss; // the sign of x, as big.js's mod
  if (rem === 0) return x;
  // Stryker disable next-line EqualityOperator: equivalent, rem is not 0 here (returned above)
  const floor = rem > 0 ? xs - rem : xs - rem - ss;
  if (mode === 'down') return fromScaled(floor, scale);
  if (mode === 'up') return fromScaled(floor + ss, scale);
  return fromScaled((xs - floor) * 2 >= ss ? floor + ss : floor, scale);
}

/**
 * Snaps an order quantity down to the lot grid: an order never grows past what was asked.
 *
 * @example
 * snapQuantity(Dec('10.7'), Dec('1')).toFixed(); // '10'
 */
export function snapQuantity(x: Decimal, lotSize: Decimal): Quantity {
  return quantity(snapToGrid(x, lotSize, 'down'));
}

/**
 * Snaps a price to the tick grid on the side that never costs the trader more: a buy limit
 * rounds down, a sell limit up. Trigger prices use `nearest`.
 *
 * @example
 * snapPrice(Dec('100.005'), Dec('0.01'), 'down').toFixed(); // '100'
 */
export function snapPrice(x: Decimal, tickSize: Decimal, mode: SnapMode): Price {
  return price(snapToGrid(x, tickSize, mode));
}

/**
 * True when `x` is an exact multiple of `step`.
 *
 * @example
 * isOnGrid(Dec('0.3'), Dec('0.1')); // true
 */
export function isOnGrid(x: Decimal, step: Decimal): boolean {
  // Stryker disable next-line MethodExpression: equivalent, at the smaller scale one value is no integer (NaN) and the exact path below answers the same
  const scale = Math.max(decimalPlaces(x), decimalPlaces(step));
  const xs = scaledInteger(x, scale);
  const ss = scaledInteger(step, scale);
  // Stryker disable next-line ConditionalExpression: equivalent, never taking the fast path gives the same answer from the exact path below
  if (xs === xs && ss === ss && ss !== 0) return xs % ss === 0;
  return x.mod(step).eq(Dec(0));
}
