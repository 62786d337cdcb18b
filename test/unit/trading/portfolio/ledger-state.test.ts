import fc from 'fast-check';
import { Dec } from '../../../../src/trading/core/decimal.js';
import { money } from '../../../../src/trading/core/money.js';
import type { Fill } from '../../../../src/trading/model/fill.js';
import { Ledger } from '../../../../src/trading/portfolio/ledger.js';
import { fill } from '../../../support/builders.js';

const CUR = { base: 'TEST', quote: 'USD' };
const step = fc.record({
  side: fc.constantFrom('BUY' as const, 'SELL' as const),
  price: fc.integer({ min: 1, max: 50_000 }).map((n) => Dec(n).times('0.01')),
  qty: fc.integer({ min: 1, max: 500 }).map((n) => Dec(n).times('0.01')),
  fee: fc.constantFrom('0', '0.01', '0.5'),
  feeIn: fc.constantFrom('USD', 'TEST', 'BNB'),
  owner: fc.constantFrom('s', 't', ''),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

const asFill = (s: Step, i: number): Fill => ({
  ...fill(s.side, s.price, s.qty, '0', `t${i}`),
  fee: money(s.fee, s.feeIn),
  ts: i,
});

/** A ledger of 100 USD after one buy of strategy `s`. */
function bought(price: number, qty: number): Ledger {
  const l = new Ledger({ USD: '100' });
  const s: Step = {
    side: 'BUY',
    price: Dec(price),
    qty: Dec(qty),
    fee: '0',
    feeIn: 'USD',
    owner: 's',
  };
  l.applyFill(asFill(s, 1), CUR, 's');
  return l;
}

/** A copy's view: everything a node reads of a ledger (closed round trips aside). */
const view = (l: Ledger) => ({
  state: l.state(),
  cash: ['USD', 'TEST', 'BNB'].map((c) => l.cash(c).toFixed()),
  own: ['s', 't', ''].map((o) => l.ownPosition(o, 'TEST/USD').quantity.toFixed()),
  fees: l.fees.toFixed(),
  fills: l.fillCount,
});

describe('Ledger.state / restore', () => {
  it('a ledger restored from a state mid-way, then given the rest, is the ledger given all (property)', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.nat(40), (steps, at) => {
        const cut = Math.min(at, steps.length);
        const all = new Ledger({ USD: '10000' }, { keepRoundTrips: true });
        const part = new Ledger({ USD: '10000' }, { keepRoundTrips: true });
        steps.forEach((s, i) => {
          all.applyFill(asFill(s, i), CUR, s.owner);
          if (i < cut) part.applyFill(asFill(s, i), CUR, s.owner);
        });
        // Through JSON, as the store keeps it.
        const restored = new Ledger({ USD: '10000' }, { keepRoundTrips: true });
        restored.restore(JSON.parse(JSON.stringify(part.state())));
        steps.slice(cut).forEach((s, i) => restored.applyFill(asFill(s, cut + i), CUR, s.owner));
        expect(view(restored)).toEqual(view(all));
        // The open round trips come back too: trips closed after the restore are the same.
        const closedAfter = all.roundTrips.slice(part.roundTrips.length);
        expect(restored.roundTrips.map((t) => t.grossPnl.toFixed())).toEqual(
          closedAfter.map((t) => t.grossPnl.toFixed()),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('moves cash by the difference when the starting cash changed, and keeps a negative zero', () => {
    const l = bought(2, 3);
    const moved = new Ledger({ USD: '250', EUR: '5' });
    moved.restore(l.state());
    expect([moved.cash('USD').toFixed(), moved.cash('EUR').toFixed()]).toEqual(['244', '5']);
    const z = new Ledger({});
    z.restore({ ...new Ledger({}).state(), fees: '-0' });
    expect(z.fees.s).toBe(-1);
  });

  it('refuses a restore once a fill was booked', () => {
    const l = bought(1, 1);
    expect(() => l.restore(l.state())).toThrow('LEDGER_RESTORED_LATE');
  });
});
