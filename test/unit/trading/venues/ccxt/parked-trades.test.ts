import type { Trade } from 'ccxt';
import { ParkedTrades } from '../../../../../src/trading/venues/ccxt/parked-trades.js';

const trade = (id: string) => ({ id }) as unknown as Trade;

/** Trades kept 1000 ms, at most `max`, on a clock the test sets; each drop noted in `drops`. */
function recorded(max: number) {
  const clock = { now: 0 };
  const drops: string[] = [];
  const parked = new ParkedTrades({
    keepMs: 1000,
    max,
    now: () => clock.now,
    onDrop: (venueOrderId, t, why) => drops.push(`${venueOrderId}:${String(t.id)} ${why}`),
  });
  return { parked, drops, clock };
}

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

  it('stays bounded, and tells each trade it drops: the oldest over max, then those older than keepMs', () => {
    const { parked, drops, clock } = recorded(2);
    parked.park('1', trade('a'));
    clock.now = 999;
    parked.park('2', trade('b'));
    expect(drops).toEqual([]);
    parked.park('3', trade('c')); // over max: `a` goes
    expect(drops).toEqual(['1:a evicted']);
    expect(parked.size).toBe(2);
    expect(parked.take('1')).toEqual([]);
    clock.now = 2000;
    parked.park('4', trade('d')); // `b` and `c` have aged out
    expect(drops).toEqual(['1:a evicted', '2:b expired', '3:c expired']);
    expect(parked.size).toBe(1);
    expect(parked.take('4').map((t) => t.id)).toEqual(['d']);
    expect(drops).toHaveLength(3);
  });

  it('drops an expired trade at a sweep or a take, with no new trade parked, and never one still in its window', () => {
    const { parked, drops, clock } = recorded(10);
    parked.park('1', trade('a'));
    clock.now = 500;
    parked.park('2', trade('b'));
    clock.now = 999;
    parked.sweep();
    expect(drops).toEqual([]);
    clock.now = 1000;
    parked.sweep();
    expect(drops).toEqual(['1:a expired']);
    parked.sweep(); // told once
    expect(drops).toEqual(['1:a expired']);
    // A take of another order drops what expired meanwhile: an expired trade is never given.
    clock.now = 1500;
    parked.park('2', trade('c'));
    expect(drops).toEqual(['1:a expired', '2:b expired']);
    expect(parked.take('2').map((t) => t.id)).toEqual(['c']);
    parked.park('3', trade('d'));
    clock.now = 2500;
    expect(parked.take('3')).toEqual([]);
    expect(drops).toEqual(['1:a expired', '2:b expired', '3:d expired']);
    expect(parked.size).toBe(0);
  });
});
