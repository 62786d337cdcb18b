import fc from 'fast-check';
import { Ledger } from '../../../../src/trading/portfolio/ledger.js';
import { fill, instrument } from '../../../support/builders.js';

const INST = instrument();

describe('positions by owner', () => {
  it('a strategy owns only what its fills made, whoever else trades the account', () => {
    const ledger = new Ledger({ USD: '100000' });
    ledger.applyFill(fill('BUY', '10', '5'), INST, 'user:1');
    expect(ledger.ownPosition('user:1', INST.id).quantity.toFixed()).toBe('5');
    expect(ledger.ownPosition('sma', INST.id).quantity.toFixed()).toBe('0');
    ledger.applyFill(fill('BUY', '11', '2'), INST, 'sma');
    ledger.applyFill(fill('SELL', '12', '1'), INST, 'sma');
    expect(ledger.ownPosition('sma', INST.id).quantity.toFixed()).toBe('1');
    expect(ledger.ownPosition('user:1', INST.id).quantity.toFixed()).toBe('5');
    expect(ledger.position(INST.id).quantity.toFixed()).toBe('6');
    expect(ledger.ownPosition('sma', INST.id).realizedPnl.toFixed()).toBe('1');
  });

  it('a fill given no owner is the account’s own (owner ""), apart from a strategy’s', () => {
    const ledger = new Ledger({ USD: '100000' });
    ledger.applyFill(fill('BUY', '10', '3'), INST);
    ledger.applyFill(fill('BUY', '10', '2'), INST, 'sma');
    expect(ledger.ownPosition('', INST.id).quantity.toFixed()).toBe('3');
    expect(ledger.ownPosition('sma', INST.id).quantity.toFixed()).toBe('2');
  });

  it("the owners' positions always add up to the account's", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            owner: fc.constantFrom('a', 'b', 'user:1'),
            side: fc.constantFrom('BUY' as const, 'SELL' as const),
            qty: fc.integer({ min: 1, max: 20 }),
            price: fc.integer({ min: 1, max: 500 }),
          }),
          { maxLength: 40 },
        ),
        (steps) => {
          const ledger = new Ledger({ USD: '1000000' });
          const own = new Map<string, number>();
          for (const s of steps) {
            ledger.applyFill(fill(s.side, s.price, s.qty), INST, s.owner);
            own.set(s.owner, (own.get(s.owner) ?? 0) + (s.side === 'BUY' ? s.qty : -s.qty));
          }
          let sum = 0;
          for (const o of ['a', 'b', 'user:1']) {
            const q = Number(ledger.ownPosition(o, INST.id).quantity.toFixed());
            expect(q).toBe(own.get(o) ?? 0);
            sum += q;
          }
          expect(Number(ledger.position(INST.id).quantity.toFixed())).toBe(sum);
        },
      ),
    );
  });
});
