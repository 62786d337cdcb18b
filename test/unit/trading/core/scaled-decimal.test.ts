import fc from 'fast-check';
import { Dec, type Decimal } from '../../../../src/trading/core/decimal.js';
import * as fast from '../../../../src/trading/core/scaled-decimal.js';
import {
  absDecimal,
  addDecimals,
  compareDecimals,
  decimalOf,
  decimalPlaces,
  decimalToNumber,
  divide,
  divideRounded,
  exactQuotient,
  fromScaled,
  largerDecimal,
  multiplyDecimals,
  negateDecimal,
  scaledInteger,
  signOf,
  smallerDecimal,
  subtractDecimals,
} from '../../../../src/trading/core/scaled-decimal.js';
import { averageFillPrice, initOrder, type Order } from '../../../../src/trading/model/order.js';
import { isOnGrid, snapToGrid, type SnapMode } from '../../../../src/trading/model/snap.js';
import type { Price, Quantity } from '../../../../src/trading/core/money.js';
import { hot } from '../../../support/hot-expect.js';

// The scaled-integer fast path must give exactly what big.js gives: the same digits, exponent
// and sign (so the same strings in every report), on grid values and on values that leave the
// fast range (more than 15 digits, far exponents), which take the big.js path.

/** The whole big.js value: digits, exponent and sign. */
const exact = (d: Decimal) => ({
  c: [...d.c],
  e: d.e,
  s: d.s,
  text: d.toFixed(),
  own: Object.keys(d),
  big: d instanceof Dec && d.constructor === Dec,
});

/** Any decimal: 1 to 40 significant digits, exponents from 10^-40 to 10^25, either sign. */
const anyDecimal = fc
  .tuple(fc.boolean(), fc.stringMatching(/^[1-9][0-9]{0,39}$/), fc.integer({ min: -40, max: 25 }))
  .map(([neg, digits, exp]) => Dec(`${neg ? '-' : ''}${digits}e${exp}`));
/** Values on a trading grid: a count of ticks or lots (up to 15 digits) of 10^-k. */
const gridDecimal = fc
  .tuple(fc.boolean(), fc.integer({ min: 0, max: 10 ** 15 - 1 }), fc.integer({ min: 0, max: 12 }))
  .map(([neg, m, k]) => Dec(`${neg ? '-' : ''}${m}e-${k}`));
const decimal = fc.oneof(anyDecimal, gridDecimal, fc.constantFrom(Dec(0), Dec('-0'), Dec(1)));
const step = fc.oneof(
  fc.constantFrom('1', '0.01', '0.5', '0.001', '0.00000001', '0.25', '5', '0.003', '0.05', '-0.5'),
  anyDecimal.map((d) => d.abs().toFixed()),
);

/** snapToGrid as it was, on big.js alone. */
function snapBig(x: Decimal, s: Decimal, mode: SnapMode): Decimal {
  const rem = x.mod(s);
  if (rem.eq(0)) return x;
  const floor = rem.gt(0) ? x.minus(rem) : x.minus(rem).minus(s);
  if (mode === 'down') return floor;
  if (mode === 'up') return floor.plus(s);
  return x.minus(floor).times(2).gte(s) ? floor.plus(s) : floor;
}

