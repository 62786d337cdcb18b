import type { Decimal, DecimalInput } from './decimal.js';
import { decimalOf, signOf } from './scaled-decimal.js';

declare const priceBrand: unique symbol;
declare const quantityBrand: unique symbol;

/** An exact price in the quote currency. */
export type Price = Decimal & { readonly [priceBrand]: true };

/** An exact, non-negative quantity in the base currency or contracts. */
export type Quantity = Decimal & { readonly [quantityBrand]: true };

/** An exact amount of one currency. */
export interface Money {
  readonly amount: Decimal;
  readonly currency: string;
}

/**
 * Makes a `Price`.
 *
 * @example
 * price('101.25');
 */
export function price(x: DecimalInput): Price {
  return decimalOf(x) as Price;
}

/**
 * Makes a `Quantity`; throws a `RangeError` when it is negative.
 *
 * @example
 * quantity('0.5');
 */
export function quantity(x: DecimalInput): Quantity {
  const q = decimalOf(x);
  if (signOf(q) < 0) throw new RangeError(`quantity ${q.toFixed()} is negative`);
  return q as Quantity;
}

/**
 * Makes `Money`.
 *
 * @example
 * money('12.5', 'USDT');
 */
export function money(amount: DecimalInput, currency: string): Money {
  return Object.freeze({ amount: decimalOf(amount), currency });
}
