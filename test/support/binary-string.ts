import fc from 'fast-check';

/** Code points below the surrogates, and the count of those above them. */
const LOW = 0xd800;
const HIGH = 0x10ffff - 0xdfff;

/**
 * fast-check's `'binary'` string unit (any code point but a lone surrogate) made the way
 * fast-check makes it (`nat` mapped over the two ranges: the same values for the same seed,
 * `binary-string.test.ts`), with its inverse computed instead of looked up. fast-check's own
 * builds a map of all 1,112,064 code points the first time a `fc.string({ unit: 'binary' })` is
 * made (to see which of its "dangerous strings" it can write): ~1.6 s of CPU in every test file
 * that makes one.
 */
export const BINARY_UNIT: fc.Arbitrary<string> = fc.nat({ max: LOW + HIGH - 1 }).map(
  (i) => String.fromCodePoint(i < LOW ? i : i + 0x800),
  (v) => {
    const cp = typeof v === 'string' ? v.codePointAt(0) : undefined;
    if (cp === undefined || String.fromCodePoint(cp) !== v || (cp >= LOW && cp <= 0xdfff))
      throw new Error('not one code point of the binary unit');
    return cp < LOW ? cp : cp - 0x800;
  },
);

/** `fc.string({ ...constraints, unit: 'binary' })`, without its 1.6 s start. */
export const binaryString = (constraints: Omit<fc.StringConstraints, 'unit'> = {}) =>
  fc.string({ ...constraints, unit: BINARY_UNIT });
