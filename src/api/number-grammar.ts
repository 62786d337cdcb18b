/**
 * The one spelling of a number carried in a string by a request (`docs/api.md`, "Numbers in
 * requests"): JSON's number grammar without its sign and exponent. An integer part is `0` or
 * digits not starting with `0`, so every value has one spelling up to trailing fraction zeros
 * (`"0.010"` stays valid: the zeros say the precision meant). Refused: leading zeros (`"007.5"`,
 * `"00"`), a sign (`"-0"`, `"+1"`), a bare point (`"0."`, `".5"`), exponents, spaces and any
 * digit but ASCII `0-9` (Ajv compiles patterns with the `u` flag: `[0-9]` is ASCII only, and
 * `$` matches at the end of the text only).
 */

/** A non-negative decimal: 1-20 digits before the point, 1-18 after it. */
export const DECIMAL_PATTERN = '^(0|[1-9][0-9]{0,19})(\\.[0-9]{1,18})?$';

/** The decimal rule in words, as a refusal and the document say it. */
export const DECIMAL_RULE =
  'a decimal string: "0" or 1-20 digits not starting with 0, then optionally "." and 1-18 digits ("0.5", "12", "12.250"); no leading zero, sign, exponent, space or non-ASCII digit';

/** A non-negative integer of at most 15 digits (a time in ms, a sequence number). */
export const INTEGER_PATTERN = '^(0|[1-9][0-9]{0,14})$';

/** The integer rule in words. */
export const INTEGER_RULE =
  'an integer string: "0" or 1-15 digits not starting with 0; no leading zero, sign, point, exponent, space or non-ASCII digit';

const RULES: ReadonlyMap<string, string> = new Map([
  [DECIMAL_PATTERN, DECIMAL_RULE],
  [INTEGER_PATTERN, INTEGER_RULE],
]);

/**
 * The rule in words of a number pattern above (undefined for another pattern): a validation
 * failure of such a field then says the rule, not the regular expression.
 *
 * @example
 * ruleOfPattern(DECIMAL_PATTERN); // 'a decimal string: …'
 */
export function ruleOfPattern(pattern: unknown): string | undefined {
  return typeof pattern === 'string' ? RULES.get(pattern) : undefined;
}
