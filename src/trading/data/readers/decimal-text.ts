/**
 * The one grammar of a price or quantity written as text, in every reader (CSV fields, JSON
 * strings): an optional leading minus, digits with an optional point (`12`, `12.5`, `.5`, `5.`),
 * and an optional exponent (`1.5e-7`, `2E+3`). Nothing else: no plus sign, no blanks around
 * it, no hex, octal or binary (`0x10`, `0o7`, `0b1`), no `Infinity` or `NaN`, no `_`, all of which
 * JavaScript's `Number` would take. The byte-level fast paths take exactly this grammar.
 */
const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The grammar in words, for error messages. */
export const DECIMAL_RULE =
  'wanted a plain decimal: digits with an optional point, leading minus and exponent, as -12.5 or 1.5e-7';

/**
 * A price or quantity from its text: the number `Number` gives, or NaN when the text is not in
 * the grammar above (an empty or blank text included).
 *
 * @example
 * decimalText('-1.5e-3'); // -0.0015
 * decimalText('0x10'); // NaN
 */
export function decimalText(s: string): number {
  return DECIMAL.test(s) ? +s : NaN;
}