describe('the scaled-integer fast path agrees exactly with big.js', () => {
  it('converts to and from scaled integers, to numbers and to a sign, as big.js and Number do', () => {
    fc.assert(
      fc.property(decimal, fc.integer({ min: 0, max: 20 }), (d, scale) => {
        hot(Object.is(decimalToNumber(d), Number(d.toString()))).toBe(true);
        hot(signOf(d)).toBe(d.cmp(0));
        const m = scaledInteger(d, scale);
        const times = d.times(Dec(10).pow(scale));
        const fits = times.eq(times.round(0, Dec.roundDown)) && times.abs().lt('1e15');
        hot(Number.isNaN(m)).toBe(!fits);
        if (fits) {
          hot(m === Number(times.toFixed())).toBe(true); // a negative zero gives -0
          // back to the same value (a zero always as +0, as big.js's x − x)
          hot(exact(fromScaled(m, scale))).toEqual(exact(d.eq(0) ? Dec(0) : d));
        }
        hot(decimalPlaces(d)).toBe(Math.max(0, d.c.length - 1 - d.e));
      }),
      { numRuns: 1000 },
    );
  });

  it('makes the decimal of any safe integer over a power of ten as big.js parses it, trailing zeros included', () => {
    // fromScaled's digits come from two halves of the integer (below and above 10^8): values
    // across the whole safe range, with up to 15 trailing zeros, and at the halves' seams.
    const MAX = Number.MAX_SAFE_INTEGER;
    const safe = fc.oneof(
      fc.integer({ min: -MAX, max: MAX }),
      fc
        .tuple(fc.integer({ min: -MAX, max: MAX }), fc.integer({ min: 0, max: 15 }))
        .map(([m, k]) => Math.trunc(m / 10 ** k) * 10 ** k),
      fc.constantFrom(MAX, -MAX, 1e8, 1e8 - 1, 1e8 + 1, 1e15, 9e15, 2e8, 12e7, 100000010, 1, 10),
    );
    fc.assert(
      fc.property(safe, fc.integer({ min: 0, max: 30 }), (m, scale) => {
        // big.js parses the integer's text; a zero is +0 (m − m)
        hot(exact(fromScaled(m, scale))).toEqual(exact(Dec(`${m === 0 ? 0 : m}e-${scale}`)));
      }),
      { numRuns: 3000 },
    );
  });

  it('turns a decimal of 16 to 25 digits into the double its text reads as, not a rounded sum of its digits', () => {
    // Past 15 digits the mantissa is no longer an exact double: summing the digits as a number
    // and scaling it rounds twice and is one unit in the last place off for about a third of
    // these values (5839.89787577219777017 among them).
    const long = fc
      .tuple(
        fc.boolean(),
        fc.stringMatching(/^[1-9][0-9]{15,24}$/),
        fc.integer({ min: -12, max: 12 }),
      )
      .map(([neg, digits, e]) => Dec(`${neg ? '-' : ''}${digits}e${e - digits.length + 1}`));
    fc.assert(
      fc.property(long, (d) => {
        hot(Object.is(decimalToNumber(d), Number(d.toString()))).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(decimalToNumber(Dec('5839.89787577219777017'))).toBe(Number('5839.89787577219777017'));
  });

  it('makes a decimal of a number as big.js does (its shortest string), and keeps a decimal as it is', () => {
    const numbers = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: -(10 ** 9), max: 10 ** 9 }).map((i) => i / 100), // prices on a cent grid
      fc.integer({ min: 1, max: 10 ** 6 }).map((i) => (i * 0.001) / 3), // fractions of lots
      fc
        .tuple(fc.integer({ min: 1, max: 999_999 }), fc.integer({ min: -30, max: 20 }))
        .map(([m, e]) => m * 10 ** e),
      fc.constantFrom(0, -0, 1e15, 999999999999999, 1e-7, 5e-324, Number.MAX_VALUE, 0.1 + 0.2),
    );
    fc.assert(
      fc.property(numbers, (n) => {
        hot(exact(decimalOf(n))).toEqual(exact(Dec(n)));
      }),
      { numRuns: 3000 },
    );
    // A decimal is immutable: it is returned as it is, not copied.
    const d = Dec('101.37');
    expect(decimalOf(d)).toBe(d);
    expect(exact(decimalOf('1.50'))).toEqual(exact(Dec('1.5')));
    for (const bad of [Number.NaN, Infinity, -Infinity, 'abc'])
      expect(() => decimalOf(bad)).toThrow(RangeError);
  });

  it('picks the smaller and the larger of two decimals by value, the second of two equal ones', () => {
    fc.assert(
      fc.property(decimal, decimal, (x, y) => {
        const lo = smallerDecimal(x, y);
        const hi = largerDecimal(x, y);
        hot(lo.eq(x.lt(y) ? x : y)).toBe(true);
        hot(hi.eq(x.gt(y) ? x : y)).toBe(true);
        // one of the two given, never a copy
        expect([x, y]).toContain(lo);
        expect([x, y]).toContain(hi);
        const same = x.plus(0); // equal to x, another object
        hot(smallerDecimal(x, same)).toBe(same);
        hot(largerDecimal(x, same)).toBe(same);
      }),
      { numRuns: 1000 },
    );
    expect(smallerDecimal(Dec('1.5'), Dec('1.25')).toFixed()).toBe('1.25');
    expect(smallerDecimal(Dec('1.25'), Dec('1.5')).toFixed()).toBe('1.25');
    expect(largerDecimal(Dec('-1.5'), Dec('-1.25')).toFixed()).toBe('-1.25');
    expect(largerDecimal(Dec('-1.25'), Dec('-1.5')).toFixed()).toBe('-1.25');
  });

  it('compares as big.js does, on any two decimals, zeros of both signs and equal values', () => {
    const withZeros = fc.oneof(decimal, fc.constantFrom(Dec(0), Dec('-0'), Dec('10'), Dec('-10')));
    fc.assert(
      fc.property(withZeros, withZeros, (x, y) => {
        hot(compareDecimals(x, y)).toBe(x.cmp(y));
        hot(compareDecimals(x, x.plus(0))).toBe(0);
        // the same digits, shorter or longer, and the same length with one digit apart
        const z = x.times('1.0000000001');
        hot(compareDecimals(x, z)).toBe(x.cmp(z));
        hot(compareDecimals(z, x)).toBe(z.cmp(x));
      }),
      { numRuns: 3000 },
    );
    for (const [a, b] of [
      ['1.5', '1.25'],
      ['-1.5', '-1.25'],
      ['1.25', '1.3'],
      ['-1.25', '-1.3'],
      ['100', '99.999'],
      ['-100', '-99.999'],
      ['0', '-0'],
      ['0.001', '0'],
      ['-0.001', '-0'],
      ['1e5', '9e4'], // exponents one apart
      ['-1e5', '-9e4'],
      ['1.2', '1.3'], // the last of equal-length digits
      ['-1.2', '-1.3'],
      ['1.2', '1.2'],
      ['-1.2', '-1.2'],
      ['1.2', '1.21'], // the same digits, one longer
      ['-1.2', '-1.21'],
    ])
      expect([compareDecimals(Dec(a!), Dec(b!)), compareDecimals(Dec(b!), Dec(a!))]).toEqual([
        Dec(a!).cmp(Dec(b!)),
        Dec(b!).cmp(Dec(a!)),
      ]);
  });

  it('adds, subtracts and multiplies as big.js does, sharing the other side of a sum when one is zero', () => {
    // Zeros of both signs on either side: big.js's sum of two zeros takes a sign by its own rule.
    const withZeros = fc.oneof(decimal, fc.constantFrom(Dec(0), Dec('-0'), Dec(0).neg()));
    fc.assert(
      fc.property(withZeros, withZeros, (x, y) => {
        hot(exact(addDecimals(x, y))).toEqual(exact(x.plus(y)));
        hot(exact(subtractDecimals(x, y))).toEqual(exact(x.minus(y)));
        hot(exact(multiplyDecimals(x, y))).toEqual(exact(x.times(y)));
        // asked again (the product kept from the last calls): the same value
        hot(exact(multiplyDecimals(x, y))).toEqual(exact(x.times(y)));
      }),
      { numRuns: 3000 },
    );
    const q = Dec('10');
    expect(addDecimals(Dec(0), q)).toBe(q);
    expect(addDecimals(q, Dec('-0'))).toBe(q);
    expect(subtractDecimals(q, Dec(0))).toBe(q);
    for (const [a, b] of [
      [Dec(0), Dec('-0')],
      [Dec('-0'), Dec(0)],
      [Dec('-0'), Dec('-0')],
    ] as const) {
      expect(exact(addDecimals(a, b))).toEqual(exact(a.plus(b)));
      expect(exact(subtractDecimals(a, b))).toEqual(exact(a.minus(b)));
    }
  });

  it('negates and takes magnitudes as big.js does, zeros of both signs included, sharing the digits', () => {
    const withZeros = fc.oneof(decimal, fc.constantFrom(Dec(0), Dec('-0'), Dec(0).neg()));
    fc.assert(
      fc.property(withZeros, (x) => {
        const before = exact(x);
        hot(exact(negateDecimal(x))).toEqual(exact(x.neg()));
        hot(exact(absDecimal(x))).toEqual(exact(x.abs()));
        // twice negated: the value itself again; the operand is never changed
        hot(exact(negateDecimal(negateDecimal(x)))).toEqual(before);
        hot(exact(x)).toEqual(before);
      }),
      { numRuns: 3000 },
    );
    const q = Dec('10');
    expect(absDecimal(q)).toBe(q);
    expect(negateDecimal(q).c).toBe(q.c);
    // big.js's arithmetic on a negation leaves the shared digits as they were
    const n = negateDecimal(Dec('123.45'));
    expect(exact(n.plus('0.001').minus('7e-9').times(3).div(7).round(4))).toEqual(
      exact(Dec('-123.45').plus('0.001').minus('7e-9').times(3).div(7).round(4)),
    );
    expect(exact(n)).toEqual(exact(Dec('-123.45')));
  });

  it('subtracts a decimal from itself as big.js does: +0 for any non-zero value, of any size', () => {
    const withZeros = fc.oneof(decimal, fc.constantFrom(Dec(0), Dec('-0'), Dec(0).neg()));
    fc.assert(
      fc.property(withZeros, (x) => {
        hot(exact(subtractDecimals(x, x))).toEqual(exact(x.minus(x)));
      }),
      { numRuns: 2000 },
    );
    const zero = subtractDecimals(Dec('10'), Dec('10'));
    const big = Dec('123456789012345678901234.5');
    expect(subtractDecimals(big, big)).toBe(zero);
    expect(subtractDecimals(Dec('-3'), Dec('-3'))).toBe(zero);
  });

  it('gives every zero sum of two non-zero decimals as one value, the +0 big.js gives', () => {
    const zero = subtractDecimals(Dec('10'), Dec('10'));
    expect(exact(zero)).toEqual(exact(Dec('10').minus(Dec('10'))));
    expect(addDecimals(Dec('-2.5'), Dec('2.5'))).toBe(zero);
    expect(subtractDecimals(Dec('0.001'), Dec('1e-3'))).toBe(zero);
  });

  it('gives the product of the same two decimals as one of the last two calls as that value itself', () => {
    const [price, qty, rate, other] = [Dec('101.37'), Dec('10'), Dec('0.001'), Dec('3')];
    const notional = multiplyDecimals(price, qty);
    expect(multiplyDecimals(price, qty)).toBe(notional);
    const fee = multiplyDecimals(notional, rate);
    expect(multiplyDecimals(price, qty)).toBe(notional); // the older of the two
    // a third product replaces the one asked least recently (the fee), not the notional
    const third = multiplyDecimals(other, qty);
    expect(multiplyDecimals(price, qty)).toBe(notional);
    expect(multiplyDecimals(other, qty)).toBe(third);
    expect(multiplyDecimals(notional, rate)).not.toBe(fee);
    expect(exact(multiplyDecimals(notional, rate))).toEqual(exact(fee));
    // equal values in other decimals are another pair: computed, the same value
    const again = multiplyDecimals(Dec('101.37'), Dec('10'));
    expect(again).not.toBe(notional);
    expect(exact(again)).toEqual(exact(notional));
  });

  it('divides as big.js does: 30 places, half-even, then rounded again when asked', () => {
    fc.assert(
      fc.property(decimal, decimal, fc.integer({ min: 0, max: 35 }), (n, d, places) => {
        if (d.eq(0)) {
          expect(() => divide(n, d)).toThrow('[big.js] Division by zero');
          expect(() => divideRounded(n, d, places)).toThrow('[big.js] Division by zero');
          return;
        }
        // the BigInt path only when the quotient is not exact on safe integers, never big.js
        const whole = paths(() => divide(n, d));
        hot(exact(whole.value)).toEqual(exact(n.div(d)));
        expect(whole).toMatchObject({ bigJs: 0, bigInt: exactQuotient(n, d, 30) ? 0 : 1 });
        const rounded = paths(() => divideRounded(n, d, places));
        hot(exact(rounded.value)).toEqual(exact(n.div(d).round(places)));
        expect(rounded).toMatchObject({
          bigJs: 0,
          bigInt: exactQuotient(n, d, Math.min(places, 30)) ? 0 : 1,
        });
      }),
      { numRuns: 1000 },
    );
    // Ties at the 30th place and again at the 12th go to the even digit, as big.js's do.
    const ties: [string, string, string, string][] = [
      ['1e-30', '2', '0', '0'],
      ['3e-30', '2', '0.000000000000000000000000000002', '0'],
      ['5e-30', '-2', '-0.000000000000000000000000000002', '0'],
      ['1.0000000000005', '1', '1.0000000000005', '1'],
      ['1.0000000000015', '1', '1.0000000000015', '1.000000000002'],
      ['-2', '3', '-0.666666666666666666666666666667', '-0.666666666667'],
    ];
    for (const [n, d, at30, at12] of ties) {
      expect(divide(Dec(n), Dec(d)).toFixed()).toBe(at30);
      expect(divideRounded(Dec(n), Dec(d), 12).toFixed()).toBe(at12);
      for (const p of [0, 12, 29]) {
        expect(exact(divide(Dec(n), Dec(d)))).toEqual(exact(Dec(n).div(d)));
        expect(exact(divideRounded(Dec(n), Dec(d), p))).toEqual(exact(Dec(n).div(d).round(p)));
      }
    }
  });

  it('snaps to a grid as big.js does, returning the same value when it is on the grid', () => {
    fc.assert(
      fc.property(
        decimal,
        step,
        fc.constantFrom<SnapMode>('down', 'up', 'nearest'),
        (x, s, mode) => {
          const st = Dec(s);
          hot(isOnGrid(x, st)).toBe(x.mod(st).eq(0));
          const fast = snapToGrid(x, st, mode);
          const big = snapBig(x, st, mode);
          hot(exact(fast)).toEqual(exact(big));
          hot(fast === x).toBe(big === x);
        },
      ),
      { numRuns: 1000 },
    );
    expect(() => snapToGrid(Dec(1), Dec(0), 'down')).toThrow();
  });

  it('on random orders, fills and fees: average fill prices, pro-rata fees and trip prices', () => {
    const fillOf = fc.tuple(gridDecimal, gridDecimal).map(([p, q]) => ({ p: p.abs(), q: q.abs() }));
    const rate = fc.constantFrom('0', '0.001', '0.00075', '0.0002', '0.0007', '0.1', '0.0000001');
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fillOf,
            fc.tuple(anyDecimal, anyDecimal).map(([p, q]) => ({ p: p.abs(), q: q.abs() })),
          ),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        rate,
        fc.constantFrom('1', '0.01', '0.00001', '0.05'),
        (fills, r, tick) => {
          let notional = Dec(0);
          let filled = Dec(0);
          for (const f of fills) {
            notional = notional.plus(f.p.times(f.q));
            filled = filled.plus(f.q);
            // a fee split pro rata between the part that closes a trip and the rest
            const fee = f.p.times(f.q).times(r);
            if (!filled.eq(0))
              hot(exact(divide(fee.times(f.q), filled))).toEqual(exact(fee.times(f.q).div(filled)));
            // the fill price snapped to the instrument's tick, as slippage does
            for (const mode of ['down', 'up', 'nearest'] as const)
              hot(exact(snapToGrid(f.p, Dec(tick), mode))).toEqual(
                exact(snapBig(f.p, Dec(tick), mode)),
              );
          }
          const order: Order = {
            ...initOrder({
              clientOrderId: 'K-1',
              accountId: 'a',
              strategyId: 's',
              instrumentId: 'X/USD',
              side: 'BUY',
              type: 'MARKET',
              timeInForce: 'GTC',
              quantity: filled as Quantity,
              price: null as Price | null,
              triggerPrice: null,
              postOnly: false,
              reduceOnly: false,
              createdAt: 0,
              tag: null,
            }),
            filledQuantity: filled as Quantity,
            filledNotional: notional,
          };
          const avg = averageFillPrice(order);
          if (filled.eq(0)) expect(avg).toBeNull();
          else {
            hot(exact(avg!)).toEqual(exact(notional.div(filled)));
            hot(exact(divideRounded(notional, filled, 12))).toEqual(
              exact(notional.div(filled).round(12)),
            );
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

/** What `run` returns and how many of its calls left the fast path (for big.js, for BigInt). */
function paths<T>(run: () => T): { value: T; bigJs: number; bigInt: number } {
  const [bigJs, bigInt] = [fast.bigJsCalls, fast.bigIntDivisions];
  const value = run();
  return { value, bigJs: fast.bigJsCalls - bigJs, bigInt: fast.bigIntDivisions - bigInt };
}

/** Checks each pair both ways round and with either side negated. */
function eachWay(pairs: [string, string][], check: (x: Decimal, y: Decimal) => void): void {
  for (const [a, b] of pairs) {
    check(Dec(a), Dec(b));
    check(Dec(b), Dec(a));
    check(Dec(a).neg(), Dec(b));
    check(Dec(a), Dec(b).neg());
  }
}

/** A decimal of 1 to 17 significant digits (the last not 0) whose last digit is at 10^-25…10^25. */
const decimalAt = fc
  .tuple(
    fc.boolean(),
    fc.integer({ min: 1, max: 17 }),
    fc.bigInt({ min: 0n, max: 10n ** 17n }),
    fc.integer({ min: -25, max: 25 }),
  )
  .map(([neg, len, r, last]) => {
    const low = 10n ** BigInt(len - 1);
    let digits = low + (r % (9n * low));
    if (digits % 10n === 0n) digits += 1n;
    return Dec(`${neg ? '-' : ''}${digits}e${last}`);
  });

describe('the fast path handles every value of its documented range (its speed is the point)', () => {
  it('makes a decimal of every number that is zero, or under 10^15 with at most 15 digits and 22 decimals, without big.js', () => {
    const inRange = (x: number) => {
      if (x === 0) return true;
      if (!Number.isFinite(x) || Math.abs(x) >= 1e15) return false;
      const d = Dec(x);
      return d.c.length <= 15 && decimalPlaces(d) <= 22;
    };
    const check = (x: number) => {
      const made = paths(() => decimalOf(x));
      hot(exact(made.value)).toEqual(exact(Dec(x)));
      hot(made.bigJs).toBe(inRange(x) ? 0 : 1);
    };
    fc.assert(
      fc.property(
        fc.oneof(
          decimalAt.map((d) => Number(d.toString())),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
        ),
        check,
      ),
      { numRuns: 3000 },
    );
    // the edges: 15 and 16 digits, 22 and 23 decimals, 10^15, both zeros, both signs
    for (const x of [
      0,
      -0,
      999999999999999,
      123456789012345,
      1e15,
      1234567890123456,
      1e-22,
      1.5e-22,
      1e-23,
      1.23456789012345e-8,
      1.234567890123456e-7,
      0.1 + 0.2,
      5e-324,
      1e300,
      99.5,
      1e14,
    ]) {
      check(x);
      check(-x);
    }
    // text and decimals go to big.js, whatever their sign and length
    for (const v of ['1.50', '-0.1000000000000000000001', '7', Dec('101.37'), Dec('-2.5')]) {
      const made = paths(() => decimalOf(v));
      expect(exact(made.value)).toEqual(exact(Dec(v)));
      expect(made.bigJs).toBe(1);
    }
  });

  it('adds and subtracts on safe integers every two decimals of at most 15 digits that fit under 2^53 on a common place', () => {
    // The range: y non-zero (and x too for a sum: x + 0 and 0 + y are x and y), at most 15
    // digits each, the coarser one's last digit at most 10^22 above the finer one's, each
    // aligned on the finer place and the result under 2^53. A zero is the digit 0 on place 0.
    const inRange = (x: Decimal, y: Decimal, ySign: number) => {
      if (!y.c[0] || x.c.length > 15 || y.c.length > 15) return false;
      const px = x.e - x.c.length + 1;
      const py = y.e - y.c.length + 1;
      const p = Math.min(px, py);
      if (px - p > 22 || py - p > 22) return false;
      const limit = 2n ** 53n;
      const ax = BigInt(x.c.join('')) * 10n ** BigInt(px - p);
      const ay = BigInt(y.c.join('')) * 10n ** BigInt(py - p);
      const sum = BigInt(x.s) * ax + BigInt(ySign) * ay;
      return ax < limit && ay < limit && sum < limit && -sum < limit;
    };
    const check = (x: Decimal, y: Decimal) => {
      const sum = paths(() => addDecimals(x, y));
      hot(exact(sum.value)).toEqual(exact(x.plus(y)));
      hot(sum.bigJs).toBe(x.c[0] && y.c[0] && !inRange(x, y, y.s) ? 1 : 0);
      const difference = paths(() => subtractDecimals(x, y));
      hot(exact(difference.value)).toEqual(exact(x.minus(y)));
      hot(difference.bigJs).toBe(y.c[0] && !inRange(x, y, -y.s) ? 1 : 0);
    };
    fc.assert(fc.property(decimalAt, decimalAt, check), { numRuns: 3000 });
    fc.assert(fc.property(gridDecimal, gridDecimal, check), { numRuns: 1000 });
    // the edges: 2^53 − 1 and 2^53 as an aligned mantissa and as a sum, 15 and 16 digits,
    // last places 22 and 23 apart, equal values (a +0)
    const cases: [string, string][] = [
      ['900719925474099.1', '0.0000000000000001'],
      ['900719925474099.2', '0.0000000000000001'],
      ['4503599627370496', '1'],
      ['450359962737049', '450359962737049'],
      ['4503599627370.49', '4503599627370.50'],
      ['4503599627370.49', '4503599627370.48'],
      ['999999999999999', '1'],
      ['9999999999999999', '1'],
      ['1e22', '1'],
      ['1e23', '1'],
      ['1e-22', '1'],
      ['1e-23', '1'],
      ['101.37', '101.37'],
      ['-101.37', '101.37'],
      // a true sum of 2^53 + 1 that doubles round to 2^53, and 2^53 itself
      ['9007199254740990', '3'],
      ['9007199254740990', '2'],
      ['900719925474099.0', '0.3'],
      // from zero: on its own place, within 10^22 and past it
      ['0', '123.45'],
      ['0', '1e22'],
      ['0', '1e23'],
      ['0', '1e-22'],
      ['0', '1e-23'],
    ];
    eachWay(cases, check);
  });

  it('multiplies on safe integers every two decimals whose mantissas multiply to under 2^53', () => {
    const check = (x: Decimal, y: Decimal) => {
      const fits =
        !x.c[0] ||
        !y.c[0] ||
        (x.c.length <= 15 &&
          y.c.length <= 15 &&
          BigInt(x.c.join('')) * BigInt(y.c.join('')) < 2n ** 53n);
      // two fresh decimals: never one of the last products
      const product = paths(() => multiplyDecimals(Dec(x), Dec(y)));
      hot(exact(product.value)).toEqual(exact(x.times(y)));
      hot(product.bigJs).toBe(fits ? 0 : 1);
    };
    fc.assert(fc.property(decimalAt, decimalAt, check), { numRuns: 3000 });
    const edges: [string, string][] = [
      ['94906265', '94906265'], // 9007199136250225 < 2^53
      ['94906267', '94906267'], // 9007199515875289 > 2^53
      ['4503599627370496', '1'], // 16 digits
      ['450359962737049.6', '2'], // 2^53 − 8 with a 16-digit mantissa: past 15 digits
      ['4503599627370.48', '2'],
      ['321', '28059810762433'], // 2^53 + 1, which doubles round to 2^53
      ['67108864', '134217728'], // 2^53 itself
      ['0', '1234567890123456789'],
      ['-0', '3'],
    ];
    eachWay(edges, check);
  });

  it('turns every decimal of at most 15 digits whose last digit is within 10^±22 into a number without big.js', () => {
    const check = (d: Decimal) => {
      const shift = d.e - d.c.length + 1;
      const made = paths(() => decimalToNumber(d));
      hot(Object.is(made.value, Number(d.toString()))).toBe(true);
      hot(made.bigJs).toBe(d.c.length <= 15 && shift >= -22 && shift <= 22 ? 0 : 1);
    };
    fc.assert(fc.property(decimalAt, check), { numRuns: 2000 });
    for (const sign of ['', '-'])
      for (const digits of ['123456789012345', '1234567890123456', '7', '0'])
        for (const last of [-23, -22, 0, 22, 23]) check(Dec(`${sign}${digits}e${last}`));
  });

  it('scales to a safe integer exactly on the grid and within 15 digits, at each bound', () => {
    // the decimals exactly at the scale (no zeros to append), and one place finer
    expect(scaledInteger(Dec('101.25'), 2)).toBe(10125);
    expect(scaledInteger(Dec('-101.25'), 2)).toBe(-10125);
    expect(scaledInteger(Dec('101.255'), 2)).toBeNaN();
    expect(scaledInteger(Dec('101.25'), 3)).toBe(101250);
    // 15 digits scaled, and 16
    expect(scaledInteger(Dec('999999999999999'), 0)).toBe(999999999999999);
    expect(scaledInteger(Dec('99999999999999.9'), 1)).toBe(999999999999999);
    expect(scaledInteger(Dec('1e14'), 0)).toBe(1e14);
    expect(scaledInteger(Dec('1e15'), 0)).toBeNaN();
    expect(scaledInteger(Dec('1e14'), 1)).toBeNaN();
    expect(scaledInteger(Dec('1234567890123456'), 0)).toBeNaN();
  });

  it('gives a zero of either sign as a zero of that sign on every scale', () => {
    for (let scale = 0; scale <= 20; scale++) {
      expect(Object.is(scaledInteger(Dec('-0'), scale), -0)).toBe(true);
      expect(Object.is(scaledInteger(Dec('0'), scale), 0)).toBe(true);
    }
  });

  it('finds on safe integers every quotient that is exact within its places and 9 × 10^15', () => {
    // The range: n and d of at most 15 digits, the quotient exact with at most `places`
    // decimals, its digits times the divisor's at most 9 × 10^15 (each step an exact double).
    const inRange = (n: Decimal, d: Decimal, places: number) => {
      const q = n.div(d);
      if (n.c.length > 15 || d.c.length > 15 || !q.times(d).eq(n)) return false;
      const digits = BigInt(q.c.join('')) * BigInt(d.c.join(''));
      return decimalPlaces(q) <= places && digits <= 9_000_000_000_000_000n;
    };
    const check = (n: Decimal, d: Decimal, places: number) => {
      const q = exactQuotient(n, d, places);
      hot(q !== null).toBe(inRange(n, d, places));
      if (q) hot(exact(q)).toEqual(exact(n.div(d)));
    };
    const nonZero = decimalAt;
    fc.assert(
      fc.property(
        fc.oneof(
          // exact quotients: n is q × d
          fc.tuple(decimalAt, nonZero).map(([q, d]) => [q.times(d), d] as const),
          fc.tuple(gridDecimal, nonZero),
        ),
        fc.integer({ min: 0, max: 30 }),
        ([n, d], places) => check(n, d, places),
      ),
      { numRuns: 3000 },
    );
    const cases: [string, string, number][] = [
      ['9', '32768', 15], // 0.000274658203125: 9 × 10^15 / 2^15, the last step that fits
      ['9', '32768', 14],
      ['9.1', '32768', 20], // 91 × 10^14 is past 9 × 10^15
      ['1', '8', 3],
      ['1', '8', 2],
      ['-1', '8', 3],
      ['123456789012345', '123456789012345', 0],
      ['1234567890123456', '2', 0],
      ['2', '1234567890123456', 30],
      ['0', '1000', 0],
      ['0', '1234567890123456', 5], // a zero over a divisor past 15 digits: out of range too
      ['0', '-0.001', 0],
      ['-0', '7', 0],
      ['0.123', '1', 2],
      ['0.123', '1', 3],
      ['2', '3', 30],
    ];
    for (const [n, d, places] of cases) check(Dec(n), Dec(d), places);
  });

  it('refuses a negative or fractional number of places', () => {
    for (const bad of [-1, 1.5, Number.NaN, Infinity])
      expect(() => divideRounded(Dec(1), Dec(3), bad)).toThrow(
        new RangeError(`divideRounded: places must be a whole number ≥ 0, was ${bad}`),
      );
    expect(divideRounded(Dec(1), Dec(3), 0).toFixed()).toBe('0');
  });

  it("divides as big.js does under another rounding mode, should Dec's ever change", () => {
    const rm = Dec.RM;
    try {
      for (const mode of [Dec.roundHalfUp, Dec.roundDown, Dec.roundUp]) {
        Dec.RM = mode;
        for (const [n, d] of [
          ['1e-30', '2'],
          ['-2', '3'],
          ['1.0000000000005', '1'],
        ] as const) {
          const whole = paths(() => divide(Dec(n), Dec(d)));
          expect(exact(whole.value)).toEqual(exact(Dec(n).div(d)));
          expect(whole.bigJs).toBe(1);
          const rounded = paths(() => divideRounded(Dec(n), Dec(d), 12));
          expect(exact(rounded.value)).toEqual(exact(Dec(n).div(d).round(12)));
          expect(rounded.bigJs).toBe(1);
        }
      }
    } finally {
      Dec.RM = rm;
    }
  });
});
