import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import type { Store } from '../../../src/store/open-store.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import type { StrategyHostConfig } from '../../../src/system/strategy-host.js';
import type { TradingCore } from '../../../src/trading/live/trading-core.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { RemoteSeam } from '../../../src/trading/strategy/remote-seam.js';
import { StrategySide } from '../../../src/trading/strategy/strategy-side.js';
import { openBars } from '../../../src/trading/venues/replay/open-data.js';
import { btcInstrument, btcSlice } from '../../support/paper-args.js';
import { addToCatalog, addUser } from '../../support/strategy-catalog.js';
import { anyStore } from '../../support/stores.js';
import {
  bootStrategyHost,
  EARLY_BIRD,
  EMA_TRACE,
  expireBid,
  FILL_HEARER,
  heldEventsRead,
  heldSave,
  OPEN_COUNTER,
  orderOutcome,
} from '../../support/strategy-host-rig.js';

const by = { actor: 'user:q', role: 'quant' };

/**
 * Bids 5 % under the close at its third bar; at its fourth cancels what is open and buys 0.001 at
 * market. Reads one thing outside its context and state, `KAIROS_TEST_DRIFT`, as a careless
 * strategy might read the wall clock: `size` buys 0.002, `skip` buys nothing, `keep` cancels
 * nothing. A replayed bar then decides otherwise than the run it replays.
 */
const DRIFTER = `import { defineStrategy } from 'kairos/sdk';
export default defineStrategy({
  name: 'drifter',
  init: () => ({ n: 0 }),
  onBar(ctx, bar) {
    const n = ctx.state.n++;
    const drift = process.env.KAIROS_TEST_DRIFT;
    if (n === 2) ctx.buy('0.001', { type: 'LIMIT', price: (bar.close * 0.95).toFixed(8) });
    if (n !== 3) return;
    if (drift !== 'keep') for (const o of ctx.openOrders()) ctx.cancel(o.clientOrderId);
    if (drift !== 'skip') ctx.buy(drift === 'size' ? '0.002' : '0.001');
  },
});
`;

