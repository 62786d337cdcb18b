import { Dec, toDecimal, type Decimal, type DecimalInput } from './decimal.js';

// The hot money path on scaled integers. Prices and quantities on an instrument's grid are
// integers of ticks and lots: a value with at most 15 significant digits is an exact
// safe-integer double (`m × 10^-scale`, |m| < 10^15 < 2^53), and a quotient is exact in BigInt.
// Every function here returns exactly what the big.js expression it names returns (the same
// value, sign and rounding; proven by a property test against big.js, including values that
// leave the fast range), and falls back to that expression whenever a value does not fit.
// Which values the fast path handles is tested too (that is its point: speed on the money path):
// `bigJsCalls` and `bigIntDivisions` count the calls that left it. Not part of the SDK.

/** The most significant digits a safe-integer mantissa may hold (10^15 < 2^53). */
const MAX_DIGITS = 15;
/** Powers of ten that are exact doubles (10^0 … 10^22). */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);
const BIG_POW10: bigint[] = [];

function bigPow10(n: number): bigint {
  let p = BIG_POW10[n];
  // Stryker disable next-line ConditionalExpression: equivalent, a cache: the power made again on every call is the same value
  if (p === undefined) BIG_POW10[n] = p = 10n ** BigInt(n);
  return p;
}

/** Big.js's `roundHalfEven` rounding mode (2). */
const HALF_EVEN = 2;

/**
 * Calls that left the fast path for big.js (`decimalOf` of a number out of its range, of text or
 * of a decimal; `decimalToNumber` past 15 digits or 10^±22; a division under another rounding
 * mode or by zero; a sum of two non-zero values, a difference by a non-zero value or a product, out of
 * `sumOf`'s or `productOf`'s range). Tests read it; nothing else does.
 */
export let bigJsCalls = 0;
/** Divisions (`divide`, `divideRounded`) whose quotient `exactQuotient` could not find. */
export let bigIntDivisions = 0;

/**
 * The sign of `d`: -1, 0 or 1, exactly `d.cmp(0)` (a negative zero is 0) without making a
 * decimal of the 0 (big.js parses its argument on every comparison).
 *
 * @example
 * signOf(Dec('-0.5')); // -1
 */
export function signOf(d: Decimal): -1 | 0 | 1 {
  // big.js's sign is 1 or -1, also for a zero
  return d.c[0] === 0 ? 0 : d.s === 1 ? 1 : -1;
}

/**
 * `x.cmp(y)`: -1, 0 or 1, exactly as big.js compares, without the copy of `y` big.js makes on
 * every comparison (`gt`, `lt`, `eq`… all go through it). Both must be decimals.
 *
 * @example
 * compareDecimals(order.quantity, inst.minQuantity) < 0; // order.quantity.lt(inst.minQuantity)
 */
export function compareDecimals(x: Decimal, y: Decimal): -1 | 0 | 1 {
  const xc = x.c;
  const yc = y.c;
  // big.js's sign is 1 or -1, also for a zero
  const xSign = x.s === 1 ? 1 : -1;
  if (!xc[0]) return !yc[0] ? 0 : y.s === 1 ? -1 : 1;
  if (!yc[0] || x.s !== y.s) return xSign;
  // Both non-zero, one sign: the larger exponent, then the first larger digit, then the longer
  // digits is the larger magnitude. The sign of a difference, not `>` after `!==`, so that a
  // changed bound changes an answer (mutation testing).
  const byExponent = x.e - y.e;
  if (byExponent !== 0) return (Math.sign(byExponent) * xSign) as -1 | 1;
  const n = Math.min(xc.length, yc.length);
  for (let i = 0; i < n; i++) {
    const byDigit = xc[i]! - yc[i]!;
    if (byDigit !== 0) return (Math.sign(byDigit) * xSign) as -1 | 1;
  }
  return xc.length === yc.length ? 0 : ((Math.sign(xc.length - yc.length) * xSign) as -1 | 1);
}

/**
 * The smaller of `x` and `y` by value, `y` when they are equal.
 *
 * @example
 * smallerDecimal(lot.quantity.abs(), remaining.abs()); // what a fill closes of a lot
 */
export function smallerDecimal(x: Decimal, y: Decimal): Decimal {
  // Stryker disable next-line EqualityOperator: equivalent, equal values are the same answer
  return compareDecimals(x, y) < 0 ? x : y;
}

/**
 * The larger of `x` and `y` by value, `y` when they are equal.
 *
 * @example
 * largerDecimal(inst.takerFee, inst.makerFee); // the dearer fee rate
 */
