import fc from 'fast-check';
import Big from 'big.js';
import { RSI, EMA } from 'trading-signals';
import { ExactWindowSum } from '../../../../../src/trading/strategy/indicators/exact-window-sum.js';
import { bollinger, ema, rsi, sma } from '../../../../../src/trading/strategy/indicators/index.js';

const price = fc.integer({ min: 1, max: 100_000_000 }).map((n) => n / 10_000); // ≤ 4 decimals

describe('sma (exact)', () => {
  it('equals an exact decimal reference within two ulps', () => {
    fc.assert(
      fc.property(
        fc.array(price, { minLength: 5, maxLength: 200 }),
        fc.integer({ min: 1, max: 5 }),
        (xs, period) => {
          const s = sma(period);
          xs.forEach((x) => s.updateValue(x));
          const win = xs.slice(-period);
          const ref = win.reduce((a, x) => a.plus(String(x)), new Big(0)).div(period);
          // Two correctly rounded steps (S / n, then / 10^8): within two ulps of the exact mean.
          expect(Math.abs(s.value! - Number(ref.toString()))).toBeLessThanOrEqual(
            Math.abs(s.value!) * 2 ** -51,
          );
        },
      ),
    );
  });

  it('gives the identical number for any order of the window (=== after permutation)', () => {
    fc.assert(
      fc.property(fc.array(price, { minLength: 2, maxLength: 50 }), fc.integer(), (xs, seed) => {
        const shuffled = [...xs].sort(
          (a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101),
        );
        const a = sma(xs.length);
        const b = sma(xs.length);
        xs.forEach((x) => a.updateValue(x));
        shuffled.forEach((x) => b.updateValue(x));
        expect(a.value).toBe(b.value);
      }),
    );
  });

  it('makes mathematically equal averages compare equal (no float summation drift)', () => {
    // 0.1 + 0.2 + 0.3 in float is 0.6000000000000001; the mean of [0.2, 0.2, 0.2] is 0.2.
    const a = sma(3);
    const b = sma(3);
    [0.1, 0.2, 0.3].forEach((x) => a.updateValue(x));
    [0.2, 0.2, 0.2].forEach((x) => b.updateValue(x));
    expect(a.value).toBe(b.value);
    fc.assert(
      fc.property(
        fc.array(price, { minLength: 2, maxLength: 30 }),
        fc.integer({ min: 1, max: 1000 }),
        (xs, d) => {
          const moved = [...xs];
          moved[0] = (Math.round(moved[0]! * 10_000) + d) / 10_000;
          moved[1] = (Math.round(moved[1]! * 10_000) - d) / 10_000;
          const a2 = sma(xs.length);
          const b2 = sma(xs.length);
          xs.forEach((x) => a2.updateValue(x));
          moved.forEach((x) => b2.updateValue(x));
          expect(a2.value).toBe(b2.value);
        },
      ),
    );
  });

  it('does not drift over long runs and stays exact past 2^53 (BigInt path)', () => {
    const s = sma(10);
    for (let i = 0; i < 100_000; i++) s.updateValue(((i * 37) % 1000) / 100 + 0.01);
    const fresh = sma(10);
    for (let i = 100_000 - 10; i < 100_000; i++) fresh.updateValue(((i * 37) % 1000) / 100 + 0.01);
    expect(s.value).toBe(fresh.value);
    const big = new ExactWindowSum(4);
    [9e7, 9e7, 9e7, 9e7, 1, 2, 3, 4].forEach((x) => big.push(x));
    expect(big.scaledSum()).toBe(1_000_000_000n);
    expect(big.mean()).toBe(2.5);
  });

  it('warms up and validates its period', () => {
    const s = sma(3);
    s.updateValue(1);
    s.updateValue(2);
    expect(s.isReady).toBe(false);
    expect(s.value).toBeNull();
    s.updateValue(3);
    expect(s.value).toBe(2);
    expect(() => sma(0)).toThrow('sma: period must be a positive integer, was 0');
    expect(() => sma(2.5)).toThrow(RangeError);
  });
});

describe('library-backed indicators', () => {
  it('match trading-signals called directly', () => {
    const xs = Array.from({ length: 60 }, (_, i) => 100 + Math.sin(i / 3) * 5 + i / 10);
    const ours = rsi(14);
    const lib = new RSI(14);
    const oursE = ema(10);
    const libE = new EMA(10);
    let last: number | null = null;
    let lastE: number | null = null;
    for (const x of xs) {
      ours.updateValue(x);
      last = lib.update(x, false);
      oursE.updateValue(x);
      lastE = libE.update(x, false);
    }
    expect(ours.value).toBe(last);
    expect(oursE.value).toBe(lastE);
  });

  it('bollinger middle band is the exact SMA', () => {
    const b = bollinger(3, 2);
    const s = sma(3);
    [1, 2, 3, 4].forEach((x) => {
      b.updateValue(x);
      s.updateValue(x);
    });
    expect(b.value!.middle).toBe(s.value);
    expect(b.value!.upper).toBeGreaterThan(b.value!.middle);
  });
});
