import fc from 'fast-check';
import { SmallMap } from '../../../../src/trading/core/small-map.js';

describe('SmallMap', () => {
  it('answers as a Map does after any sequence of sets and deletes, in insertion order', () => {
    // Keys compared as a Map compares them: NaN is NaN, -0 is +0.
    const key = fc.constantFrom<unknown>('a', 'b', 'c', Number.NaN, 0, -0);
    const op = fc.record({ del: fc.boolean(), key, value: fc.integer() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const small = new SmallMap<unknown, number>();
        const map = new Map<unknown, number>();
        for (const { del, key: k, value } of ops) {
          if (del) expect(small.delete(k)).toBe(map.delete(k));
          else expect(small.set(k, value)).toBe(small);
          if (!del) map.set(k, value);
          expect(small.size).toBe(map.size);
          for (const probe of ['a', 'b', 'c', Number.NaN, 0, -0, 'z']) {
            expect(small.get(probe)).toBe(map.get(probe));
            expect(small.has(probe)).toBe(map.has(probe));
          }
          expect([...small]).toEqual([...map]);
          expect([...small.keys()]).toEqual([...map.keys()]);
          expect([...small.values()]).toEqual([...map.values()]);
          expect([...small.entries()]).toEqual([...map.entries()]);
          expect(small.first()).toBe(map.values().next().value);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is made from entries as a Map is', () => {
    const entries: [string, number][] = [
      ['x', 1],
      ['y', 2],
      ['x', 3],
    ];
    expect([...new SmallMap(entries)]).toEqual([...new Map(entries)]);
    expect([...new SmallMap([['x', 1]])]).toEqual([['x', 1]]);
    expect(new SmallMap().size).toBe(0);
  });
});