export function largerDecimal(x: Decimal, y: Decimal): Decimal {
  // Stryker disable next-line EqualityOperator: equivalent, equal values are the same answer
  return compareDecimals(x, y) > 0 ? x : y;
}

/**
 * `x.plus(y)`, the same value and sign big.js gives, without a new decimal when one side is
 * zero: the other is returned as it is (decimals are immutable). A run keeps the amounts of
 * every order, fill and round trip for its report, and most start from zero (an order's first
 * fill, a position opened from flat, a round trip's exit): sharing them keeps one decimal, not
 * two equal ones. Two zeros go through big.js (the sign of their sum is big.js's rule). Two
 * non-zero values are added on safe integers (`sumOf`) when they fit, else by big.js.
 *
 * @example
 * addDecimals(ZERO, fill.quantity) === fill.quantity; // true
 */
export function addDecimals(x: Decimal, y: Decimal): Decimal {
  if (y.c[0] === 0) return x.c[0] === 0 ? x.plus(y) : x;
  if (x.c[0] === 0) return y;
  const sum = sumOf(x, y, y.s);
  if (sum) return sum;
  bigJsCalls++;
  return x.plus(y);
}

/**
 * `x.minus(y)` as big.js gives it; `x` itself when `y` is zero and `x` is not; on safe integers
 * when `y` is non-zero and both fit (`sumOf`; a zero `x` is the mantissa 0 on its own place).
 *
 * @example
 * subtractDecimals(order.quantity, ZERO) === order.quantity; // true
 */
export function subtractDecimals(x: Decimal, y: Decimal): Decimal {
  if (y.c[0] === 0) return x.c[0] !== 0 ? x : x.minus(y);
  // A non-zero value less itself (a round trip's size less what closed it, a fee less the share
  // that closed with it): big.js's n − n, +0, without reading either mantissa.
  if (x === y) return POSITIVE_ZERO;
  const difference = sumOf(x, y, -y.s);
  if (difference) return difference;
  bigJsCalls++;
  return x.minus(y);
}

/**
 * `x.neg()`, the same value and sign big.js gives (a zero's sign flips too), without copying the
 * digits: decimals are immutable (big.js copies an operand's digits before changing them), so
 * the negation shares them. A fill's signed quantity, a lot closed, a loss: a new digit array
 * each time with big.js.
 *
 * @example
 * negateDecimal(Dec('2.5')).toFixed(); // '-2.5'
 */
export function negateDecimal(x: Decimal): Decimal {
  return make(-x.s, x.e, x.c);
}

/**
 * `x.abs()`, the same value big.js gives (sign 1, a zero's too): `x` itself when its sign is
 * already 1 (a decimal is immutable: it is its own value), else its digits shared under sign 1.
 *
 * @example
 * absDecimal(Dec('-2.5')).toFixed(); // '2.5'
 */
export function absDecimal(x: Decimal): Decimal {
  return x.s === 1 ? x : make(1, x.e, x.c);
}

/** 2^53: a safe integer's magnitude is below it. */
const TWO_POW_53 = 9_007_199_254_740_992;

/**
 * x + |y| × ySign for a non-zero y, on safe integers: both of at most 15 digits, aligned on
 * the place of the finer last digit by at most 10^22, each aligned mantissa and the sum under
 * 2^53 (so every step is exact); else null. A zero sum is +0, as big.js's n − n (`POSITIVE_ZERO`).
 */
function sumOf(x: Decimal, y: Decimal, ySign: number): Decimal | null {
  const px = x.e - x.c.length + 1;
  const py = y.e - y.c.length + 1;
  const p = Math.min(px, py);
  // NaN past 15 digits (mantissa) or past 10^22 (POW10): both fail the bounds below.
  const ax = mantissa(x) * POW10[px - p]!;
  const ay = mantissa(y) * POW10[py - p]!;
  // Stryker disable next-line EqualityOperator: equivalent, no aligned mantissa is 2^53 (16 digits, and 2^53 is no multiple of 10)
  if (!(ax < TWO_POW_53 && ay < TWO_POW_53)) return null;
  const sum = (x.s === 1 ? ax : -ax) + (ySign === 1 ? ay : -ay);
  if (sum === 0) return POSITIVE_ZERO;
  const magnitude = Math.abs(sum);
  // A true sum of 2^53 + 1 rounds to 2^53: only a magnitude under it is exact.
  if (magnitude >= TWO_POW_53) return null;
  return fromInteger(Math.sign(sum), magnitude, p);
}

