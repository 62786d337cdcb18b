import type { Trade } from 'ccxt';
import { ParkedTrades } from '../../../../../src/trading/venues/ccxt/parked-trades.js';

const trade = (id: string) => ({ id }) as unknown as Trade;

describe('ParkedTrades', () => {
  it("gives an order's trades once, each once", () => {
    const parked = new ParkedTrades({ keepMs: 1000, max: 10, now: () => 0 });
    parked.park('11', trade('a'));
    parked.park('12', trade('b'));
    parked.park('11', trade('a')); // the same trade again (stream and trade read)
    parked.park('11', trade('c'));
    expect(parked.take('11').map((t) => t.id)).toEqual(['a', 'c']);
    expect(parked.take('11')).toEqual([]);
    expect(parked.size).toBe(1);
  });

  it('stays bounded: trades older than keepMs, then the oldest over max, are dropped', () => {
    let now = 0;
    const parked = new ParkedTrades({ keepMs: 1000, max: 2, now: () => now });
    parked.park('1', trade('a'));
    now = 999;
    parked.park('2', trade('b'));
    parked.park('3', trade('c')); // over max: `a` goes
    expect(parked.size).toBe(2);
    expect(parked.take('1')).toEqual([]);
    now = 2000;
    parked.park('4', trade('d')); // `b` and `c` have aged out
    expect(parked.size).toBe(1);
    expect(parked.take('4').map((t) => t.id)).toEqual(['d']);
  });
});
