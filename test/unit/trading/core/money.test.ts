import fc from 'fast-check';
import { money, price, quantity } from '../../../../src/trading/core/money.js';

describe('exact money values', () => {
  it('refuses a negative quantity, naming it, and keeps zero and positive ones exact', () => {
    expect(() => quantity('-0.001')).toThrow(new RangeError('quantity -0.001 is negative'));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 9 }), (n) => {
        expect(() => quantity(-n / 1000)).toThrow(RangeError);
        expect(quantity(n / 1000).toFixed()).toBe(String(n / 1000));
      }),
    );
    expect(quantity('0').toFixed()).toBe('0');
  });

  it('keeps a price exact and money frozen in its currency', () => {
    expect(price('0.1').plus('0.2').toFixed()).toBe('0.3');
    const m = money('12.5', 'USDT');
    expect([m.amount.toFixed(), m.currency]).toEqual(['12.5', 'USDT']);
    expect(Object.isFrozen(m)).toBe(true);
    expect(() => price('abc')).toThrow(RangeError);
  });
});