/** The last two products (`multiplyDecimals`), the most recent at `recent`. */
// Stryker disable next-line ArrayDeclaration: equivalent, an empty slot misses as null does
const lastX: (Decimal | null)[] = [null, null];
// Stryker disable next-line ArrayDeclaration: equivalent, an empty slot misses as null does
const lastY: (Decimal | null)[] = [null, null];
// Stryker disable next-line ArrayDeclaration: equivalent, read only after its x and y matched
const lastProduct: (Decimal | null)[] = [null, null];
let recent = 0;

/**
 * `x.times(y)`, the same value and sign big.js gives (a zero product keeps the sign of the
 * signs' product), on safe integers when the product of the two mantissas (at most 15 digits
 * each) is under 2^53, else by big.js. The same two decimals as in one of the last two calls
 * give that call's product itself (decimals are immutable): a fill's price × quantity is asked
 * by the fee, the order, the ledger and the round trip, and they share one value.
 *
 * @example
 * multiplyDecimals(fill.price, fill.quantity).toFixed(); // the fill's notional
 */
export function multiplyDecimals(x: Decimal, y: Decimal): Decimal {
  const r = recent;
  if (lastX[r] === x && lastY[r] === y) return lastProduct[r]!;
  const other = 1 - r;
  if (lastX[other] === x && lastY[other] === y) {
    recent = other;
    return lastProduct[other]!;
  }
  const product = productOf(x, y);
  lastX[other] = x;
  lastY[other] = y;
  lastProduct[other] = product;
  recent = other;
  return product;
}

function productOf(x: Decimal, y: Decimal): Decimal {
  const sign = x.s === y.s ? 1 : -1;
  if (x.c[0] === 0 || y.c[0] === 0) return make(sign, 0, [0]);
  // NaN past 15 digits fails the bound
  const m = mantissa(x) * mantissa(y);
  // A true product of 2^53 + 1 (321 × 28059810762433) rounds to 2^53: only one under it is exact.
  if (m < TWO_POW_53) return fromInteger(sign, m, x.e - x.c.length + 1 + (y.e - y.c.length + 1));
  bigJsCalls++;
  return x.times(y);
}

/**
 * The decimal places of `d` (0 for an integer).
 *
 * @example
 * decimalPlaces(Dec('1.250')); // 2
 */
export function decimalPlaces(d: Decimal): number {
  return Math.max(d.c.length - 1 - d.e, 0);
}

/**
 * A big.js value made from its parts as big.js makes one (sign, exponent, digits without
 * leading or trailing zeros, and its own `constructor`), without parsing a string: the same
 * prototype (`instanceof Dec`), the same own properties in the same order.
 */
const Made = function (this: BigParts, s: number, e: number, c: number[]) {
  this.s = s;
  this.e = e;
  this.c = c;
  this.constructor = Dec;
} as unknown as new (s: number, e: number, c: number[]) => Decimal;
Made.prototype = Dec.prototype;

interface BigParts {
  s: number;
  e: number;
  c: number[];
  constructor: unknown;
}

function make(sign: number, e: number, c: number[]): Decimal {
  // The exponent is a small integer, but the arithmetic that finds it (a power of ten from -k,
  // which is -0 for k = 0) can hand V8 a double: one such store turns the field into a boxed
  // double in every decimal made here (16 more bytes each). `| 0` keeps it a small integer.
  return new Made(sign, e | 0, c);
}

/**
 * The +0 every zero sum is (big.js's n − n), one value: an order's leaves, a position or a round
 * trip back to zero would otherwise each make one.
 */
const POSITIVE_ZERO = make(1, 0, [0]);

/** ±q × 10^power for a safe integer q ≥ 0 (a zero keeps `sign`, as big.js's quotients do). */
function fromInteger(sign: number, q: number, power: number): Decimal {
  if (q === 0) return make(sign, 0, [0]);
  let digits = 1;
  while (POW10[digits]! <= q) digits++; // q < 2^53 < 10^16
  // q as two halves, q = hi × 10^8 + lo, each a small integer (hi < 2^53 / 10^8 < 2^31): their
  // % and / are integer instructions, where a double's % is a call (~3× slower per decimal made,
  // and the order path makes ~20 per order). Each step below drops q's last digit.
  let lo = (q % 1e8) | 0;
  let hi = ((q - lo) / 1e8) | 0;
  let len = digits;
  while (lo % 10 === 0) {
    lo = ((lo / 10) | 0) + (hi % 10) * 1e7;
    hi = (hi / 10) | 0;
    len--;
  }
  // exactly as long as the digits (an array grown by push keeps room for 17)
  // Stryker disable next-line ArrayDeclaration: equivalent, every element is set below; only the array's spare room differs
  const c = new Array<number>(len);
  for (let i = len - 1; i >= 0; i--) {
    c[i] = lo % 10;
    lo = ((lo / 10) | 0) + (hi % 10) * 1e7;
    hi = (hi / 10) | 0;
  }
  return make(sign, power + digits - 1, c);
}

