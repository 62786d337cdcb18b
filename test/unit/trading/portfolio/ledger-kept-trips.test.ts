import fc from 'fast-check';
import { Dec } from '../../../../src/trading/core/decimal.js';
import { money } from '../../../../src/trading/core/money.js';
import type { Fill } from '../../../../src/trading/model/fill.js';
import { Ledger } from '../../../../src/trading/portfolio/ledger.js';
import { fill } from '../../../support/builders.js';

// Paper and live ledgers keep no closed round trip (only a backtest's report reads them); what
// they book is the same as a ledger that keeps them.

const INSTRUMENTS = [
  { id: 'TEST/USD', base: 'TEST', quote: 'USD' },
  { id: 'ALT/USD', base: 'ALT', quote: 'USD' },
] as const;
const step = fc.record({
  on: fc.nat(INSTRUMENTS.length - 1),
  side: fc.constantFrom('BUY' as const, 'SELL' as const),
  price: fc.integer({ min: 1, max: 50_000 }).map((n) => Dec(n).times('0.01')),
  // Small sizes around a flat position: most sequences close (and flip) many trips.
  qty: fc.integer({ min: 1, max: 4 }).map((n) => Dec(n).times('0.5')),
  fee: fc.constantFrom('0', '0.01', '0.5'),
  // A fee in the base rarely: it leaves a remnant, and a position that is never flat closes no trip.
  feeIn: fc.constantFrom('quote', 'quote', 'quote', 'quote', 'BNB', 'base'),
  owner: fc.constantFrom('s', 't', ''),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

function book(l: Ledger, s: Step, i: number): void {
  const inst = INSTRUMENTS[s.on]!;
  const feeIn = s.feeIn === 'quote' ? inst.quote : s.feeIn === 'base' ? inst.base : 'BNB';
  const f: Fill = {
    ...fill(s.side, s.price, s.qty, '0', `t${i}`),
    instrumentId: inst.id,
    fee: money(s.fee, feeIn),
    ts: i,
  };
  l.applyFill(f, inst, s.owner);
}

/** Everything a node reads of a ledger: cash, positions (lots, realized PnL), owners, fees. */
const books = (l: Ledger) => ({
  state: l.state(),
  cash: ['USD', 'TEST', 'ALT', 'BNB'].map((c) => l.cash(c).toFixed()),
  positions: l.allPositions().map((p) => [p.quantity.toFixed(), p.realizedPnl.toFixed()]),
  own: ['s', 't', ''].flatMap((o) =>
    INSTRUMENTS.map((i) => l.ownPosition(o, i.id).quantity.toFixed()),
  ),
  fees: l.fees.toFixed(),
  fills: l.fillCount,
});

describe('a ledger keeps closed round trips only when asked', () => {
  it('paper/live (the default) hold none, and book what a keeping ledger books (property)', () => {
    let closed = 0;
    let held = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 40, maxLength: 120 }), (steps) => {
        const live = new Ledger({ USD: '100000', BNB: '10' });
        const kept = new Ledger({ USD: '100000', BNB: '10' }, { keepRoundTrips: true });
        steps.forEach((s, i) => {
          book(live, s, i);
          book(kept, s, i);
          held = Math.max(held, live.roundTrips.length);
        });
        expect(books(live)).toEqual(books(kept));
        // The realized PnL of the trips kept is the positions' (less what open trips realized).
        const open = new Map(live.state().openTrips.map((t) => [t.instrumentId, t.grossPnl]));
        for (const i of INSTRUMENTS) {
          const trips = kept.roundTrips.filter((t) => t.instrumentId === i.id);
          const sum = trips.reduce((a, t) => a.plus(t.grossPnl), Dec(0));
          expect(sum.plus(open.get(i.id) ?? '0').toFixed()).toBe(
            kept.position(i.id).realizedPnl.toFixed(),
          );
        }
        closed += kept.roundTrips.length;
      }),
      { numRuns: 60, seed: 20261207 },
    );
    // The sequences closed many trips: the keeping ledgers held them, the others never one.
    expect({ held, closed: closed > 300 }).toEqual({ held: 0, closed: true });
  });

  it('a keeping ledger holds each closed trip; one restored from a state keeps them too', () => {
    const kept = new Ledger({ USD: '1000' }, { keepRoundTrips: true });
    const steps: Step[] = [0, 1, 2].flatMap((i) => [
      { on: 0, side: 'BUY', price: Dec(10 + i), qty: Dec(1), fee: '0', feeIn: 'quote', owner: 's' },
      { on: 0, side: 'SELL', price: Dec(11), qty: Dec(1), fee: '0', feeIn: 'quote', owner: 's' },
    ]);
    steps.forEach((s, i) => book(kept, s, i));
    expect(kept.roundTrips.map((t) => t.grossPnl.toFixed())).toEqual(['1', '0', '-1']);
    const restored = new Ledger({ USD: '1000' }, { keepRoundTrips: true });
    restored.restore(kept.state());
    steps.slice(0, 2).forEach((s, i) => book(restored, s, 10 + i));
    expect(restored.roundTrips.map((t) => t.closedAt)).toEqual([11]);
  });
});
