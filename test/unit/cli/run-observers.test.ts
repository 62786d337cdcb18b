import { observeOrders, stoppableFeed } from '../../../src/cli/run-observers.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import type { OrderStore } from '../../../src/trading/execution/order-store.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';

const ev = (id: string): OrderEvent => ({
  kind: 'OrderSubmitted',
  clientOrderId: id,
  accountId: 'paper',
  strategyId: 's',
  instrumentId: 'X',
  ts: 1,
});

describe('run observers', () => {
  it('tells of events only once they are committed, and keeps every other method as it is', async () => {
    let fail = false;
    const store = {
      commitBatch: () => (fail ? Promise.reject(new Error('disk full')) : Promise.resolve()),
      recordEvent: (_o: unknown, e: OrderEvent) => Promise.resolve(e.clientOrderId !== 'dup'),
      restorable: () => Promise.resolve({ open: [], made: [], closed: [] }),
      marker: 42,
    } as unknown as OrderStore & { marker: number };
    const seen: string[] = [];
    const observed = observeOrders(store, (e) => seen.push(e.clientOrderId));
    await observed.commitBatch([
      { after: {} as never, event: ev('a') },
      { after: {} as never, event: ev('b') },
    ]);
    fail = true;
    await expect(observed.commitBatch([{ after: {} as never, event: ev('c') }])).rejects.toThrow(
      'disk full',
    );
    await observed.recordEvent({} as never, ev('dup'));
    await observed.recordEvent({} as never, ev('d'));
    expect(seen).toEqual(['a', 'b', 'd']);
    expect(await observed.restorable({})).toEqual({ open: [], made: [], closed: [] });
    expect(observed.marker).toBe(42);
  });

  it('a stopped feed ends before the next bar, even inside a batch', async () => {
    const bars = Array.from({ length: 10 }, (_, i) => ({ openTime: i }) as Bar);
    async function* feed() {
      yield bars;
    }
    const got: number[] = [];
    for await (const b of stoppableFeed(feed(), () => got.length >= 3))
      got.push((b[0] as Bar).openTime);
    expect(got).toEqual([0, 1, 2]);
  });
});
