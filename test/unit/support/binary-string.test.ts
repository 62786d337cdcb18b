import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { BINARY_UNIT, binaryString } from '../../support/binary-string.js';

// The tests' binary strings must be fast-check's own: the same values for every seed and size,
// so a property keeps the cases (and the dangerous strings' slices) it had.
describe('binaryString is fc.string({ unit: "binary" })', () => {
  it.each([{ maxLength: 120 }, { maxLength: 12 }, { minLength: 3, maxLength: 40 }, {}])(
    'the same values for the same seeds (%j), biased runs included',
    (constraints) => {
      const theirs = fc.string({ ...constraints, unit: 'binary' });
      const ours = binaryString(constraints);
      for (const seed of [1, 2, 3, 42, 2026]) {
        const a = fc.sample(theirs, { seed, numRuns: 400 });
        const b = fc.sample(ours, { seed, numRuns: 400 });
        // One comparison: a difference names the first value that differs.
        const at = a.findIndex((v, i) => v !== b[i]);
        expect({ seed, at, theirs: a[at], ours: b[at] }).toEqual({
          seed,
          at: -1,
          theirs: undefined,
          ours: undefined,
        });
      }
    },
  );

  it('the same JSON values as fc.jsonValue({ stringUnit: "binary" })', () => {
    const theirs = fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' });
    const ours = fc.jsonValue({ maxDepth: 3, stringUnit: BINARY_UNIT });
    for (const seed of [5, 6]) {
      const a = fc.sample(theirs, { seed, numRuns: 300 });
      const b = fc.sample(ours, { seed, numRuns: 300 });
      const at = a.findIndex((v, i) => !isDeepStrictEqual(v, b[i]));
      expect({ seed, at }).toEqual({ seed, at: -1 });
    }
  });

  it('reads back (shrinks without context) exactly the strings fast-check reads back', () => {
    const theirs = fc.string({ unit: 'binary' });
    const ours = binaryString();
    const probes = [
      '',
      'a',
      '__proto__',
      '\u0000',
      '\ud7ff',
      '\ud800',
      '\udfff',
      '\ue000',
      '\u{10ffff}',
      '\ud83d\ude42',
      'x\ud800y',
      ...fc.sample(fc.string({ unit: 'binary-ascii' }), { seed: 7, numRuns: 200 }),
      ...fc.sample(fc.string({ unit: 'grapheme' }), { seed: 8, numRuns: 200 }),
      ...fc.sample(theirs, { seed: 9, numRuns: 200 }),
      ...fc.sample(fc.string({ unit: fc.nat(0xffff).map((c) => String.fromCharCode(c)) }), {
        seed: 10,
        numRuns: 200,
      }),
    ];
    const differ = probes.filter(
      (s) => theirs.canShrinkWithoutContext(s) !== ours.canShrinkWithoutContext(s),
    );
    expect(differ).toEqual([]);
    // The unit alone: one code point, never a lone surrogate.
    expect(
      ['a', '\u{10ffff}', '\ud800', 'ab', '', 1].map((v) => BINARY_UNIT.canShrinkWithoutContext(v)),
    ).toEqual([true, true, false, false, false, false]);
  });
});
