import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { bundleStrategy, writeBundle } from '../../../src/system/load-strategy.js';
import { StrategyThread } from '../../../src/system/strategy-thread.js';
import { instrumentToJson } from '../../../src/trading/model/instrument.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { openBars } from '../../../src/trading/venues/replay/open-data.js';
import { btcInstrument, btcSlice } from '../../support/paper-args.js';
import { addUser } from '../../support/strategy-catalog.js';
import { anyStore } from '../../support/stores.js';
import { bootStrategyHost, EARLY_BIRD } from '../../support/strategy-host-rig.js';
import { until } from '../../support/until.js';

const by = { actor: 'user:q', role: 'quant' };

/**
 * Bids far under the close at its first bar (the bid stays open), then at bar `at` goes wrong as
 * `how` says: `loop` never returns (it sleeps in `Atomics.wait` between passes, so it burns no
 * core), `memory` keeps allocating, `exit` calls `process.exit`.
 */
const wrong = (
  name: string,
  how: 'loop' | 'memory' | 'exit',
  at = 3,
) => `import { defineStrategy } from 'kairos/sdk';
const nap = new Int32Array(new SharedArrayBuffer(4));
const kept: number[][] = [];
export default defineStrategy({
  name: '${name}',
  init: () => ({ n: 0 }),
  onBar(ctx, bar) {
    ctx.state.n += 1;
    if (ctx.state.n === 1) ctx.buy('0.001', { type: 'LIMIT', price: (bar.close * 0.5).toFixed(8) });
    if (ctx.state.n !== ${at}) return;
    const how = '${how}';
    if (how === 'exit') process.exit(7);
    for (;;) {
      if (how === 'memory') kept.push(new Array(100_000).fill(ctx.state.n));
      else Atomics.wait(nap, 0, 0, 20);
    }
  },
});
`;

describe('strategy host: each instance on its own thread (`KAIROS_STRATEGY_THREADS=1`)', () => {
  let store: Awaited<ReturnType<typeof anyStore>>;
  let dir: string;
  let owner: string;
  let bars: Bar[];
  const inst = btcInstrument();

  beforeAll(async () => {
    store = await anyStore();
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-threads-'));
    const catalog = path.join(dir, 'strategies');
    mkdirSync(catalog, { recursive: true });
    for (const [name, source] of [
      ['early-bird', EARLY_BIRD],
      ['looper', wrong('looper', 'loop')],
      ['hog', wrong('hog', 'memory')],
      ['quitter', wrong('quitter', 'exit')],
      // Loads on the server's thread (its parameters are checked there), ends its own thread.
      [
        'loner',
        `import { isMainThread } from 'node:worker_threads';\nif (!isMainThread) process.exit(3);\n${EARLY_BIRD.replace("'early-bird'", "'loner'")}`,
      ],
    ] as const) {
      writeFileSync(path.join(catalog, `${name}.ts`), source);
    }
    bars = [];
    for await (const batch of openBars(btcSlice(path.join(dir, 'bars.json'), 12), {
      instrumentId: inst.id,
    }))
      bars.push(...batch);
    owner = await addUser(store.db, 'quinn', 'quant');
  });
  afterAll(async () => {
    await store?.drop();
  });

  /**
   * `name` goes wrong at its third bar beside `early-bird` on the same account: it fails alone,
   * with `error`, its open bid cancelled and `strategy.failed` audited, while the event loop kept
   * turning and `early-bird` trades on. Answers how often a 5 ms timer fired during that bar.
   */
  const failsAlone = async (
    name: string,
    venue: string,
    error: RegExp,
    // Each thread's every call (its load, its bars) under it, even on a loaded machine.
    callTimeoutMs = 30_000,
  ) => {
    const rig = await bootStrategyHost({
      store,
      dir,
      venue,
      accountId: venue,
      instrument: inst,
      cash: { X: '1000' },
      host: { threads: { callTimeoutMs, memoryMb: 48 } },
    });
    try {
      const bad = await rig.host.start(owner, { name, accountId: venue }, by);
      const good = await rig.host.start(owner, { name: 'early-bird', accountId: venue }, by);
      await rig.play(bars.slice(0, 2));
      expect(rig.core.exec.openOrders(bad.id)).toHaveLength(1);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      try {
        await rig.play(bars.slice(2, 3));
      } finally {
        clearInterval(timer);
      }
      const failed = await until(
        async () => {
          const s = await rig.host.state(owner, bad.id);
          return s?.status === 'failed' && s;
        },
        10_000,
        `${name} failed`,
      );
      expect(failed.error).toMatch(error);
      // Stored failed first, then its open orders are cancelled.
      await until(() => rig.core.exec.openOrders(bad.id).length === 0, 10_000, 'bid cancelled');
      const { orders } = await new OrderRepository(store.db, venue).page(bad.id, { limit: 10 });
      expect(orders.map((o) => o.status)).toEqual(['CANCELED']);
      const audit = await new AuditRepository(store.db).page({
        from: 0,
        to: Number.MAX_SAFE_INTEGER,
        after: 0,
        limit: 100_000,
      });
      expect(audit.filter((r) => r.subject === bad.id).map((r) => r.action)).toEqual([
        'strategy.started',
        'strategy.failed',
      ]);
      // The other instance on the account goes on hearing bars.
      await rig.play(bars.slice(3, 6));
      const other = await rig.host.state(owner, good.id);
      expect(other).toMatchObject({ status: 'running', state: { n: 6 } });
      // A stop on a thread: its open bid cancelled.
      expect(rig.core.exec.openOrders(good.id)).toHaveLength(1);
      expect(await rig.host.stop(owner, good.id, by)).toMatchObject({ status: 'stopped' });
      expect(rig.core.exec.openOrders(good.id)).toHaveLength(0);
      return ticks;
    } finally {
      rig.host.halt();
      await rig.close();
    }
  };

  it('a strategy that never returns is ended at its call limit (STRATEGY_TIMEOUT); the event loop never stopped', async () => {
    const ticks = await failsAlone(
      'looper',
      'loop',
      /^strategy "looper-[0-9a-f]+": its bar call took longer than 3000 ms \(KAIROS_STRATEGY_TIMEOUT_MS\); its thread was ended$/,
      3_000,
    );
    // 3 s of a bar that never returned, and the server's own timers kept firing meanwhile.
    expect(ticks).toBeGreaterThan(10);
  }, 60_000);

  it('a strategy that eats memory ends its own thread at its heap limit (STRATEGY_THREAD_EXITED)', async () => {
    await failsAlone('hog', 'hog', /^strategy "hog-[0-9a-f]+": its thread ended: .*memory/);
  }, 60_000);

  it('a strategy its thread cannot load is not started: the start answers why, and the instance is stored failed', async () => {
    const rig = await bootStrategyHost({
      store,
      dir,
      venue: 'loner',
      accountId: 'loner',
      instrument: inst,
      cash: { X: '1000' },
      host: { threads: { callTimeoutMs: 10_000, memoryMb: 256 } },
    });
    try {
      await expect(
        rig.host.start(owner, { name: 'loner', accountId: 'loner' }, by),
      ).rejects.toMatchObject({ code: 'STRATEGY_THREAD_EXITED' });
      const [stored] = (await rig.host.list(owner)).filter((i) => i.name === 'loner');
      expect(stored).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(
          /^not started: strategy "loner-[0-9a-f]+": its thread ended: it exited with code 3/,
        ),
      });
      // Nothing of it runs: the account holds no instance, and a restart resumes nothing.
      expect(rig.host.runsOn('loner')).toBe(false);
      expect(await rig.host.resume('loner')).toBe(0);
    } finally {
      rig.host.halt();
      await rig.close();
    }
  }, 60_000);

  it('a strategy that calls process.exit ends its thread, not the server (STRATEGY_THREAD_EXITED)', async () => {
    await failsAlone(
      'quitter',
      'quit',
      /^strategy "quitter-[0-9a-f]+": its thread ended: it exited with code 7/,
    );
  }, 60_000);
});

