import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BacktestRepository } from '../../../src/store/backtest-repository.js';
import type { BacktestThreadLimits } from '../../../src/system/backtest-thread.js';
import { folderJobs } from '../../support/backtest-jobs.js';
import { btcSlice } from '../../support/paper-args.js';
import { addToCatalog, addUser } from '../../support/strategy-catalog.js';
import { until } from '../../support/until.js';
import { anyStore } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';

const by = { actor: 'user:test', role: 'quant' };

describe('backtest jobs: the queue bound, and jobs a stopped server left unfinished', () => {
  let store: Awaited<ReturnType<typeof anyStore>>;
  let dir: string;
  let owner: string;
  /** The owner of the thread tests' jobs (the queue test reads `owner`'s: none). */
  let tess: string;

  beforeAll(async () => {
    store = await anyStore();
    dir = tempDir('kairos-jobs-');
    addToCatalog(path.join(dir, 'strategies'), 'examples/strategies/sma-cross.ts', 'sma-cross');
    // With stuck = 1 its first bar never returns (it sleeps in Atomics.wait: no core burnt).
    writeFileSync(
      path.join(dir, 'strategies', 'spin.ts'),
      `import { defineStrategy, param } from 'kairos/sdk';
const nap = new Int32Array(new SharedArrayBuffer(4));
export default defineStrategy({
  name: 'spin',
  params: { stuck: param.int(0, { min: 0, max: 1 }) },
  init: () => ({ bars: 0 }),
  onBar(ctx) {
    while (ctx.params.stuck === 1) Atomics.wait(nap, 0, 0, 20);
    if (ctx.state.bars++ === 0) ctx.buy('0.001');
  },
});
`,
    );
    btcSlice(path.join(dir, 'feed.json'), 200);
    owner = await addUser(store.db, 'quinn', 'quant');
    tess = await addUser(store.db, 'tess', 'quant');
  });
  afterAll(async () => {
    await store?.drop();
  });

  const jobs = (maxQueued: number, limits?: BacktestThreadLimits) =>
    folderJobs(store.db, dir, { maxQueued, ...(limits ? { limits } : {}) });

  const settled = (on: ReturnType<typeof jobs>, id: string) =>
    until(async () => {
      const j = await on.find(tess, id);
      return j && ['done', 'failed'].includes(j.status) ? j : undefined;
    }, 60_000);

  it('runs each job on its own thread: one whose strategy never returns ends at its time limit while the event loop turns, and the next job runs', async () => {
    const on = jobs(5, { timeoutMs: 2_000, memoryMb: 256 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const hung = await on.submit(tess, { strategy: 'spin', params: { stuck: 1 } }, by);
      const next = await on.submit(tess, { strategy: 'spin', params: { stuck: 0 } }, by);
      expect(await settled(on, hung.id)).toMatchObject({
        status: 'failed',
        error:
          'the backtest took longer than 2000 ms (KAIROS_BACKTEST_TIMEOUT_MS); its thread was ended',
      });
      // The server's own timers kept firing through the two seconds it ran.
      expect(ticks).toBeGreaterThan(20);
      expect(await settled(on, next.id)).toMatchObject({ status: 'done' });
      expect(await on.report(tess, next.id)).toEqual(expect.stringContaining('"strategy": "spin"'));
    } finally {
      clearInterval(timer);
      await on.close();
    }
  }, 120_000);

  it('a server that stops mid-job ends its thread at once and leaves it running, for the next start', async () => {
    const first = jobs(5);
    const job = await first.submit(tess, { strategy: 'spin', params: { stuck: 1 } }, by);
    await until(async () => (await first.find(tess, job.id))?.status === 'running', 30_000);
    await first.close();
    expect(await first.find(tess, job.id)).toMatchObject({ status: 'running', error: null });
    await new BacktestRepository(store.db).markFailed(job.id, 'cleaned up by the test', 2);
  }, 60_000);

  it('refuses a job when the queue is full, storing nothing', async () => {
    const full = jobs(0);
    await expect(full.submit(owner, { strategy: 'sma-cross' }, by)).rejects.toMatchObject({
      code: 'BACKTEST_QUEUE_FULL',
      message: expect.stringMatching(/0 backtests are already waiting/),
    });
    expect((await full.page(owner, { limit: 10 })).jobs).toEqual([]);
  });

  it('runs again the jobs left queued or running, to the same report', async () => {
    const first = jobs(5);
    const job = await first.submit(owner, { strategy: 'sma-cross', params: { fast: 3 } }, by);
    const done = await until(async () => {
      const j = await first.find(owner, job.id);
      return j?.status === 'done' ? j : undefined;
    }, 60_000);
    const report = await first.report(owner, done.id);
    expect(report).toEqual(expect.stringContaining('"strategy": "sma-cross"'));
    await first.close();

    // As if the server had stopped while it ran: the job is back to running, without a report.
    const repo = new BacktestRepository(store.db);
    await repo.markRunning(job.id, 1);
    await store.db.updateTable('backtest_runs').set({ report: null }).execute();
    const second = jobs(5);
    expect(await second.resume()).toBe(1);
    await until(async () => (await second.find(owner, job.id))?.status === 'done', 60_000);
    expect(await second.report(owner, job.id)).toBe(report);
    await second.close();
  }, 120_000);
});
