import fc from 'fast-check';
import { Dec, type Decimal } from '../../../../src/trading/core/decimal.js';
import {
  addDecimals,
  compareDecimals,
  decimalOf,
  decimalPlaces,
  decimalToNumber,
  divide,
  divideRounded,
  fromScaled,
  scaledInteger,
  signOf,
  subtractDecimals,
} from '../../../../src/trading/core/scaled-decimal.js';
import { averageFillPrice, initOrder, type Order } from '../../../../src/trading/model/order.js';
import { isOnGrid, snapToGrid, type SnapMode } from '../../../../src/trading/model/snap.js';
import type { Price, Quantity } from '../../../../src/trading/core/money.js';

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
        expect(Object.is(decimalToNumber(d), Number(d.toString()))).toBe(true);
        expect(signOf(d)).toBe(d.cmp(0));
        const m = scaledInteger(d, scale);
        const times = d.times(Dec(10).pow(scale));
        const fits = times.eq(times.round(0, Dec.roundDown)) && times.abs().lt('1e15');
        expect(Number.isNaN(m)).toBe(!fits);
        if (fits) {
          expect(m === Number(times.toFixed())).toBe(true); // a negative zero gives -0
          // back to the same value (a zero always as +0, as big.js's x − x)
          expect(exact(fromScaled(m, scale))).toEqual(exact(d.eq(0) ? Dec(0) : d));
        }
        expect(decimalPlaces(d)).toBe(Math.max(0, d.c.length - 1 - d.e));
      }),
      { numRuns: 1000 },
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
        expect(Object.is(decimalToNumber(d), Number(d.toString()))).toBe(true);
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
        expect(exact(decimalOf(n))).toEqual(exact(Dec(n)));
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

  it('compares as big.js does, on any two decimals, zeros of both signs and equal values', () => {
    const withZeros = fc.oneof(decimal, fc.constantFrom(Dec(0), Dec('-0'), Dec('10'), Dec('-10')));
    fc.assert(
      fc.property(withZeros, withZeros, (x, y) => {
        expect(compareDecimals(x, y)).toBe(x.cmp(y));
        expect(compareDecimals(x, x.plus(0))).toBe(0);
        // the same digits, shorter or longer, and the same length with one digit apart
        const z = x.times('1.0000000001');
        expect(compareDecimals(x, z)).toBe(x.cmp(z));
        expect(compareDecimals(z, x)).toBe(z.cmp(x));
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
    ])
      expect([compareDecimals(Dec(a!), Dec(b!)), compareDecimals(Dec(b!), Dec(a!))]).toEqual([
        Dec(a!).cmp(Dec(b!)),
        Dec(b!).cmp(Dec(a!)),
      ]);
  });

  it('adds and subtracts as big.js does, sharing the other side when one is zero', () => {
    // Zeros of both signs on either side: big.js's sum of two zeros takes a sign by its own rule.
    const withZeros = fc.oneof(decimal, fc.constantFrom(Dec(0), Dec('-0'), Dec(0).neg()));
    fc.assert(
      fc.property(withZeros, withZeros, (x, y) => {
        expect(exact(addDecimals(x, y))).toEqual(exact(x.plus(y)));
        expect(exact(subtractDecimals(x, y))).toEqual(exact(x.minus(y)));
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

  it('divides as big.js does: 30 places, half-even, then rounded again when asked', () => {
    fc.assert(
      fc.property(decimal, decimal, fc.integer({ min: 0, max: 35 }), (n, d, places) => {
        if (d.eq(0)) {
          expect(() => divide(n, d)).toThrow();
          return;
        }
        expect(exact(divide(n, d))).toEqual(exact(n.div(d)));
        expect(exact(divideRounded(n, d, places))).toEqual(exact(n.div(d).round(places)));
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
          expect(isOnGrid(x, st)).toBe(x.mod(st).eq(0));
          const fast = snapToGrid(x, st, mode);
          const big = snapBig(x, st, mode);
          expect(exact(fast)).toEqual(exact(big));
          expect(fast === x).toBe(big === x);
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
              expect(exact(divide(fee.times(f.q), filled))).toEqual(
                exact(fee.times(f.q).div(filled)),
              );
            // the fill price snapped to the instrument's tick, as slippage does
            for (const mode of ['down', 'up', 'nearest'] as const)
              expect(exact(snapToGrid(f.p, Dec(tick), mode))).toEqual(
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
            expect(exact(avg!)).toEqual(exact(notional.div(filled)));
            expect(exact(divideRounded(notional, filled, 12))).toEqual(
              exact(notional.div(filled).round(12)),
            );
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