/** ±digits × 10^power for the decimal digits of a BigInt ≥ 0. */
function fromBigInt(sign: number, q: bigint, power: number): Decimal {
  if (q === 0n) return make(sign, 0, [0]);
  const text = q.toString();
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  // Stryker disable next-line ArrayDeclaration: equivalent, every element is set below; only the array's spare room differs
  const c = new Array<number>(end);
  for (let i = 0; i < end; i++) c[i] = text.charCodeAt(i) - 48;
  return make(sign, power + text.length - 1, c);
}

/**
 * `d × 10^scale` as a safe integer when it is an integer of at most 15 digits, else NaN (the
 * caller then takes the big.js path). A negative zero gives -0.
 *
 * @example
 * scaledInteger(Dec('101.25'), 2); // 10125
 * scaledInteger(Dec('101.255'), 2); // NaN (not on the grid of 0.01)
 */
export function scaledInteger(d: Decimal, scale: number): number {
  const c = d.c;
  if (!c[0]) return d.s === 1 ? 0 : -0;
  const len = c.length;
  const shift = d.e - len + 1 + scale;
  if (len + shift > MAX_DIGITS) return Number.NaN;
  // Stryker disable next-line ConditionalExpression: equivalent, POW10 has no negative index and m × undefined is NaN too
  if (shift < 0) return Number.NaN;
  let m = 0;
  for (let i = 0; i < len; i++) m = m * 10 + c[i]!;
  m *= POW10[shift]!;
  return d.s === 1 ? m : -m;
}

/**
 * The decimal `m × 10^-scale` for a safe integer `m` (a zero is always +0, as big.js gives
 * `x − x`).
 *
 * @example
 * fromScaled(10125, 2).toFixed(); // '101.25'
 */
export function fromScaled(m: number, scale: number): Decimal {
  return m < 0 ? fromInteger(-1, -m, -scale) : fromInteger(1, m, -scale);
}

/**
 * Exactly `toDecimal(x)` (`Dec(x)`). The fast path: a number that is zero, or under 10^15 with
 * at most 15 significant digits and 22 decimals, is found as integer ÷ 10^k (the shortest
 * decimal that reads back as the same double, which is what `String(x)` prints) without a
 * string, its digits in an array of their own length. Anything else goes to `toDecimal` (a
 * decimal is copied: the copy's digits are compact, so a value kept for the report does not keep
 * the spare room of the array big.js computed it in).
 *
 * @example
 * decimalOf(101.37).toFixed(); // '101.37'
 */
export function decimalOf(x: DecimalInput): Decimal {
  if (typeof x === 'number') {
    const a = Math.abs(x);
    if (a === 0) return make(Object.is(x, -0) ? -1 : 1, 0, [0]);
    for (let k = 0; k <= 22; k++) {
      const m = Math.round(a * POW10[k]!);
      // (an m of exactly 10^15 never reads back as a: 10^(15-k) is found at a smaller k)
      // Stryker disable next-line EqualityOperator: equivalent, see above
      if (m >= 1e15) break;
      if (m / POW10[k]! === a) return fromInteger(a === x ? 1 : -1, m, -k);
    }
  }
  bigJsCalls++;
  return toDecimal(x);
}

/**
 * `Number(d.toString())` without the string: a mantissa of at most 15 digits and a power of ten
 * up to 10^22 are exact doubles, so one IEEE multiplication or division rounds the exact value
 * correctly, as the string conversion does.
 *
 * @example
 * decimalToNumber(Dec('0.1')); // 0.1
 */
export function decimalToNumber(d: Decimal): number {
  const c = d.c;
  const len = c.length;
  const shift = d.e - len + 1;
  if (len <= MAX_DIGITS && shift >= -22 && shift <= 22) {
    let m = 0;
    for (let i = 0; i < len; i++) m = m * 10 + c[i]!;
    // Stryker disable next-line EqualityOperator: equivalent, at shift 0 both sides are m
    const v = shift >= 0 ? m * POW10[shift]! : m / POW10[-shift]!;
    // big.js prints a negative zero as '0'
    return d.s === 1 || v === 0 ? v : -v;
  }
  bigJsCalls++;
  return Number(d.toString());
}

