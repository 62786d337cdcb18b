import fc from 'fast-check';
import { Dec } from '../../../../src/trading/core/decimal.js';
import {
  applyFill,
  flatPosition,
  openCost,
  unrealizedPnl,
  type Position,
} from '../../../../src/trading/model/position.js';
import { fill } from '../../../support/builders.js';

// Prices on a 0.25 tick, quantities on a 0.001 lot: nothing rounds by accident.
const px = fc.integer({ min: 1, max: 400_000 }).map((n) => Dec(n).times('0.25').toFixed());
const qty = fc.integer({ min: 1, max: 50_000 }).map((n) => Dec(n).times('0.001').toFixed());
const side = fc.constantFrom('BUY' as const, 'SELL' as const);
const opposite = (s: 'BUY' | 'SELL') => (s === 'BUY' ? 'SELL' : 'BUY');

function at(p: Position, s: 'BUY' | 'SELL', price: string, q: string, ts: number) {
  return applyFill(p, { ...fill(s, price, q), ts });
}

describe('position from fills', () => {
  it('a round trip realizes (exit - entry) x quantity for a long and (entry - exit) x quantity for a short, and ends flat, with no open time', () => {
    fc.assert(
      fc.property(side, px, px, qty, (s, entry, exit, q) => {
        const opened = at(flatPosition('TEST/USD'), s, entry, q, 1).position;
        const { position, realized, closed } = at(opened, opposite(s), exit, q, 2);
        const perUnit = s === 'BUY' ? Dec(exit).minus(entry) : Dec(entry).minus(exit);
        expect(realized.toFixed()).toBe(perUnit.times(q).toFixed());
        expect(position.realizedPnl.toFixed()).toBe(realized.toFixed());
        expect(position.quantity.toFixed()).toBe('0');
        expect(position.lots).toEqual([]);
        // The trip is over: closed, and a flat position has no open time.
        expect(closed).toBe(true);
        expect(position.openedAt).toBeNull();
      }),
    );
  });

  it('scaling into a position realizes nothing and keeps each fill as its own lot at its price', () => {
    fc.assert(
      fc.property(side, fc.array(fc.tuple(px, qty), { minLength: 2, maxLength: 6 }), (s, fills) => {
        let pos = flatPosition('TEST/USD');
        for (const [i, [p, q]] of fills.entries()) {
          const { position, realized, closed } = at(pos, s, p, q, 1 + i);
          expect(realized.toFixed()).toBe('0');
          expect(closed).toBe(false);
          pos = position;
        }
        const sign = s === 'BUY' ? 1 : -1;
        expect(pos.lots.map((l) => [l.quantity.toFixed(), l.price.toFixed()])).toEqual(
          fills.map(([p, q]) => [Dec(q).times(sign).toFixed(), Dec(p).toFixed()]),
        );
        expect(pos.realizedPnl.toFixed()).toBe('0');
        expect(pos.openedAt).toBe(1);
      }),
    );
  });

  it('a short closed at a lower price is a gain, a partial cover keeps the rest short at its entry', () => {
    const short = at(flatPosition('TEST/USD'), 'SELL', '100.25', '3', 1).position;
    const { position, realized } = at(short, 'BUY', '99.75', '1', 2);
    expect(realized.toFixed()).toBe('0.5');
    expect(position.quantity.toFixed()).toBe('-2');
    expect(position.lots.map((l) => [l.quantity.toFixed(), l.price.toFixed()])).toEqual([
      ['-2', '100.25'],
    ]);
  });

  it('a fill closes the position exactly when it was open and ends flat or on the other side; the open time restarts then', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(side, px, qty), { minLength: 1, maxLength: 12 }), (fills) => {
        let pos = flatPosition('TEST/USD');
        fills.forEach(([s, p, q], i) => {
          const ts = 1000 + i;
          const { position, closed } = at(pos, s, p, q, ts);
          const before = pos.quantity;
          const after = position.quantity;
          const flipped = !before.eq(0) && (after.eq(0) || after.s !== before.s);
          expect(closed).toBe(flipped);
          if (after.eq(0)) expect(position.openedAt).toBeNull();
          else if (before.eq(0) || flipped) expect(position.openedAt).toBe(ts);
          else expect(position.openedAt).toBe(pos.openedAt);
          pos = position;
        });
      }),
    );
  });

  it('adding to a long keeps its open time and does not close it; selling through it flips to short', () => {
    const long = at(flatPosition('TEST/USD'), 'BUY', '10', '2', 5).position;
    const added = at(long, 'BUY', '11', '1', 6);
    expect(added.closed).toBe(false);
    expect(added.position.openedAt).toBe(5);
    const reduced = at(added.position, 'SELL', '12', '1', 7);
    expect(reduced.closed).toBe(false);
    expect(reduced.position.openedAt).toBe(5);
    const flipped = at(reduced.position, 'SELL', '12', '3', 8);
    expect(flipped.closed).toBe(true);
    expect(flipped.position.quantity.toFixed()).toBe('-1');
    expect(flipped.position.openedAt).toBe(8);
  });
});

describe('the PnL a trader reads off a position', () => {
  const fee = fc.integer({ min: 0, max: 5_000 }).map((n) => Dec(n).times('0.0001').toFixed());

  it('realized plus unrealized at any mark is the mark value less what the fills cost; fees add up apart', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(side, px, qty, fee), { minLength: 1, maxLength: 12 }),
        px,
        (fills, mark) => {
          let pos = flatPosition('TEST/USD');
          let cash = Dec(0); // what the fills paid (negative) or received, before fees
          let fees = Dec(0);
          for (const [i, [s, p, q, f]] of fills.entries()) {
            pos = applyFill(pos, { ...fill(s, p, q, f), ts: i }).position;
            cash = s === 'BUY' ? cash.minus(Dec(p).times(q)) : cash.plus(Dec(p).times(q));
            fees = fees.plus(f);
          }
          const m = Dec(mark);
          const total = pos.realizedPnl.plus(unrealizedPnl(pos, m));
          expect(total.toFixed()).toBe(cash.plus(m.times(pos.quantity)).toFixed());
          expect(pos.fees.toFixed()).toBe(fees.toFixed());
          // The open lots cost what they were opened at; at their own cost nothing is unrealized.
          expect(unrealizedPnl(pos, m).toFixed()).toBe(
            m.times(pos.quantity).minus(openCost(pos)).toFixed(),
          );
          const lotsQuantity = pos.lots.reduce((a, l) => a.plus(l.quantity), Dec(0));
          expect(lotsQuantity.toFixed()).toBe(pos.quantity.toFixed());
          for (const l of pos.lots) expect(l.quantity.s).toBe(pos.quantity.s);
        },
      ),
    );
  });

  it('closes the oldest lot first: a sale after buys at 10 then 20 realizes against 10', () => {
    let pos = at(flatPosition('TEST/USD'), 'BUY', '10', '1', 1).position;
    pos = at(pos, 'BUY', '20', '1', 2).position;
    const { position, realized } = at(pos, 'SELL', '15', '1.5', 3);
    expect(realized.toFixed()).toBe('2.5'); // +5 on the first lot, -2.5 on half of the second
    expect(position.lots.map((l) => [l.quantity.toFixed(), l.price.toFixed()])).toEqual([
      ['0.5', '20'],
    ]);
    expect(openCost(position).toFixed()).toBe('10');
    expect(unrealizedPnl(position, Dec('22')).toFixed()).toBe('1');
    expect(unrealizedPnl(flatPosition('TEST/USD'), Dec('22')).toFixed()).toBe('0');
  });
});
