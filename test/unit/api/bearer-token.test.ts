import fc from 'fast-check';
import { bearerToken } from '../../../src/api/bearer-token.js';

describe('bearerToken', () => {
  it('reads the token after the Bearer scheme in any letter case and after any spaces', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9._~+/-]+=*$/),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        (token, upper, spaces) => {
          const scheme = [...'bearer'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
          expect(bearerToken(`${scheme}${' '.repeat(spaces)}${token}`)).toBe(token);
        },
      ),
    );
  });

  it.each([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Bearer    ',
    'BearerX',
    'Basic dXNlcjpwYXNz',
    ' Bearer x',
  ])('finds no token in %j', (header) => {
    expect(bearerToken(header)).toBeNull();
  });
});
