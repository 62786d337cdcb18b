import fc from 'fast-check';
import { Dec, type Decimal } from '../../../../src/trading/core/decimal.js';
import type { Fill } from '../../../../src/trading/model/fill.js';
import { Ledger } from '../../../../src/trading/portfolio/ledger.js';
import type { ClosedRoundTrip } from '../../../../src/trading/portfolio/round-trip-tracker.js';
import { fill } from '../../../support/builders.js';

/** A backtest's ledger: it keeps the closed round trips these tests read. */
const KEEP = { keepRoundTrips: true };

// The round trips a backtest report lists (win rate, average trade, holding time): each one from
// the fill that opened a position to the fill that brought it back to flat, with what went in,
// what came out, the gross PnL and the fees it bore. Every field is checked, values are exact.

const TEST_USD = { base: 'TEST', quote: 'USD' };
const at = (ts: number, f: Fill, instrumentId = 'TEST/USD'): Fill => ({ ...f, ts, instrumentId });

/** Every field of a trip, its decimals as strings (some are getters, which a spread would miss). */
function fixed(trip: ClosedRoundTrip): Record<string, unknown> {
  const fields = [
    'instrumentId',
    'side',
    'openedAt',
    'closedAt',
    'quantity',
    'entryNotional',
    'entryQuantity',
    'exitNotional',
    'exitQuantity',
    'grossPnl',
    'fees',
  ] as const;
  return Object.fromEntries(
    fields.map((k) => {
      const v = trip[k];
      return [k, typeof v === 'object' ? v.toFixed() : v];
    }),
  );
}

/** A decimal's parts: sign, exponent and digits (what every string of it is made of). */
const parts = (d: Decimal) => ({ s: d.s, e: d.e, c: [...d.c] });

