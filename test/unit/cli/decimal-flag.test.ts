import fc from 'fast-check';
import { decimalFlag } from '../../../src/cli/parse-flags.js';

/**
 * The CLI's decimal flags (`--cash`, `--fee`, ...) take the API's one spelling of a decimal: what
 * `kairos paper --cash 007` meant is not guessed.
 */
describe('decimalFlag', () => {
  it('takes a decimal in the one spelling and answers it as written, without trailing zeros', () => {
    expect(decimalFlag('--cash', '100000', 'positive')).toBe('100000');
    expect(decimalFlag('--cash', '0.010', 'positive')).toBe('0.01');
    expect(decimalFlag('--fee', '0', 'non-negative')).toBe('0');
  });

  it.each(['007', '00', '-0', '+1', '1e6', '.5', '0.', ' 5', '5 ', '1,000', '١٢', '', 'NaN', '-5'])(
    'refuses %j, naming the flag and the rule',
    (value) => {
      expect(() => decimalFlag('--cash', value, 'non-negative')).toThrow(
        /^--cash: must be a non-negative decimal \("0\.5", "100000"; no leading zero, sign, exponent or space\), was /,
      );
    },
  );

  it('refuses zero where the rule is positive', () => {
    expect(() => decimalFlag('--cash', '0.000', 'positive')).toThrow(/--cash: must be a positive/);
  });

  it('takes every digit string with one spelling, and refuses it with a leading zero', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 19n }), fc.nat(999_999), (int, frac) => {
        const v = `${int}.${String(frac).padStart(6, '0')}`;
        expect(decimalFlag('--x', v, 'positive')).toBe(v.replace(/\.?0+$/, ''));
        expect(() => decimalFlag('--x', `0${v}`, 'positive')).toThrow(/--x: must be/);
      }),
    );
  });
});
