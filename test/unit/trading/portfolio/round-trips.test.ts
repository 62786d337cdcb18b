import type { Fill } from '../../../../src/trading/model/fill.js';
import { Ledger } from '../../../../src/trading/portfolio/ledger.js';
import { fill } from '../../../support/builders.js';

// The round trips a backtest report lists (win rate, average trade, holding time): each one from
// the fill that opened a position to the fill that brought it back to flat, with what went in,
// what came out, the gross PnL and the fees it bore. Every field is checked, values are exact.

const TEST_USD = { base: 'TEST', quote: 'USD' };
const at = (ts: number, f: Fill, instrumentId = 'TEST/USD'): Fill => ({ ...f, ts, instrumentId });

function fixed(trip: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(trip).map(([k, v]) => [
      k,
      typeof v === 'object' && v !== null && 'toFixed' in v
        ? (v as { toFixed(): string }).toFixed()
        : v,
    ]),
  );
}

describe('round trips', () => {
  it('a long built in two buys and closed in two sells is one trip with its largest size', () => {
    const l = new Ledger({ USD: '10000' });
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
    const l = new Ledger({ USD: '10000' });
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
    ]);
  });

  it('a fill that closes exactly the rest of a trip books its whole fee, however many places it has', () => {
    // A fee with more places than a division keeps (30): split pro rata it would round away.
    const tiny = '0.0000000000000000000000000000000007';
    const l = new Ledger({ USD: '10000' });
    l.applyFill(at(1, fill('BUY', '3', '7', tiny, 'a')), TEST_USD);
    l.applyFill(at(2, fill('SELL', '4', '7', tiny, 'b')), TEST_USD);
    expect(l.roundTrips.map(fixed)).toMatchObject([
      { side: 'LONG', quantity: '7', grossPnl: '7', fees: '0.0000000000000000000000000000000014' },
    ]);
  });
});
