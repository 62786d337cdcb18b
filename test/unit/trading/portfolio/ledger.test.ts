import fc from 'fast-check';
import { Dec, ZERO } from '../../../../src/trading/core/decimal.js';
import { unrealizedPnl } from '../../../../src/trading/model/position.js';
import { Ledger } from '../../../../src/trading/portfolio/ledger.js';
import { fill } from '../../../support/builders.js';

const tickPrice = fc.integer({ min: 1, max: 5_000_000 }).map((n) => Dec(n).times('0.01'));
const lotQty = fc.integer({ min: 1, max: 10_000 }).map((n) => Dec(n).times('0.001'));
const feeRate = fc.constantFrom('0', '0.001', '0.00075', '0.0025');
const fills = fc.array(fc.tuple(fc.constantFrom('BUY', 'SELL'), tickPrice, lotQty, feeRate), {
  minLength: 1,
  maxLength: 40,
});

describe('Ledger', () => {
  it('reconciles exactly: cash + qty × mark = start + realized + unrealized − fees (longs, shorts, flips)', () => {
    fc.assert(
      fc.property(fills, tickPrice, (seq, mark) => {
        const ledger = new Ledger({ USD: '1000000' });
        let fees = ZERO;
        seq.forEach(([side, p, q, rate], i) => {
          const fee = p.times(q).times(rate);
          fees = fees.plus(fee);
          ledger.applyFill(fill(side as 'BUY' | 'SELL', p, q, fee, `t${i}`), 'USD');
        });
        const pos = ledger.position('TEST/USD');
        const lhs = ledger.cash('USD').plus(pos.quantity.times(mark));
        const rhs = Dec('1000000').plus(pos.realizedPnl).plus(unrealizedPnl(pos, mark)).minus(fees);
        expect(lhs.eq(rhs)).toBe(true);
        expect(ledger.fees.eq(fees)).toBe(true);
        expect(ledger.equity('USD', new Map([['TEST/USD', mark]]), () => 'USD').eq(lhs)).toBe(true);
        // The position is the signed sum of the fills.
        const net = seq.reduce((a, [side, , q]) => (side === 'BUY' ? a.plus(q) : a.minus(q)), ZERO);
        expect(pos.quantity.eq(net)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('realizes FIFO PnL exactly on a partial close and a flip', () => {
    const l = new Ledger({ USD: '1000' });
    l.applyFill(fill('BUY', '10', '3', '0', 'a'), 'USD');
    l.applyFill(fill('BUY', '11', '2', '0', 'b'), 'USD');
    l.applyFill(fill('SELL', '12', '4', '0', 'c'), 'USD'); // closes 3 @10 (+6) and 1 @11 (+1)
    expect(l.position('TEST/USD').realizedPnl.toFixed()).toBe('7');
    l.applyFill(fill('SELL', '9', '3', '0.3', 'd'), 'USD'); // closes 1 @11 (−2), opens short 2 @9
    const p = l.position('TEST/USD');
    expect(p.realizedPnl.toFixed()).toBe('5');
    expect(p.quantity.toFixed()).toBe('-2');
    expect(p.lots).toEqual([{ quantity: Dec('-2'), price: Dec('9') }]);
    const trips = l.roundTrips;
    expect(trips).toHaveLength(1);
    expect(trips[0]!.grossPnl.toFixed()).toBe('5');
    // The flip's fee is split by quantity: 1/3 to the closed trip.
    expect(trips[0]!.fees.toFixed()).toBe('0.1');
  });
});
