import { OrderRepository } from '../../../src/store/order-repository.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { defineStrategy } from '../../../src/trading/strategy/index.js';
import { bar, instrument } from '../../support/builders.js';
import { crashRig } from '../../support/crash-harness.js';
import { anyStore } from '../../support/stores.js';

const MINUTE = 60_000;
const INST = instrument();

/**
 * Reads `ctx.order` of every order it made on every bar (kept in its state), and decides on it:
 * buys 1 at bar 0, sells it at bar 2, and at bar 3 buys 1 if its first order still reads, else 2.
 * The first order is made before the snapshots of bars 1 and 2 and closed (filled) within the
 * 10-minute window of every bar here.
 */
const rereader = defineStrategy({
  name: 'rereader',
  init: () => ({ n: 0, ids: [] as string[], reads: [] as string[] }),
  onBar(ctx) {
    const n = ctx.state.n++;
    const seen = ctx.state.ids.map((id) => ctx.order(id)?.status ?? '-');
    ctx.state.reads.push(`${n} ${seen.join(',')}`);
    if (n === 0) ctx.state.ids.push(ctx.buy('1').clientOrderId);
    if (n === 2) ctx.state.ids.push(ctx.sell('1').clientOrderId);
    if (n === 3) ctx.state.ids.push(ctx.buy(seen[0] === '-' ? '2' : '1').clientOrderId);
  },
});

/** One bar a minute, from minute 1. */
const bars: Bar[] = Array.from({ length: 6 }, (_, i) => bar(100, 101, 99, 100, (i + 1) * MINUTE));

let store: Awaited<ReturnType<typeof anyStore>>;
beforeAll(async () => {
  store = await anyStore();
});
afterAll(async () => {
  await store.drop();
});

describe('a restarted node reads an order closed within the window as the uninterrupted one (invariant 11)', () => {
  it('killed at every step and restarted: the same reads, orders, fills, cash and equity', async () => {
    const rig = (account: string) =>
      crashRig({
        store,
        account,
        instrument: INST,
        strategy: rereader,
        params: {},
        cash: '1000000',
        bars,
      });
    const base = rig('base');
    const clean = await base.run();
    expect(clean.finished).toBe(true);
    const expected = await base.outcome();
    const reads = (clean.state as { reads: string[] }).reads;
    // The first order (filled at bar 0) still reads at bar 3, so bar 3 buys 1.
    expect(reads[3]).toBe('3 FILLED,FILLED');
    expect(expected.orders).toHaveLength(3);
    // Killed at each step of the run (start-up, recovery, mid-bar, after a snapshot), then restarted.
    for (let killAt = 1; killAt < clean.steps; killAt++) {
      const r = rig(`k${killAt}`);
      const first = await r.run(killAt);
      expect(first.finished).toBe(false);
      const again = await r.run();
      expect(again.finished).toBe(true);
      expect({ killAt, reads: (again.state as { reads: string[] }).reads }).toEqual({
        killAt,
        reads,
      });
      expect({ killAt, ...(await r.outcome()) }).toEqual({ killAt, ...expected });
    }
  }, 120_000);

  it('start-up reads only the orders closed within the window (restorable)', async () => {
    const base = crashRig({
      store,
      account: 'window',
      instrument: INST,
      strategy: rereader,
      params: {},
      cash: '1000000',
      bars,
    });
    expect((await base.run()).finished).toBe(true);
    const repo = new OrderRepository(store.db, 'window');
    const all = await repo.ordersSince(Number.MIN_SAFE_INTEGER);
    const times = all.map((o) => o.updatedAt).sort((a, b) => a - b);
    expect(new Set(times).size).toBe(3);
    const ids = async (ts: number) =>
      (await repo.restorable({ closedWithin: { ms: 0, endsAt: ts } })).closed
        .map((o) => o.clientOrderId)
        .sort();
    expect(await ids(times[0]!)).toEqual(all.map((o) => o.clientOrderId).sort());
    // At or after `ts`: the first order closed before it is left in the store.
    expect(await ids(times[0]! + 1)).toHaveLength(2);
    expect(await ids(times[2]! + 1)).toEqual([]);
    // Another account's orders are never read.
    expect(
      await new OrderRepository(store.db, 'nobody').restorable({
        madeSince: 0,
        closedWithin: { ms: 0, endsAt: 0, orLatestUpdate: true },
      }),
    ).toEqual({ open: [], made: [], closed: [] });
  });
});