/** Bids far under the close at its first bar; throws at its third. */
const THROWER = `import { defineStrategy } from 'kairos/sdk';
export default defineStrategy({
  name: 'thrower',
  init: () => ({ n: 0 }),
  onBar(ctx, bar) {
    ctx.state.n += 1;
    if (ctx.state.n === 1) ctx.buy('0.001', { type: 'LIMIT', price: (bar.close * 0.5).toFixed(8) });
    if (ctx.state.n === 3) throw new Error('thrown at bar 3');
  },
});
`;

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
    for (const [name, source] of [
      ['ema-trace', EMA_TRACE],
      ['fill-hearer', FILL_HEARER],
      ['open-counter', OPEN_COUNTER],
      ['drifter', DRIFTER],
      ['early-bird', EARLY_BIRD],
      ['thrower', THROWER],
    ] as const)
      writeFileSync(path.join(dir, 'strategies', `${name}.ts`), source);
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

  /** Where a run is stopped: after bar `at`, or `killed` in it (see `restartedRun`). */
  interface Stop {
    readonly at: number;
    readonly killed?: 'fills' | 'save';
  }

  /**
   * `strategy` (of the catalog) on `some` bars, on a store of its own, stopped at each of `stops`
   * in turn (none: never stopped) and resumed each time by a new host on a replay from the first
   * bar (the bars before the stop come again: each is taken once). A plain stop comes after bar
   * `at`; `killed`: bar `at` itself reached the core (its fills committed and heard) and, with
   * `'save'`, the strategy too (its orders sent), but no snapshot was saved after it. Its orders
   * and its last saved state.
   */
  let runs = 0;
  const restartedRun = async (
    strategy: string,
    some: readonly Bar[],
    stops: readonly Stop[],
    /** Before each restart. */
    onRestart: () => void = () => undefined,
    /** More of the host's settings (its strategy on a thread). */
    more: Partial<StrategyHostConfig> = {},
  ): Promise<string[]> => {
    // The host's alerts, each run's: a replayed bar that decided otherwise shows in the outcome.
    const alerts: string[] = [];
    const onAlert = (a: Alert) =>
      alerts.push(`${a.code} ${a.message.replace(/^strategy \S+: /, '')}`);
    const on = await anyStore();
    // Each run its own paper venue file.
    const venue = `${strategy}-${runs++}`;
    try {
      const user = await addUser(on.db, 'quinn', 'quant');
      const saved = new StrategySnapshotRepository(on.db, 'desk');
      let id: string | null = null;
      let before = 0;
      for (const stop of [...stops, null]) {
        // With 'save': the save of bar `at`'s snapshot never ends (the process is killed in it).
        const { snapshots, inSave } = heldSave(
          saved,
          stop?.killed === 'save' ? some[stop.at]!.closeTime : null,
        );
        if (id !== null) onRestart();
        const host = await boot(on, venue, { snapshots, onAlert, ...more });
        if (id === null) id = (await host.host.start(user, { name: strategy }, by)).id;
        else {
          expect(await host.host.resume()).toBe(1);
          // The bars it heard before the stop come once more before the feed goes on.
          await host.play(some.slice(0, before));
        }
        await host.play(stop ? some.slice(0, stop.at) : some);
        before = stop?.at ?? 0;
        if (stop?.killed) {
          host.core.onBar(some[stop.at]!);
          if (stop.killed === 'save') {
            void host.host.onBar(some[stop.at]!);
            await inSave;
          }
          await host.core.settle();
          await host.core.journal.committed();
        }
        host.host.halt();
        await host.close();
      }
      const { orders } = await new OrderRepository(on.db, 'desk').page(id!, { limit: 500 });
      const { state } = (await saved.latest(id!))!;
      return [...orders.map(orderOutcome).sort(), JSON.stringify(state), ...alerts];
    } finally {
      await on.drop();
    }
  };

  /** The run of `strategy` on `some` bars never stopped, made once for the tests that compare with it. */
  const nevers = new Map<string, Promise<string[]>>();
  const neverStopped = (strategy: string, some: readonly Bar[]) => {
    const key = `${strategy} ${some.length}`;
    if (!nevers.has(key)) nevers.set(key, restartedRun(strategy, some, []));
    return nevers.get(key)!;
  };

  it('a stop that comes while the instance fails is answered with the failure, once (not 409)', async () => {
    const on = await anyStore();
    try {
      const user = await addUser(on.db, 'quinn', 'quant');
      const rig = await boot(on, 'thrower');
      const { id } = await rig.host.start(user, { name: 'thrower' }, by);
      await rig.play(bars.slice(0, 2));
      // The throw fails it within the bar's call; its end is being stored when the stop comes.
      const playing = rig.play(bars.slice(2, 3));
      const [stopped, again] = await Promise.all([
        rig.host.stop(user, id, by),
        rig.host.stop(user, id, by),
      ]);
      await playing;
      for (const view of [stopped, again])
        expect(view).toMatchObject({ status: 'failed', error: 'thrown at bar 3', openOrders: [] });
      const rows = await new AuditRepository(on.db).page({
        from: 0,
        to: Number.MAX_SAFE_INTEGER,
        after: 0,
        limit: 1000,
      });
      expect(rows.filter((r) => r.subject === id).map((r) => r.action)).toEqual([
        'strategy.started',
        'strategy.failed',
      ]);
      rig.host.halt();
      await rig.close();
    } finally {
      await on.drop();
    }
  }, 60_000);

  it('a restart at any bar, the replay starting again from its first bar: the orders of the run never stopped', async () => {
    // Half the file's bars: enough for orders before and after every restart point.
    const some = bars.slice(0, 130);
    const never = await neverStopped('ema-trace', some);
    expect(never.length).toBeGreaterThan(3);
    // Before the average has a value, soon after, in the middle, near the end.
    for (const at of [5, 20, 100])
      expect([at, await restartedRun('ema-trace', some, [{ at }])]).toEqual([at, never]);
  }, 120_000);

  it("killed after the venue reported, before the strategy's state was saved: it hears those reports again, once", async () => {
    const some = bars.slice(0, 24);
    const never = await neverStopped('fill-hearer', some);
    expect(never.join('\n')).toContain('OrderFilled');
    // Right after bars whose open filled a buy (each third bar buys, the next fills it) or a sell,
    // and after one that filled none.
    for (const at of [4, 8, 9, 17])
      expect([at, await restartedRun('fill-hearer', some, [{ at, killed: 'fills' }])]).toEqual([
        at,
        never,
      ]);
  }, 120_000);

  it("killed after a bar's orders were sent, before its snapshot was saved: the orders and state of the run never stopped", async () => {
    const some = bars.slice(0, 24);
    const never = await neverStopped('fill-hearer', some);
    // At bars that buy (3, 9), sell (4) and do nothing (5).
    for (const at of [3, 4, 5, 9])
      expect([at, await restartedRun('fill-hearer', some, [{ at, killed: 'save' }])]).toEqual([
        at,
        never,
      ]);
    // The replayed bar does not see the orders it made before the kill until it makes them again.
    const bids = await neverStopped('open-counter', some);
    expect(bids.join('\n')).toContain('CANCELED');
    // At bars that bid (2, 6), and that cancel the bid (3, 7): the replayed bar sees it open.
    for (const at of [2, 3, 6, 7])
      expect([at, await restartedRun('open-counter', some, [{ at, killed: 'save' }])]).toEqual([
        at,
        bids,
      ]);
  }, 120_000);

  it('a replayed bar that decides otherwise is raised (REPLAY_MISMATCH), never taken silently; the stored orders stand', async () => {
    const some = bars.slice(0, 8);
    const never = await neverStopped('drifter', some);
    // Killed in bar 3's save (its cancel and its buy sent), resumed reading another value.
    const drifted = async (drift: string) => {
      try {
        return await restartedRun('drifter', some, [{ at: 3, killed: 'save' }], () => {
          process.env.KAIROS_TEST_DRIFT = drift;
        });
      } finally {
        delete process.env.KAIROS_TEST_DRIFT;
      }
    };
    const orders = never.slice(0, -1);
    expect(orders).toEqual(['1 BUY 0.001 CANCELED 0', '2 BUY 0.001 FILLED 0.001']);
    const size = await drifted('size');
    expect(size.slice(0, 2)).toEqual(orders);
    expect(size.slice(3)).toEqual([
      expect.stringMatching(
        /^REPLAY_MISMATCH \S+-2: the replayed bar made BUY 0.002 MARKET, stored BUY 0.001 MARKET$/,
      ),
    ]);
    const skip = await drifted('skip');
    expect(skip.slice(0, 2)).toEqual(orders);
    expect(skip.slice(3)).toEqual([
      expect.stringMatching(
        /^REPLAY_MISMATCH \S+-2: made before the restart, not made again on the replayed bar$/,
      ),
    ]);
    const keep = await drifted('keep');
    expect(keep.slice(0, 2)).toEqual(orders);
    expect(keep.slice(3)).toEqual([
      expect.stringMatching(
        /^REPLAY_MISMATCH \S+-1: cancelled before the restart, not cancelled again on the replayed bar$/,
      ),
    ]);
    // The same value as before: nothing raised, the run never stopped.
    expect(await drifted('')).toEqual(never);
  }, 120_000);

  it('an event that comes while it resumes is heard after the events it is told from the store, which happened first', async () => {
    const on = await anyStore();
    try {
      const user = await addUser(on.db, 'quinn', 'quant');
      const venue = `early-bird-${runs++}`;
      const first = await boot(on, venue);
      const { id } = await first.host.start(user, { name: 'early-bird' }, by);
      await first.play(bars.slice(0, 1));
      // Killed after bar 1 filled the buy (stored), before the strategy heard it.
      first.core.onBar(bars[1]!);
      await first.core.settle();
      await first.core.journal.committed();
      first.host.halt();
      await first.close();

      // The resume's read of the stored events waits until the test lets it go; meanwhile the
      // venue expires the bid (a report that comes while the server starts).
      const held = heldEventsRead();
      const second = await bootStrategyHost({
        store: on,
        dir,
        venue,
        instrument: inst,
        cash: { X: '1000' },
        orders: held.orders,
      });
      const resumed = second.host.resume();
      await held.reading;
      const bid = expireBid(second.core, id, bars[1]!.closeTime + 1);
      expect(bid.type).toBe('LIMIT');
      held.go();
      expect(await resumed).toBe(1);
      await second.play(bars.slice(0, 3));
      second.host.halt();
      await second.close();
      const { state } = (await new StrategySnapshotRepository(on.db, 'desk').latest(id))!;
      expect((state as { heard: string[] }).heard.slice(-2)).toEqual([
        'OrderFilled 1',
        'OrderExpired 2',
      ]);
    } finally {
      await on.drop();
    }
  }, 120_000);

  it('behind a remote seam, an event that comes while its drain hands events over is heard once, across a restart after that snapshot', async () => {
    const on = await anyStore();
    try {
      const user = await addUser(on.db, 'quinn', 'quant');
      const venue = `early-bird-${runs++}`;
      // The strategy behind a remote seam (only JSON text crosses, as to a Lambda function). The
      // first time the drain hands it an acknowledgement, the venue expires the bid meanwhile.
      let core: TradingCore | null = null;
      let expired = false;
      const seam: StrategyHostConfig['seam'] = (definition, params, host) => {
        const side = new StrategySide(
          definition,
          params as never,
          host.strategyId,
          host.instrument,
        );
        return new RemoteSeam(host, async (text) => {
          const req = JSON.parse(text) as { kind: string; event?: { kind: string } };
          if (!expired && req.kind === 'orderEvent' && req.event?.kind === 'OrderAccepted') {
            expired = true;
            expireBid(core!, host.strategyId, bars[0]!.closeTime + 1);
          }
          return side.handle(text);
        });
      };
      const first = await boot(on, venue, { seam });
      core = first.core;
      const { id } = await first.host.start(user, { name: 'early-bird' }, by);
      await first.play(bars.slice(0, 1));
      expect(expired).toBe(true);
      const saved = new StrategySnapshotRepository(on.db, 'desk');
      const heardAt0 = ((await saved.latest(id))!.state as { heard: string[] }).heard;
      expect(heardAt0).toContain('OrderExpired 2');
      // Stopped right after that bar's snapshot.
      first.host.halt();
      await first.close();
      const second = await boot(on, venue, { seam });
      core = second.core;
      expect(await second.host.resume()).toBe(1);
      await second.play(bars.slice(0, 2));
      second.host.halt();
      await second.close();
      const heard = ((await saved.latest(id))!.state as { heard: string[] }).heard;
      expect(heard.filter((h) => h === 'OrderExpired 2')).toHaveLength(1);
      expect(heard.slice(0, heardAt0.length)).toEqual(heardAt0);
      expect(heard.slice(heardAt0.length)).toEqual(['OrderFilled 1']);
    } finally {
      await on.drop();
    }
  }, 120_000);

  it('on its own thread (`KAIROS_STRATEGY_THREADS=1`), stopped and killed at those points: the orders and state of the run never stopped in this process', async () => {
    const threads = { threads: { callTimeoutMs: 60_000, memoryMb: 256 } };
    const some = bars.slice(0, 24);
    const plain = (s: string, stops: readonly Stop[]) =>
      restartedRun(s, some, stops, undefined, threads);
    // Its indicators and history warm again on the bars before the stop, on the new thread.
    expect(
      await restartedRun('ema-trace', bars.slice(0, 130), [{ at: 20 }], undefined, threads),
    ).toEqual(await neverStopped('ema-trace', bars.slice(0, 130)));
    const fills = await neverStopped('fill-hearer', some);
    expect(await plain('fill-hearer', [])).toEqual(fills);
    expect(
      await plain('fill-hearer', [
        { at: 3, killed: 'save' },
        { at: 8, killed: 'fills' },
      ]),
    ).toEqual(fills);
    const bids = await neverStopped('open-counter', some);
    expect(await plain('open-counter', [{ at: 3, killed: 'save' }, { at: 6 }])).toEqual(bids);
  }, 180_000);

  it('killed any number of times, anywhere among those points: the orders and state of the run never stopped (property)', async () => {
    const some = bars.slice(0, 16);
    const never = {
      'fill-hearer': await neverStopped('fill-hearer', some),
      'open-counter': await neverStopped('open-counter', some),
    };
    const stop = fc.record({
      at: fc.integer({ min: 1, max: some.length - 2 }),
      killed: fc.constantFrom(undefined, 'fills' as const, 'save' as const),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('fill-hearer' as const, 'open-counter' as const),
        fc.array(stop, { minLength: 1, maxLength: 3 }),
        async (strategy, drawn) => {
          // In bar order, one a bar (a resumed run's next stop is a later bar).
          const stops = [...new Map(drawn.map((s) => [s.at, s])).values()].sort(
            (a, b) => a.at - b.at,
          );
          expect(await restartedRun(strategy, some, stops)).toEqual(never[strategy]);
        },
      ),
      { numRuns: 6 },
    );
  }, 180_000);
});