/** |d|'s digits as a safe integer, or NaN past 15 digits. */
function mantissa(d: Decimal): number {
  const c = d.c;
  const len = c.length;
  if (len > MAX_DIGITS) return Number.NaN;
  let m = 0;
  for (let i = 0; i < len; i++) m = m * 10 + c[i]!;
  return m;
}

/** |d| as a BigInt mantissa: |d| = mantissa × 10^(d.e − digits + 1). */
function bigMantissa(d: Decimal): bigint {
  const m = mantissa(d);
  // Stryker disable next-line ConditionalExpression: equivalent, the digits joined as text are the same integer (only slower)
  return m === m ? BigInt(m) : BigInt(d.c.join(''));
}

/**
 * n / d when it is exact with at most `places` decimals (an average fill price: a notional over
 * its quantity), found on safe integers; else null. The range: n and d of at most 15 digits, and
 * the quotient's digits times the divisor's at most 9 × 10^15 (so every step stays an exact
 * double). d is non-zero.
 *
 * @example
 * exactQuotient(Dec('2027.4'), Dec('3'), 30)?.toFixed(); // '675.8'
 * exactQuotient(Dec('2'), Dec('3'), 30); // null
 */
export function exactQuotient(n: Decimal, d: Decimal, places: number): Decimal | null {
  const den = mantissa(d);
  let num = mantissa(n);
  // Stryker disable next-line ConditionalExpression: equivalent, NaN fails every test below too
  if (num !== num || den !== den) return null;
  const sign = n.s === d.s ? 1 : -1;
  if (num === 0) return make(sign, 0, [0]);
  let power = n.e - n.c.length + 1 - (d.e - d.c.length + 1);
  for (;;) {
    if (-power > places) return null;
    if (num % den === 0) return fromInteger(sign, num / den, power);
    // one more decimal while num × 10 stays an exact double
    if (num > 9e14) return null;
    num *= 10;
    power--;
  }
}

/** round-half-even(|n / d| × 10^dp) as a BigInt (d non-zero). */
function scaledQuotient(n: Decimal, d: Decimal, dp: number): bigint {
  let num = bigMantissa(n);
  let den = bigMantissa(d);
  const shift = n.e - n.c.length + 1 - (d.e - d.c.length + 1) + dp;
  // Stryker disable next-line EqualityOperator: equivalent, at shift 0 either side multiplies by 1
  if (shift >= 0) num *= bigPow10(shift);
  else den *= bigPow10(-shift);
  return roundHalfEven(num, den);
}

function roundHalfEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const twice = (num - q * den) * 2n;
  return twice > den || (twice === den && (q & 1n) === 1n) ? q + 1n : q;
}

/**
 * Exactly `n.div(d)`: the quotient rounded half-even to `Dec.DP` (30) places, computed on
 * integers (big.js divides digit by digit, ~10× slower). Throws as big.js does for a zero
 * divisor; under another rounding mode (Dec's is half-even) it is big.js's division.
 *
 * @example
 * divide(Dec('2027.41'), Dec('3')).toFixed(); // '675.803333333333333333333333333333'
 */
export function divide(n: Decimal, d: Decimal): Decimal {
  if (Dec.RM !== HALF_EVEN || !d.c[0]) {
    bigJsCalls++;
    return n.div(d);
  }
  const exactly = exactQuotient(n, d, Dec.DP);
  if (exactly) return exactly;
  bigIntDivisions++;
  return fromBigInt(n.s === d.s ? 1 : -1, scaledQuotient(n, d, Dec.DP), -Dec.DP);
}

/**
 * Exactly `n.div(d).round(places)`: the quotient to `Dec.DP` places, then rounded half-even to
 * `places` (both roundings, as big.js does them). `places` is a whole number ≥ 0 (a
 * `RangeError` otherwise); from `Dec.DP` up it is `divide`.
 *
 * @example
 * divideRounded(Dec('2'), Dec('3'), 12).toFixed(); // '0.666666666667'
 */
export function divideRounded(n: Decimal, d: Decimal, places: number): Decimal {
  if (!Number.isInteger(places) || places < 0)
    throw new RangeError(`divideRounded: places must be a whole number ≥ 0, was ${places}`);
  if (Dec.RM !== HALF_EVEN || !d.c[0]) {
    bigJsCalls++;
    return n.div(d).round(places);
  }
  const dp = Dec.DP;
  const p = Math.min(places, dp);
  const exactly = exactQuotient(n, d, p);
  if (exactly) return exactly;
  bigIntDivisions++;
  const q = roundHalfEven(scaledQuotient(n, d, dp), bigPow10(dp - p));
  return fromBigInt(n.s === d.s ? 1 : -1, q, -p);
}
