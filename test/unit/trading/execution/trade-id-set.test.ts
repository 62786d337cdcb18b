import fc from 'fast-check';
import { TradeIdSet } from '../../../../src/trading/execution/trade-id-set.js';

// The OMS's trade ids of one venue: every answer must be a Set's, whatever the ids look like
// (numbered with the venue's prefix, another prefix, leading zeros, more than 15 digits, no
// digits at all) and in whatever order they come, are asked for and are taken out.

/** Ids from a small pool, so that adds, reads and deletes meet the same ids often. */
const id = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }).map((n) => `T${n}`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 }).map((n) => `X${n}`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 }).map((n) => String(n)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'T',
      '',
      'T00',
      'T01',
      'T0',
      'T-1',
      'T1.5',
      'TT1',
      'T999999999999999',
      'T1000000000000000',
      'T9007199254740993',
      '01',
    ),
  },
);
const op = fc.tuple(fc.constantFrom('add', 'add', 'has', 'delete'), id);

describe('TradeIdSet', () => {
  it('answers every add, has, delete and size as a Set does', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 300 }), (ops) => {
        const set = new Set<string>();
        const ids = new TradeIdSet();
        for (const [kind, x] of ops) {
          if (kind === 'add') {
            const isNew = !set.has(x);
            set.add(x);
            expect(ids.add(x)).toBe(isNew);
          } else if (kind === 'has') expect(ids.has(x)).toBe(set.has(x));
          else expect(ids.delete(x)).toBe(set.delete(x));
          expect(ids.size).toBe(set.size);
        }
        // every id of the pool, held or not
        for (let n = 0; n <= 40; n++) expect(ids.has(`T${n}`)).toBe(set.has(`T${n}`));
        for (const x of set) expect(ids.has(x)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('holds a run of consecutive trades, and what is taken out of its middle, first or last', () => {
    const ids = new TradeIdSet();
    for (let n = 1; n <= 1000; n++) expect(ids.add(`SIM-T${n}`)).toBe(true);
    expect(ids.add('SIM-T500')).toBe(false);
    expect(ids.delete('SIM-T500')).toBe(true);
    expect(ids.has('SIM-T500')).toBe(false);
    expect(ids.has('SIM-T499') && ids.has('SIM-T501')).toBe(true);
    expect(ids.delete('SIM-T1') && ids.delete('SIM-T1000')).toBe(true);
    expect([
      ids.has('SIM-T1'),
      ids.has('SIM-T2'),
      ids.has('SIM-T999'),
      ids.has('SIM-T1000'),
    ]).toEqual([false, true, true, false]);
    expect(ids.size).toBe(997);
    // The same number under another prefix, or written with a leading zero, is another id.
    expect(ids.has('SIM-2')).toBe(false);
    expect(ids.has('SIM-T02')).toBe(false);
    expect(ids.add('SIM-T500')).toBe(true);
    expect(ids.size).toBe(998);
  });
});
