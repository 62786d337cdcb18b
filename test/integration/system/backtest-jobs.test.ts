import path from 'node:path';
import { BacktestRepository } from '../../../src/store/backtest-repository.js';
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

  beforeAll(async () => {
    store = await anyStore();
    dir = tempDir('kairos-jobs-');
    addToCatalog(path.join(dir, 'strategies'), 'examples/strategies/sma-cross.ts', 'sma-cross');
    btcSlice(path.join(dir, 'feed.json'), 200);
    owner = await addUser(store.db, 'quinn', 'quant');
  });
  afterAll(async () => {
    await store?.drop();
  });

  const jobs = (maxQueued: number) => folderJobs(store.db, dir, { maxQueued });

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