describe('round trips', () => {
  it('a long built in two buys and closed in two sells is one trip with its largest size', () => {
    const l = new Ledger({ USD: '10000' }, KEEP);
    l.applyFill(at(1, fill('BUY', '10', '2', '0.2', 'a')), TEST_USD);
    l.applyFill(at(2, fill('BUY', '13', '1', '0.1', 'b')), TEST_USD);
    l.applyFill(at(3, fill('SELL', '14', '1.5', '0.15', 'c')), TEST_USD); // 1.5 of the lot @10: +6
    expect(l.roundTrips).toHaveLength(0);
    l.applyFill(at(4, fill('SELL', '12', '1.5', '0.3', 'd')), TEST_USD); // 0.5 @10 +1, 1 @13 −1
    expect(l.roundTrips.map(fixed)).toEqual([
      {
        instrumentId: 'TEST/USD',
        side: 'LONG',
        openedAt: 1,
        closedAt: 4,
        quantity: '3',
        entryNotional: '33',
        entryQuantity: '3',
        exitNotional: '39',
        exitQuantity: '3',
        grossPnl: '6',
        fees: '0.75',
      },
    ]);
  });

  it('a short that flips long: the flip closes the trip, its fee is split by quantity, the rest opens the next', () => {
    const l = new Ledger({ USD: '10000' }, KEEP);
    l.applyFill(at(5, fill('SELL', '20', '3', '0.6', 'a')), TEST_USD);
    l.applyFill(at(6, fill('BUY', '18', '2', '0', 'b')), TEST_USD); // +4, size 1
    l.applyFill(at(7, fill('SELL', '19', '1', '0', 'c')), TEST_USD); // adds: size 2, largest still 3
    // Another instrument in between keeps its own trip.
    l.applyFill(at(7, fill('BUY', '5', '4', '0.02', 'x'), 'OTHER/USD'), {
      base: 'OTHER',
      quote: 'USD',
    });
    l.applyFill(at(8, fill('BUY', '17', '4', '0.4', 'd')), TEST_USD); // closes 2 (+3 +2), opens 2
    l.applyFill(at(9, fill('SELL', '16', '2', '0.1', 'e')), TEST_USD); // closes the long: −2
    // The other instrument's trip outlived both closes: it closes now, from its own opening.
    l.applyFill(at(10, fill('SELL', '6', '4', '0.04', 'y'), 'OTHER/USD'), {
      base: 'OTHER',
      quote: 'USD',
    });
    expect(l.roundTrips.map(fixed)).toEqual([
      {
        instrumentId: 'TEST/USD',
        side: 'SHORT',
        openedAt: 5,
        closedAt: 8,
        quantity: '3',
        entryNotional: '79',
        entryQuantity: '4',
        exitNotional: '70',
        exitQuantity: '4',
        grossPnl: '9',
        fees: '0.8',
      },
      {
        instrumentId: 'TEST/USD',
        side: 'LONG',
        openedAt: 8,
        closedAt: 9,
        quantity: '2',
        entryNotional: '34',
        entryQuantity: '2',
        exitNotional: '32',
        exitQuantity: '2',
        grossPnl: '-2',
        fees: '0.3',
      },
      {
        instrumentId: 'OTHER/USD',
        side: 'LONG',
        openedAt: 7,
        closedAt: 10,
        quantity: '4',
        entryNotional: '20',
        entryQuantity: '4',
        exitNotional: '24',
        exitQuantity: '4',
        grossPnl: '4',
        fees: '0.06',
      },
    ]);
  });

  it('a fill that closes exactly the rest of a trip books its whole fee, however many places it has', () => {
    // A fee with more places than a division keeps (30): split pro rata it would round away.
    const tiny = '0.0000000000000000000000000000000007';
    const l = new Ledger({ USD: '10000' }, KEEP);
    l.applyFill(at(1, fill('BUY', '3', '7', tiny, 'a')), TEST_USD);
    l.applyFill(at(2, fill('SELL', '4', '7', tiny, 'b')), TEST_USD);
    expect(l.roundTrips.map(fixed)).toMatchObject([
      { side: 'LONG', quantity: '7', grossPnl: '7', fees: '0.0000000000000000000000000000000014' },
    ]);
  });

  it("a trip's fees and gross PnL are the exact sums, whatever their size, sign or places", () => {
    // Prices and fees of 1 to 20 digits (as many short as long) and 0 to 12 places: sums within
    // and past 15 digits, zeros and losses included. Each trip: buys, then sells of the same total (a long back to flat).
    const amount = fc
      .integer({ min: 1, max: 20 })
      .chain((digits) =>
        fc.tuple(
          fc.bigInt({ min: 0n, max: 10n ** BigInt(digits) - 1n }),
          fc.integer({ min: 0, max: 12 }),
        ),
      )
      .map(([m, places]) => Dec(m.toString()).div(Dec(10).pow(places)));
    const leg = fc.tuple(
      amount.filter((p) => p.gt(0)),
      fc.integer({ min: 1, max: 9 }),
      amount,
    );
    fc.assert(
      fc.property(
        fc.array(leg, { minLength: 1, maxLength: 4 }),
        fc.array(leg, { minLength: 1, maxLength: 4 }),
        (buys, sells) => {
          const l = new Ledger({ USD: '1' }, KEEP);
          const total = buys.reduce((n, [, q]) => n + q, 0);
          let fees = Dec(0);
          let cost = Dec(0);
          let proceeds = Dec(0);
          let t = 0;
          for (const [p, q, f] of buys) {
            l.applyFill(at(++t, fill('BUY', p, String(q), f, `b${t}`)), TEST_USD);
            fees = fees.plus(f);
            cost = cost.plus(p.times(q));
          }
          // The sells' quantities: the buys' total split as the sells ask, the last takes the rest.
          let left = total;
          sells.forEach(([p, q, f], i) => {
            const n = i === sells.length - 1 ? left : Math.min(q, left - (sells.length - 1 - i));
            if (n <= 0) return;
            left -= n;
            l.applyFill(at(++t, fill('SELL', p, String(n), f, `s${t}`)), TEST_USD);
            fees = fees.plus(f);
            proceeds = proceeds.plus(p.times(n));
          });
          const [trip] = l.roundTrips;
          expect(l.roundTrips).toHaveLength(1);
          expect(parts(trip!.fees)).toEqual(parts(fees));
          expect(parts(trip!.grossPnl)).toEqual(parts(proceeds.minus(cost)));
        },
      ),
    );
  });

  it('keeps no decimal of its own for fees and gross PnL that fit 15 digits: each read makes one', () => {
    const l = new Ledger({ USD: '10000' }, KEEP);
    l.applyFill(at(1, fill('BUY', '10', '2', '0.2', 'a')), TEST_USD);
    l.applyFill(at(2, fill('SELL', '12.5', '2', '0.25', 'b')), TEST_USD);
    const [trip] = l.roundTrips;
    expect([trip!.fees.toFixed(), trip!.grossPnl.toFixed()]).toEqual(['0.45', '5']);
    expect(trip!.fees).not.toBe(trip!.fees);
    expect(trip!.grossPnl).not.toBe(trip!.grossPnl);
    // Past 15 digits (16 here), and a zero (whose sign is big.js's), the decimal itself is kept.
    const big = new Ledger({ USD: '10000' }, KEEP);
    big.applyFill(
      at(1, fill('BUY', '1.000000000000001', '1', '0.1234567890123456', 'a')),
      TEST_USD,
    );
    big.applyFill(at(2, fill('SELL', '1.000000000000001', '1', '0', 'b')), TEST_USD);
    const [kept] = big.roundTrips;
    expect([kept!.fees.toFixed(), kept!.grossPnl.toFixed()]).toEqual(['0.1234567890123456', '0']);
    expect(kept!.grossPnl).toBe(kept!.grossPnl);
    expect(kept!.fees).toBe(kept!.fees);
  });
});
