import { OrderMemory } from '../../../../../src/trading/venues/ccxt/order-memory.js';

const MINUTE = 60_000;

/** A memory on a clock the test moves; `closed` and `busy` name orders by id. */
function memory(retentionMs = 10 * MINUTE) {
  let t = 1_800_000_000_000;
  const closed = new Set<string>();
  const busy = new Set<string>();
  const released: string[] = [];
  const mem = new OrderMemory({
    retentionMs,
    now: () => t,
    closed: (id) => closed.has(id),
    busy: (id) => busy.has(id),
    onRelease: (id) => released.push(id),
  });
  return {
    mem,
    closed,
    busy,
    released,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('OrderMemory', () => {
  it('releases a closed order, its links and trade ids, once it has been closed for the retention', () => {
    const m = memory();
    m.mem.link('k-1', 'v-1');
    m.mem.addTrade('k-1', 't-1');
    m.mem.addTrade('k-1', 't-2');
    m.mem.link('k-2', 'v-2');
    m.closed.add('k-1');
    m.mem.closedNow('k-1');
    m.advance(10 * MINUTE - 1);
    m.mem.sweep(true);
    expect(m.mem.size).toEqual({ orders: 2, venueIds: 2, tradeIds: 2 });
    m.advance(1);
    m.mem.sweep(true);
    expect(m.released).toEqual(['k-1']);
    expect(m.mem.size).toEqual({ orders: 1, venueIds: 1, tradeIds: 0 });
    expect(m.mem.get('k-1')).toBeUndefined();
    expect(m.mem.idOfVenueOrder('v-1')).toBeUndefined();
    expect(m.mem.hasTrade('t-1')).toBe(false);
    expect(m.mem.idOfVenueOrder('v-2')).toBe('k-2');
  });

  it('counts the retention from the first sweep that sees an order closed when nobody said so', () => {
    const m = memory();
    m.mem.entry('k-1');
    m.closed.add('k-1');
    m.mem.sweep(true);
    m.advance(10 * MINUTE - 1);
    m.mem.sweep(true);
    expect(m.released).toEqual([]);
    m.advance(1);
    m.mem.sweep(true);
    expect(m.released).toEqual(['k-1']);
  });

  it('keeps an order still busy (a create under way, a held report) past the window, and one open again', () => {
    const m = memory(MINUTE);
    m.mem.entry('busy');
    m.mem.entry('open');
    m.closed.add('busy');
    m.closed.add('open');
    m.busy.add('busy');
    m.mem.sweep(true);
    // Open again (an order the OMS took back as open): its clock starts over when it closes.
    m.closed.delete('open');
    m.advance(MINUTE);
    m.mem.sweep(true);
    expect(m.released).toEqual([]);
    m.closed.add('open');
    m.busy.delete('busy');
    m.advance(MINUTE);
    m.mem.sweep(true);
    expect(m.released).toEqual(['busy']);
    m.advance(MINUTE);
    m.mem.sweep(true);
    expect(m.released).toEqual(['busy', 'open']);
  });

  it('sweeps at most once a minute of its clock unless forced; a retention of 0 at every call', () => {
    const m = memory(2 * MINUTE);
    m.mem.entry('k-1');
    m.closed.add('k-1');
    m.mem.sweep(); // noted closed
    m.advance(2 * MINUTE);
    m.mem.sweep();
    expect(m.released).toEqual(['k-1']);
    m.mem.entry('k-2');
    m.closed.add('k-2');
    m.advance(MINUTE - 1);
    m.mem.sweep(); // within the minute since the last sweep: not even noted
    m.advance(2 * MINUTE);
    m.mem.sweep(); // noted now
    expect(m.released).toEqual(['k-1']);
    m.advance(2 * MINUTE);
    m.mem.sweep();
    expect(m.released).toEqual(['k-1', 'k-2']);
    const zero = memory(0);
    for (const id of ['a', 'b']) {
      zero.mem.entry(id);
      zero.closed.add(id);
      zero.mem.sweep();
    }
    expect(zero.released).toEqual(['a', 'b']);
  });

  it('a venue id linked before the latest one still finds the order, and goes with it', () => {
    const m = memory(0);
    m.mem.link('k-1', 'v-1');
    m.mem.link('k-1', 'v-2');
    expect(m.mem.idOfVenueOrder('v-1')).toBe('k-1');
    expect(m.mem.get('k-1')!.venueId).toBe('v-2');
    m.closed.add('k-1');
    m.mem.sweep(true);
    expect(m.mem.size).toEqual({ orders: 0, venueIds: 0, tradeIds: 0 });
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses a retention of %p, naming the option and the rule',
    (retentionMs) => {
      expect(() => memory(retentionMs)).toThrow(
        /^closedOrderRetentionMs: must be a finite number of milliseconds >= 0, was /,
      );
    },
  );
});
