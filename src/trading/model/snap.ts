import { Dec, type Decimal } from '../core/decimal.js';
import { price, quantity, type Price, type Quantity } from '../core/money.js';

/** How a value moves onto a grid. */
export type SnapMode = 'down' | 'up' | 'nearest';

/**
 * Puts `x` on the grid of multiples of `step` (exactly: integer count of steps times step).
 *
 * @example
 * snapToGrid(Dec('1.237'), Dec('0.01'), 'down').toFixed(); // '1.23'
 */
export function snapToGrid(x: Decimal, step: Decimal, mode: SnapMode): Decimal {
  // Exact remainder arithmetic: division would round at its last decimal place.
  const rem = x.mod(step);
  if (rem.eq(0)) return x;
  const floor = rem.gt(0) ? x.minus(rem) : x.minus(rem).minus(step);
  if (mode === 'down') return floor;
  if (mode === 'up') return floor.plus(step);
  return x.minus(floor).times(2).gte(step) ? floor.plus(step) : floor;
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
  return x.mod(step).eq(Dec(0));
}
