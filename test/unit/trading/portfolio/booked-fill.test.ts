import { money } from '../../../../src/trading/core/money.js';
import { bookedFill } from '../../../../src/trading/portfolio/booked-fill.js';
import { fill } from '../../../support/builders.js';

// Which fees the position absorbs: only a fee in the asset received or given (the base), never
// one in the currency the price is quoted in.
describe('bookedFill', () => {
  it('books a base fee off the position, valued at the fill price in the quote', () => {
    const f = { ...fill('BUY', '200', '2'), fee: money('0.004', 'TEST') };
    const booked = bookedFill(f, { base: 'TEST', quote: 'USD' });
    expect([booked.side, booked.quantity.toFixed(), booked.fee.amount.toFixed()]).toEqual([
      'BUY',
      '1.996',
      '0.8',
    ]);
    expect(booked.fee.currency).toBe('USD');
  });

  it('leaves a fill alone when its fee is in the quote, even where base and quote are one currency', () => {
    const f = { ...fill('BUY', '1', '50'), fee: money('0.05', 'USD') };
    expect(bookedFill(f, { base: 'TEST', quote: 'USD' })).toBe(f);
    expect(bookedFill(f, { base: 'USD', quote: 'USD' })).toBe(f);
  });
});
