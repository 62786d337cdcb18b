import fc from 'fast-check';

/** Strings near numbers: digits, points, signs, exponents, spaces, other scripts' digits. */
export const nearNumbers: fc.Arbitrary<string> = fc.oneof(
  fc
    .array(
      fc.constantFrom(
        '0',
        '0',
        '1',
        '5',
        '9',
        '.',
        '-',
        '+',
        'e',
        'E',
        ' ',
        '\n',
        '\t',
        '\u00a0',
        '\u0663', // Arabic-Indic three
        '\uff11', // fullwidth one
        '\u0967', // Devanagari one
        'x',
        '_',
        ',',
      ),
      { maxLength: 24 },
    )
    .map((cs) => cs.join('')),
  // Valid-looking decimals, then bent: a zero before, a sign, a trailing point or newline.
  fc
    .tuple(
      fc.stringMatching(/^(0|[1-9][0-9]{0,21})$/),
      fc.option(fc.stringMatching(/^[0-9]{0,20}$/), { nil: undefined }),
      fc.constantFrom('', '', '', '0', '00', '-', '+', ' '),
      fc.constantFrom('', '', '', '\n', ' ', '.', 'e3', 'E-2'),
    )
    .map(([i, f, pre, post]) => `${pre}${i}${f === undefined ? '' : `.${f}`}${post}`),
  fc.constantFrom('', '0', '00', '007.5', '-0', '0.', '.5', '+1', '1e3', '0.5', '0.010', '1 '),
);

/**
 * The rule, stated apart from the patterns: a JSON number literal as the engine's JSON parser
 * reads it (no leading zero, digits on both sides of a point), written with ASCII digits and at
 * most one point only (so no sign, exponent or space), and at most `intMax` digits before the
 * point and `fracMax` after it.
 */
export function jsonNumberOf(s: string, intMax: number, fracMax: number, point: boolean): boolean {
  for (const c of s) if (!((c >= '0' && c <= '9') || (point && c === '.'))) return false;
  try {
    if (typeof JSON.parse(s) !== 'number') return false;
  } catch {
    return false;
  }
  const [int = '', frac = ''] = s.split('.');
  return int.length <= intMax && frac.length <= fracMax;
}
export const isDecimal = (s: string) => jsonNumberOf(s, 20, 18, true);
export const isInteger = (s: string) => jsonNumberOf(s, 15, 0, false);
