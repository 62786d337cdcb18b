import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { S3ObjectStore } from '../../../src/cloud/s3-object-store.js';
import { BacktestRepository } from '../../../src/store/backtest-repository.js';
import type { BacktestJobs } from '../../../src/system/backtest-jobs.js';
import { folderJobs } from '../../support/backtest-jobs.js';
import { btcSlice } from '../../support/paper-args.js';
import { startS3, type LocalS3 } from '../../support/s3rver.js';
import { addToCatalog, addUser } from '../../support/strategy-catalog.js';
import { freshStore } from '../../support/stores.js';
import { until } from '../../support/until.js';

const by = { actor: 'user:test', role: 'quant' };

describe('backtest jobs with a bucket: each report also goes to S3', () => {
  let s3: LocalS3;
  let store: Awaited<ReturnType<typeof freshStore>>;
  let dir: string;
  let owner: string;

  beforeAll(async () => {
    s3 = await startS3(['kairos-reports']);
    store = await freshStore('postgres');
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-jobs-s3-'));
    addToCatalog(path.join(dir, 'strategies'), 'examples/strategies/sma-cross.ts', 'sma-cross');
    btcSlice(path.join(dir, 'feed.json'), 200);
    owner = await addUser(store.db, 'quinn', 'quant');
  });
  afterAll(async () => {
    await store.drop();
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const jobs = (reports: S3ObjectStore) => folderJobs(store.db, dir, { maxQueued: 5, reports });
  const settled = async (j: BacktestJobs, id: string) =>
    until(async () => {
      const job = await j.find(owner, id);
      return job?.status === 'done' || job?.status === 'failed' ? job : undefined;
    }, 60_000);

  it('writes backtests/<id>/report.json, the stored report to the byte; a rerun finds it there', async () => {
    const bucket = S3ObjectStore.open('s3://kairos-reports/prod', s3.settings);
    const first = jobs(bucket);
    const job = await first.submit(owner, { strategy: 'sma-cross', params: { fast: 3 } }, by);
    expect(await settled(first, job.id)).toMatchObject({ status: 'done' });
    const report = await first.report(owner, job.id);
    const key = `backtests/${job.id}/report.json`;
    expect(Buffer.from(await bucket.get(key)).toString()).toBe(report);
    await first.close();

    // As if the server had stopped between the upload and marking the job done.
    await new BacktestRepository(store.db).markRunning(job.id, 1);
    const second = jobs(bucket);
    expect(await second.resume()).toBe(1);
    expect(await settled(second, job.id)).toMatchObject({ status: 'done' });
    expect(await second.report(owner, job.id)).toBe(report);
    await second.close();
  }, 120_000);

  it('fails the job with the store error when the bucket refuses the report', async () => {
    const missing = S3ObjectStore.open('s3://no-such-bucket', s3.settings);
    const j = jobs(missing);
    const job = await j.submit(owner, { strategy: 'sma-cross' }, by);
    expect(await settled(j, job.id)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining(
        `s3://no-such-bucket/backtests/${job.id}/report.json: the bucket "no-such-bucket" does not exist (at this endpoint)`,
      ),
    });
    await j.close();
  }, 120_000);
});
