import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import type { Store } from '../../../src/store/open-store.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import type { StrategyHostConfig } from '../../../src/system/strategy-host.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { openBars } from '../../../src/trading/venues/replay/open-data.js';
import { btcInstrument, btcSlice } from '../../support/paper-args.js';
import { addToCatalog, addUser } from '../../support/strategy-catalog.js';
import { anyStore } from '../../support/stores.js';
import {
  bootStrategyHost,
  EMA_TRACE,
  FILL_HEARER,
  heldSave,
  OPEN_COUNTER,
  orderOutcome,
} from '../../support/strategy-host-rig.js';

const by = { actor: 'user:q', role: 'quant' };

describe('strategy host: a started strategy resumes after a restart from its snapshot', () => {
  let store: Awaited<ReturnType<typeof anyStore>>;
  let dir: string;
  let owner: string;
  let bars: Bar[];
  const inst = btcInstrument();

  beforeAll(async () => {
    store = await anyStore();
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-host-'));
    addToCatalog(path.join(dir, 'strategies'), 'examples/strategies/sma-cross.ts', 'sma-cross');
    bars = [];
    for await (const batch of openBars(btcSlice(path.join(dir, 'bars.json'), 240), {
      instrumentId: inst.id,
    }))
      bars.push(...batch);
    owner = await addUser(store.db, 'quinn', 'quant');
  });
  afterAll(async () => {
    await store?.drop();
  });

  /** What `kairos serve` builds: the core on the paper venue, and the host beside it. */
  const boot = (on: Store = store, venue = 'venue', host?: Partial<StrategyHostConfig>) =>
    bootStrategyHost({ store: on, dir, venue, instrument: inst, cash: { X: '1000' }, host });

  it('keeps trading where it was, with no client order id used twice; a strategy gone from the catalog fails', async () => {
    const first = await boot();
    const started = await first.host.start(
      owner,
      { name: 'sma-cross', params: { fast: 2, slow: 4, size: '1' } },
      by,
    );
    await first.play(bars.slice(0, 120));
    const before = await first.host.state(owner, started.id);
    expect(before!.orders).toBeGreaterThan(0);
    // The store's: the OMS holds only the open and recently closed orders.
    const idsBefore = (
      await new OrderRepository(store.db, 'desk').page(started.id, { limit: 500 })
    ).orders.map((o) => o.clientOrderId);
    first.host.halt();

    const second = await boot();
    expect(await second.host.resume()).toBe(1);
    const resumed = await second.host.state(owner, started.id);
    expect(resumed).toMatchObject({ status: 'running', state: before!.state });
    expect(resumed!.lastBarAt).toBe(bars[119]!.closeTime);
    // A feed that starts again from its first bar: the bars it was saved after are not heard
    // again, nor saved again (a different snapshot at their time is SNAPSHOT_CONFLICT).
    await second.play(bars.slice(100, 120));
    expect(await second.host.state(owner, started.id)).toMatchObject({
      status: 'running',
      state: before!.state,
      lastBarAt: bars[119]!.closeTime,
    });
    await second.play(bars.slice(120));
    const after = await new OrderRepository(store.db, 'desk').page(started.id, { limit: 500 });
    const ids = after.orders.map((o) => o.clientOrderId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(idsBefore.length);
    const seq = (id: string) => Number(id.split('-').at(-1));
    expect(Math.min(...ids.filter((i) => !idsBefore.includes(i)).map(seq))).toBe(
      Math.max(...idsBefore.map(seq)) + 1,
    );
    second.host.halt();

    rmSync(path.join(dir, 'strategies', 'sma-cross.ts'));
    const third = await boot();
    await third.host.resume();
    const failed = await third.host.state(owner, started.id);
    expect(failed).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^not resumed: strategy: "sma-cross" is not in the catalog/),
    });
    const rows = await new AuditRepository(store.db).page({
      from: 0,
      to: Number.MAX_SAFE_INTEGER,
      after: 0,
      limit: 100_000, // every order event is audited too
    });
    expect(rows.filter((r) => r.subject === started.id).map((r) => r.action)).toEqual([
      'strategy.started',
      'strategy.failed',
    ]);
  }, 120_000);

  /**
   * `strategy` (of the catalog) on `some` bars, on a store of its own: never stopped (`at` null),
   * or stopped after bar `at` and resumed by a second host on a replay from the first bar (the
   * bars before the stop come twice: each is taken once). `killed`: bar `at` itself reached the
   * core (its fills committed and heard) and, with `'save'`, the strategy too (its orders sent),
   * but no snapshot was saved after it. Its orders and its last saved state.
   */
  let runs = 0;
  const restartedRun = async (
    strategy: string,
    some: readonly Bar[],
    at: number | null,
    killed?: 'fills' | 'save',
  ): Promise<string[]> => {
    const on = await anyStore();
    // Each run its own paper venue file.
    const venue = `${strategy}-${at ?? 'never'}-${killed ?? 'stopped'}-${runs++}`;
    try {
      const user = await addUser(on.db, 'quinn', 'quant');
      // With 'save': the save of bar `at`'s snapshot never ends (the process is killed in it).
      const saved = new StrategySnapshotRepository(on.db, 'desk');
      const { snapshots, inSave } = heldSave(
        saved,
        killed === 'save' && at !== null ? some[at]!.closeTime : null,
      );
      const first = await boot(on, venue, { snapshots });
      const s = await first.host.start(user, { name: strategy }, by);
      await first.play(at === null ? some : some.slice(0, at));
      if (at !== null && killed) {
        first.core.onBar(some[at]!);
        if (killed === 'save') {
          void first.host.onBar(some[at]!);
          await inSave;
        }
        await first.core.settle();
        await first.core.journal.committed();
      }
      first.host.halt();
      await first.close();
      if (at !== null) {
        const second = await boot(on, venue);
        expect(await second.host.resume()).toBe(1);
        await second.play(some.slice(0, at));
        await second.play(some);
        second.host.halt();
        await second.close();
      }
      const { orders } = await new OrderRepository(on.db, 'desk').page(s.id, { limit: 500 });
      const { state } = (await saved.latest(s.id))!;
      return [...orders.map(orderOutcome).sort(), JSON.stringify(state)];
    } finally {
      await on.drop();
    }
  };

  it('a restart at any bar, the replay starting again from its first bar: the orders of the run never stopped', async () => {
    writeFileSync(path.join(dir, 'strategies', 'ema-trace.ts'), EMA_TRACE);
    // Half the file's bars: enough for orders before and after every restart point.
    const some = bars.slice(0, 130);
    const never = await restartedRun('ema-trace', some, null);
    expect(never.length).toBeGreaterThan(3);
    // Before the average has a value, soon after, in the middle, near the end.
    for (const at of [5, 20, 100])
      expect([at, await restartedRun('ema-trace', some, at)]).toEqual([at, never]);
  }, 120_000);

  it("killed after the venue reported, before the strategy's state was saved: it hears those reports again, once", async () => {
    writeFileSync(path.join(dir, 'strategies', 'fill-hearer.ts'), FILL_HEARER);
    const some = bars.slice(0, 24);
    const never = await restartedRun('fill-hearer', some, null);
    expect(never.join('\n')).toContain('OrderFilled');
    // Right after bars whose open filled a buy (each third bar buys, the next fills it) or a sell,
    // and after one that filled none.
    for (const at of [4, 8, 9, 17])
      expect([at, await restartedRun('fill-hearer', some, at, 'fills')]).toEqual([at, never]);
  }, 120_000);

  it("killed after a bar's orders were sent, before its snapshot was saved: the orders and state of the run never stopped", async () => {
    writeFileSync(path.join(dir, 'strategies', 'fill-hearer.ts'), FILL_HEARER);
    const some = bars.slice(0, 24);
    const never = await restartedRun('fill-hearer', some, null);
    // At bars that buy (3, 9), sell (4) and do nothing (5).
    for (const at of [3, 4, 5, 9])
      expect([at, await restartedRun('fill-hearer', some, at, 'save')]).toEqual([at, never]);
    // The replayed bar does not see the orders it made before the kill until it makes them again.
    writeFileSync(path.join(dir, 'strategies', 'open-counter.ts'), OPEN_COUNTER);
    const bids = await restartedRun('open-counter', some, null);
    expect(bids.join('\n')).toContain('CANCELED');
    // At bars that bid (2, 6), and that cancel the bid (3, 7): the replayed bar sees it open.
    for (const at of [2, 3, 6, 7])
      expect([at, await restartedRun('open-counter', some, at, 'save')]).toEqual([at, bids]);
  }, 120_000);
});
