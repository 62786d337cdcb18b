import BigLib from 'big.js';
import type { Big } from 'big.js';

/**
 * The exact decimal number behind every price, quantity and amount of money: an immutable
 * arbitrary-precision decimal (big.js) with its own configuration, so nothing else can change it.
 * Addition, subtraction and multiplication are exact; division keeps 30 decimal places.
 *
 * @example
 * const d = Dec('0.1').plus('0.2'); // exactly 0.3
 */
export const Dec = BigLib();
Dec.DP = 30;
Dec.RM = Dec.roundHalfEven;
Dec.strict = false;

/** An exact decimal value. */
export type Decimal = Big;

/** Anything a decimal can be made from. Numbers go through their shortest round-trip string. */
export type DecimalInput = string | number | Big;

/** Zero, shared. */
export const ZERO: Decimal = Dec(0);

/**
 * Makes an exact decimal; throws a `RangeError` for NaN, Infinity or text that is not a number.
 *
 * @example
 * toDecimal(0.1).toString(); // '0.1'
 */
export function toDecimal(x: DecimalInput): Decimal {
  // Stryker disable next-line BlockStatement,ConditionalExpression: message text, Dec refuses NaN and Infinity with a RangeError too
  if (typeof x === 'number' && !Number.isFinite(x)) {
    // Stryker disable next-line StringLiteral: message text
    throw new RangeError(`${x} is not a finite number`);
  }
  // A decimal is immutable: it is its own value (big.js would copy its digits).
  if (x instanceof Dec) return x;
  try {
    return Dec(x);
  } catch {
    throw new RangeError(`${JSON.stringify(String(x))} is not a decimal number`);
  }
}

/**
 * Formats a decimal without exponent notation (what JSON and Postgres `numeric` carry).
 *
 * @example
 * decimalString(Dec('1e-9')); // '0.000000001'
 */
export function decimalString(d: Decimal): string {
  return d.toFixed();
}
