import { BacktestRepository } from '../../../src/store/backtest-repository.js';
import type { Store } from '../../../src/store/open-store.js';
import { StrategyDeploymentRepository } from '../../../src/store/strategy-deployment-repository.js';
import { DIALECTS, freshStore } from '../../support/stores.js';
import { addUser } from '../../support/strategy-catalog.js';

describe.each(DIALECTS)('backtest jobs and strategy deployments (%s)', (dialect) => {
  let store: Store & { drop(): Promise<void> };
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    store = await freshStore(dialect);
    alice = await addUser(store.db, 'alice', 'quant');
    bob = await addUser(store.db, 'bob', 'quant');
  });
  afterAll(async () => {
    await store?.drop();
  });

  it('keeps a job through queued, running and done, with the report text byte for byte', async () => {
    const jobs = new BacktestRepository(store.db);
    const request = { strategy: 'sma-cross', params: { fast: 5 }, cash: '100000' };
    const made = await jobs.create({
      id: 'j1',
      ownerUserId: alice,
      strategy: 'sma-cross',
      request,
      createdAt: 100,
    });
    expect(made).toMatchObject({ status: 'queued', request, startedAt: null, finishedAt: null });
    await jobs.markRunning('j1', 110);
    expect(await jobs.unfinished()).toEqual([
      expect.objectContaining({ id: 'j1', startedAt: 110 }),
    ]);
    // Keys out of jsonb's order, and numbers jsonb would rewrite: kept as written.
    const text = '{\n "zeta": 1,\n "alpha": 1e-7,\n "mid": 0.10\n}\n';
    await jobs.markDone('j1', text, 120);
    expect(await jobs.report(alice, 'j1')).toBe(text);
    expect(await jobs.find(alice, 'j1')).toMatchObject({ status: 'done', finishedAt: 120 });
    expect(await jobs.unfinished()).toEqual([]);
    // Another owner finds nothing.
    expect(await jobs.find(bob, 'j1')).toBeNull();
    expect(await jobs.report(bob, 'j1')).toBeNull();

    await jobs.create({ id: 'j0', ownerUserId: alice, strategy: 'x', request: {}, createdAt: 100 });
    await jobs.markFailed('j0', 'boom', 130);
    expect(await jobs.find(alice, 'j0')).toMatchObject({ status: 'failed', error: 'boom' });
  });

  it('pages an owner’s jobs newest first with a cursor', async () => {
    const jobs = new BacktestRepository(store.db);
    for (const [id, ts] of [
      ['p1', 200],
      ['p2', 300],
      ['p3', 300],
      ['p4', 400],
    ] as const)
      await jobs.create({ id, ownerUserId: bob, strategy: 's', request: {}, createdAt: ts });
    const first = await jobs.page(bob, { limit: 2 });
    expect(first.jobs.map((j) => j.id)).toEqual(['p4', 'p3']);
    const second = await jobs.page(bob, { limit: 2, before: first.next! });
    expect(second.jobs.map((j) => j.id)).toEqual(['p2', 'p1']);
    expect(second.next).toBeNull();
    await expect(jobs.page(bob, { limit: 2, before: 'nope' })).rejects.toMatchObject({
      code: 'CURSOR_INVALID',
    });
  });

  it('refuses a status outside queued, running, done, failed', async () => {
    await expect(
      store.db
        .insertInto('backtest_runs')
        .values({
          id: 'bad',
          owner_user_id: alice,
          strategy_id: 's',
          status: 'paused',
          params: '{}',
          report: null,
          error: null,
          created_at: 1,
          started_at: null,
          finished_at: null,
        })
        .execute(),
    ).rejects.toThrow(/backtest_runs_status/);
  });

  it('keeps deployments: running until ended once; listed by owner, or every running one', async () => {
    const deployments = new StrategyDeploymentRepository(store.db);
    const base = { name: 'sma-cross', codeSha256: 'a'.repeat(64), params: { fast: 5 } };
    await deployments.create({ ...base, id: 'd1', ownerUserId: alice, startedAt: 10 });
    await deployments.create({ ...base, id: 'd2', ownerUserId: bob, startedAt: 20 });
    expect((await deployments.list(null)).map((d) => d.id)).toEqual(['d1', 'd2']);
    expect(await deployments.end('d1', 'stopped', null, 30)).toBe(true);
    expect(await deployments.end('d1', 'failed', 'late', 40)).toBe(false);
    expect(await deployments.find('d1')).toMatchObject({
      status: 'stopped',
      error: null,
      stoppedAt: 30,
      params: { fast: 5 },
    });
    expect((await deployments.list(alice)).map((d) => d.id)).toEqual(['d1']);
    expect((await deployments.list(null)).map((d) => d.id)).toEqual(['d2']);
  });
});
