import fc from 'fast-check';
import { ClientOrderIds } from '../../../../src/trading/core/client-order-id.js';
import { Dec, toDecimal } from '../../../../src/trading/core/decimal.js';
import { SeededRandom } from '../../../../src/trading/core/random.js';
import { LiveClock } from '../../../../src/trading/clock/live-clock.js';

describe('core', () => {
  it('client order ids are deterministic, ≤ 36 chars and venue-safe for any strategy name', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.integer({ min: 1, max: 50 }), (name, n) => {
        const a = new ClientOrderIds(name);
        const b = new ClientOrderIds(name);
        for (let i = 0; i < n; i++) {
          const id = a.next();
          expect(id).toBe(b.next());
          expect(id.length).toBeLessThanOrEqual(36);
          expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
        }
      }),
    );
  });

  it('a client order id is the strategy id made venue-safe (each unsafe character a _), cut to 23, then -1, -2, … from the start given', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60, size: 'max' }),
        fc.nat({ max: 1000 }),
        fc.integer({ min: 1, max: 5 }),
        (name, start, n) => {
          const ids = new ClientOrderIds(name, start);
          const safe = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 23) || 'S';
          for (let i = 1; i <= n; i++) expect(ids.next()).toBe(`${safe}-${start + i}`);
          expect(ids.count).toBe(start + n);
          expect(ClientOrderIds.tagOf(name)).toBe(safe);
        },
      ),
    );
    expect(new ClientOrderIds('sma cross/BTC').next()).toBe('sma_cross_BTC-1');
    expect(new ClientOrderIds('').next()).toBe('S-1');
    expect(ClientOrderIds.tagOf('x'.repeat(40))).toBe('x'.repeat(23));
  });

  it('sequenceOf reads back the sequence of every id made, and 0 from an id without one', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.nat({ max: 1_000_000 }), (name, start) => {
        const ids = new ClientOrderIds(name, start);
        expect(ClientOrderIds.sequenceOf(ids.next())).toBe(start + 1);
      }),
    );
    expect(ClientOrderIds.sequenceOf('a-b-12')).toBe(12);
    for (const id of ['trader-order', 'abc', '12', 'x-12a', ''])
      expect(ClientOrderIds.sequenceOf(id)).toBe(0);
  });

  it('decimals are exact and refuse non-numbers', () => {
    expect(Dec('0.1').plus('0.2').eq('0.3')).toBe(true);
    expect(toDecimal(0.1).toFixed()).toBe('0.1');
    expect(() => toDecimal(NaN)).toThrow(RangeError);
    expect(() => toDecimal('abc')).toThrow('"abc" is not a decimal number');
  });

  it('seeded random repeats for a seed and differs across seeds', () => {
    const seq = (s: number) =>
      Array.from(
        { length: 5 },
        (
          (r) => () =>
            r.next()
        )(new SeededRandom(s)),
      );
    expect(seq(42)).toEqual(seq(42));
    expect(seq(42)).not.toEqual(seq(43));
    expect(seq(1).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('seeded random goes on with the same sequence from a saved state', () => {
    const a = new SeededRandom(7);
    a.next();
    const saved = JSON.parse(JSON.stringify(a.state())) as number[];
    const b = new SeededRandom(saved);
    expect([b.next(), b.next(), b.int(1, 100)]).toEqual([a.next(), a.next(), a.int(1, 100)]);
    expect(new SeededRandom(7).next()).not.toBe(new SeededRandom(saved).next());
  });

  it('LiveClock fires a timer and dispose cancels the rest', async () => {
    const clock = new LiveClock();
    const fired = new Promise<number>((resolve) => clock.setTimer('a', clock.now() + 5, resolve));
    let late = false;
    clock.setTimer('b', clock.now() + 60_000, () => (late = true));
    expect(await fired).toBeGreaterThan(0);
    clock.dispose();
    expect(late).toBe(false);
  });
});
