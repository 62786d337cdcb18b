import fc from 'fast-check';
import { Dec, ZERO, type Decimal } from '../../../../src/trading/core/decimal.js';
import { money } from '../../../../src/trading/core/money.js';
import type { Fill } from '../../../../src/trading/model/fill.js';
import { unrealizedPnl } from '../../../../src/trading/model/position.js';
import { Ledger } from '../../../../src/trading/portfolio/ledger.js';
import { fill } from '../../../support/builders.js';

/** A backtest's ledger: it keeps the closed round trips these tests read. */
const KEEP = { keepRoundTrips: true };

const TEST_USD = { base: 'TEST', quote: 'USD' };
/** A fill whose fee is charged in `currency`. */
const feeIn = (f: Fill, amount: Decimal | string, currency: string): Fill => ({
  ...f,
  fee: money(amount, currency),
});

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
          ledger.applyFill(fill(side as 'BUY' | 'SELL', p, q, fee, `t${i}`), TEST_USD);
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
    const l = new Ledger({ USD: '1000' }, KEEP);
    l.applyFill(fill('BUY', '10', '3', '0', 'a'), TEST_USD);
    l.applyFill(fill('BUY', '11', '2', '0', 'b'), TEST_USD);
    l.applyFill(fill('SELL', '12', '4', '0', 'c'), TEST_USD); // closes 3 @10 (+6) and 1 @11 (+1)
    expect(l.position('TEST/USD').realizedPnl.toFixed()).toBe('7');
    l.applyFill(fill('SELL', '9', '3', '0.3', 'd'), TEST_USD); // closes 1 @11 (−2), opens short 2 @9
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

describe('Ledger, fees in the base asset (Binance charges a buy in the asset received)', () => {
  it('books a buy net of its base fee, so selling position.quantity leaves exactly zero', () => {
    const l = new Ledger({ USD: '1000' }, KEEP);
    l.applyFill(feeIn(fill('BUY', '100', '1', '0', 'a'), '0.001', 'TEST'), TEST_USD);
    let p = l.position('TEST/USD');
    expect(p.quantity.toFixed()).toBe('0.999');
    // The lot keeps the fill price; the 0.001 not received is a fee of 0.1 at that price.
    expect(p.lots).toEqual([{ quantity: Dec('0.999'), price: Dec('100') }]);
    expect(p.fees.toFixed()).toBe('0.1');
    expect(l.cash('USD').toFixed()).toBe('900');
    expect(l.cash('TEST').toFixed()).toBe('0');

    l.applyFill(fill('SELL', '110', p.quantity, '0.10989', 'b'), TEST_USD);
    p = l.position('TEST/USD');
    expect(p.quantity.toFixed()).toBe('0');
    expect(p.lots).toEqual([]);
    expect(p.realizedPnl.toFixed()).toBe('9.99');
    expect(l.fees.toFixed()).toBe('0.20989');
    expect(l.cash('USD').toFixed()).toBe('1009.78011'); // 1000 + 9.99 − 0.20989
    const [trip] = l.roundTrips;
    expect(trip!.entryQuantity.toFixed()).toBe('0.999');
    expect(trip!.exitQuantity.toFixed()).toBe('0.999');
    expect(trip!.fees.toFixed()).toBe('0.20989');
  });

  it('takes a sell’s base fee from the position on top, realized at the fill price', () => {
    const l = new Ledger({ USD: '1000' });
    l.applyFill(fill('BUY', '100', '2', '0', 'a'), TEST_USD);
    l.applyFill(feeIn(fill('SELL', '110', '1', '0', 'b'), '0.001', 'TEST'), TEST_USD);
    const p = l.position('TEST/USD');
    expect(p.quantity.toFixed()).toBe('0.999');
    expect(p.realizedPnl.toFixed()).toBe('10.01'); // 1.001 given up at 110 against 100
    expect(l.fees.toFixed()).toBe('0.11');
    expect(l.cash('USD').toFixed()).toBe('910'); // the fill's own notional, nothing more
  });

  it('keeps a fee in a third currency (BNB) as cash in that currency', () => {
    const l = new Ledger({ USD: '1000', BNB: '1' });
    l.applyFill(feeIn(fill('BUY', '100', '1', '0', 'a'), '0.05', 'BNB'), TEST_USD);
    expect(l.position('TEST/USD').quantity.toFixed()).toBe('1');
    expect(l.cash('BNB').toFixed()).toBe('0.95');
    expect(l.cash('USD').toFixed()).toBe('900');
  });

  it('opens nothing when a base fee takes the whole buy', () => {
    const l = new Ledger({ USD: '1000' }, KEEP);
    l.applyFill(feeIn(fill('BUY', '100', '1', '0', 'a'), '1', 'TEST'), TEST_USD);
    expect(l.position('TEST/USD').quantity.toFixed()).toBe('0');
    expect(l.fees.toFixed()).toBe('100');
    l.applyFill(fill('BUY', '100', '1', '0', 'b'), TEST_USD);
    l.applyFill(fill('SELL', '100', '1', '0', 'c'), TEST_USD);
    expect(l.roundTrips.map((t) => t.entryQuantity.toFixed())).toEqual(['1']);
  });

  const feeCurrency = fc.constantFrom('USD', 'TEST');
  const mixedFills = fc.array(
    fc.tuple(fc.constantFrom('BUY', 'SELL'), tickPrice, lotQty, feeRate, feeCurrency),
    { minLength: 1, maxLength: 40 },
  );

  it('holds the base received minus the base given, exactly, and still reconciles (property)', () => {
    fc.assert(
      fc.property(mixedFills, tickPrice, (seq, mark) => {
        const ledger = new Ledger({ USD: '1000000' });
        let held = ZERO;
        let fees = ZERO;
        seq.forEach(([side, p, q, rate, currency], i) => {
          const inBase = currency === 'TEST';
          // As Binance: the rate times what is charged on, to 8 decimals.
          const fee = (inBase ? q : p.times(q)).times(rate).round(8, Dec.roundHalfUp);
          held = (side === 'BUY' ? held.plus(q) : held.minus(q)).minus(inBase ? fee : ZERO);
          fees = fees.plus(inBase ? fee.times(p) : fee);
          const f = fill(side as 'BUY' | 'SELL', p, q, '0', `t${i}`);
          ledger.applyFill(feeIn(f, fee, currency), TEST_USD);
        });
        const pos = ledger.position('TEST/USD');
        expect(pos.quantity.eq(held)).toBe(true);
        expect(pos.lots.reduce((a, lot) => a.plus(lot.quantity), ZERO).eq(held)).toBe(true);
        expect(ledger.cash('TEST').eq(0)).toBe(true);
        expect(ledger.fees.eq(fees)).toBe(true);
        const lhs = ledger.cash('USD').plus(pos.quantity.times(mark));
        const rhs = Dec('1000000').plus(pos.realizedPnl).plus(unrealizedPnl(pos, mark)).minus(fees);
        expect(lhs.eq(rhs)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