describe('StrategyThread: the thread one instance runs on', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-thread-'));
  const data = (module: string) => ({
    module,
    strategyFile: 'catalog/x.ts',
    params: {},
    strategyId: 'x-1',
    instrument: instrumentToJson(btcInstrument()),
  });
  // Every call well under it, even on a loaded machine; `stuck` alone meets a short limit.
  const limits = { callTimeoutMs: 30_000, memoryMb: 48 };

  it('a module that does not load is its error, naming the catalog file; one that never ends loading is STRATEGY_TIMEOUT', async () => {
    await expect(
      StrategyThread.open(data(path.join(dir, 'absent.mjs')), limits),
    ).rejects.toMatchObject({
      code: 'STRATEGY_LOAD',
      message: expect.stringMatching(/^strategy file catalog\/x\.ts: /),
    });
    const stuck = path.join(dir, 'stuck.mjs');
    writeFileSync(
      stuck,
      'const nap = new Int32Array(new SharedArrayBuffer(4)); for (;;) Atomics.wait(nap, 0, 0, 20);\n',
    );
    await expect(
      StrategyThread.open(data(stuck), { ...limits, callTimeoutMs: 1_000 }),
    ).rejects.toMatchObject({
      code: 'STRATEGY_TIMEOUT',
      message:
        'strategy "x-1": its load call took longer than 1000 ms (KAIROS_STRATEGY_TIMEOUT_MS); its thread was ended',
    });
  }, 30_000);

  it('answers requests in order; once closed, every call fails with STRATEGY_THREAD_EXITED', async () => {
    const file = path.join(dir, 'early.ts');
    writeFileSync(file, EARLY_BIRD);
    const module = await writeBundle(await bundleStrategy(file), path.join(dir, 'build'));
    const thread = await StrategyThread.open(data(module), limits);
    // A request the side cannot read is answered with its error, in its turn.
    const replies = await Promise.all([
      thread.transport('{"kind":"snapshot"}'),
      thread.transport('not json'),
    ]);
    expect(replies.map((r) => (JSON.parse(r) as { ok: boolean }).ok)).toEqual([false, false]);
    expect(JSON.parse(replies[0]!)).toMatchObject({ error: { code: 'STRATEGY_SEAM' } });
    await thread.close();
    await expect(thread.transport('{"kind":"snapshot"}')).rejects.toMatchObject({
      code: 'STRATEGY_THREAD_EXITED',
      message: 'strategy "x-1": its thread was closed',
    });
  }, 30_000);
});
