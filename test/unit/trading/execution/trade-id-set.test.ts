import fc from 'fast-check';
import { TradeIdSet } from '../../../../src/trading/execution/trade-id-set.js';

// The OMS's trade ids of one venue: every answer must be a Set's, whatever the ids look like
// (numbered with the venue's prefix, another prefix, leading zeros, more than 15 digits, no
// digits at all) and in whatever order they come, are asked for and are taken out. And it must
// hold them as its rule says (`layout`): an id of the numbered ids' prefix and a whole number
// written as it prints, 1-15 digits, in runs of consecutive numbers; any other id one by one.

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
      'T/1',
      'T:1',
      'T999999999999999',
      'T999999999999998',
      'T1000000000000000',
      'T9007199254740993',
      '01',
      '1a',
    ),
  },
);
const op = fc.tuple(fc.constantFrom('add', 'add', 'has', 'delete'), id);

/** The rule, written plainly: the numbered ids as a set of numbers, the others as a Set. */
class Model {
  prefix: string | null = null;
  readonly numbers = new Set<number>();
  readonly others = new Set<string>();

  /** The number of `id` under the rule (the first such id sets the prefix), else null. */
  numberOf(id: string): number | null {
    const m = /^(.*?)(\d+)$/s.exec(id);
    if (!m) return null;
    const [, prefix, digits] = m as unknown as [string, string, string];
    if (digits.length > 15 || (digits.length > 1 && digits.startsWith('0'))) return null;
    if (this.prefix === null) this.prefix = prefix;
    else if (prefix !== this.prefix) return null;
    return Number(digits);
  }

  get layout() {
    let runs = 0;
    for (const n of this.numbers) if (!this.numbers.has(n - 1)) runs++;
    return { runs, others: this.others.size };
  }

  has(id: string): boolean {
    const n = this.numberOf(id);
    return n === null ? this.others.has(id) : this.numbers.has(n);
  }

  add(id: string): boolean {
    const n = this.numberOf(id);
    const held = this.has(id);
    if (n === null) this.others.add(id);
    else this.numbers.add(n);
    return !held;
  }

  delete(id: string): boolean {
    const n = this.numberOf(id);
    return n === null ? this.others.delete(id) : this.numbers.delete(n);
  }
}

/**
 * Runs `ops` on a TradeIdSet, a Set and the model; answers the first step where they disagree
 * (one `expect` a run, not one a step: 2,000 runs of up to 300 steps).
 */
function firstDifference(ops: readonly (readonly [string, string])[]): string | null {
  const set = new Set<string>();
  const ids = new TradeIdSet();
  const model = new Model();
  for (const [i, [kind, x]] of ops.entries()) {
    let got: boolean;
    let wanted: boolean;
    if (kind === 'add') {
      wanted = !set.has(x);
      set.add(x);
      model.add(x);
      got = ids.add(x);
    } else if (kind === 'has') {
      wanted = set.has(x);
      model.has(x);
      got = ids.has(x);
    } else {
      wanted = set.delete(x);
      model.delete(x);
      got = ids.delete(x);
    }
    const step = `step ${i} ${kind} "${x}"`;
    if (got !== wanted) return `${step}: answered ${got}, a Set ${wanted}`;
    if (ids.size !== set.size) return `${step}: size ${ids.size}, a Set's ${set.size}`;
    const layout = JSON.stringify(ids.layout);
    if (layout !== JSON.stringify(model.layout))
      return `${step}: holds ${layout}, the rule ${JSON.stringify(model.layout)}`;
  }
  // every id of the pool, held or not
  for (let n = 0; n <= 40; n++)
    if (ids.has(`T${n}`) !== set.has(`T${n}`)) return `has("T${n}") at the end`;
  for (const x of set) if (!ids.has(x)) return `has("${x}") at the end`;
  return null;
}

describe('TradeIdSet', () => {
  it('answers every add, has, delete and size as a Set does, and holds the ids as its rule says', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 300 }), (ops) => {
        expect(firstDifference(ops)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('holds a run of consecutive trades, and what is taken out of its middle, first or last', () => {
    const ids = new TradeIdSet();
    for (let n = 1; n <= 1000; n++) expect(ids.add(`SIM-T${n}`)).toBe(true);
    expect(ids.layout).toEqual({ runs: 1, others: 0 });
    expect(ids.add('SIM-T500')).toBe(false);
    expect(ids.delete('SIM-T500')).toBe(true);
    expect(ids.layout).toEqual({ runs: 2, others: 0 });
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
    // The gap closed: one run again.
    expect(ids.layout).toEqual({ runs: 1, others: 0 });
    expect(ids.add('SIM-T02') && ids.add('X1')).toBe(true);
    expect(ids.layout).toEqual({ runs: 1, others: 2 });
  });

  it('takes its numbered ids’ prefix from the first id of that form, asked for or added', () => {
    const ids = new TradeIdSet();
    expect(ids.has('abc')).toBe(false);
    expect(ids.has('P-07')).toBe(false); // a leading zero: not of that form
    expect(ids.has('P-7')).toBe(false);
    expect(ids.add('Q-8') && ids.add('P-8') && ids.add('9')).toBe(true);
    expect(ids.layout).toEqual({ runs: 1, others: 2 });
    expect([ids.has('P-8'), ids.has('Q-8'), ids.has('P-9'), ids.has('9')]).toEqual([
      true,
      true,
      false,
      true,
    ]);
  });
});
