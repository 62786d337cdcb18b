import path from 'node:path';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { checkRunOwner, claimVenueFolder } from '../../../src/system/run-owner.js';
import { newOrder } from '../../support/builders.js';
import { DIALECTS, freshStore } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';

describe.each(DIALECTS)('one run per account and strategy on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
    // Account "paper" ran sma-cross on UNITTEST/BTC.
    const o = newOrder({ strategyId: 'sma-cross', instrumentId: 'UNITTEST/BTC' }, 'sma-cross-1');
    await new OrderRepository(store.db, 'paper').insertOrder(o, {
      kind: 'OrderInitialized',
      clientOrderId: o.clientOrderId,
      accountId: 'paper',
      strategyId: 'sma-cross',
      instrumentId: 'UNITTEST/BTC',
      ts: 1,
      order: o,
    });
    await new StrategySnapshotRepository(store.db, 'paper').save('sma-cross', 'sma-cross', {
      ts: 60_000,
      ordersMade: 1,
      state: {},
    });
  });
  afterAll(async () => {
    await store.drop();
  });

  const run = (accountId: string, strategyId: string, instrumentId = 'UNITTEST/BTC') =>
    checkRunOwner(store.db, { accountId, strategyId, instrumentId });

  it('lets the same run resume, and another account run under its own strategy id', async () => {
    await expect(run('paper', 'sma-cross')).resolves.toBeUndefined();
    await expect(run('venue1', 'sma-cross@venue1')).resolves.toBeUndefined();
    // "sma" makes sma-N ids: sma-cross-1 is not one of them.
    await expect(run('venue1', 'sma')).resolves.toBeUndefined();
  });

  it('refuses, in one line naming the clash, a run that would mix two', async () => {
    await expect(run('venue1', 'sma-cross')).rejects.toMatchObject({
      code: 'RUN_CLASH',
      message: expect.stringMatching(/already used by strategy "sma-cross" on account "paper"/),
    });
    // Another strategy id on the same account that makes the same client order ids.
    const o = newOrder({ strategyId: 'a b', instrumentId: 'UNITTEST/BTC' }, 'a_b-1');
    await new OrderRepository(store.db, 'paper').insertOrder(o, {
      kind: 'OrderInitialized',
      clientOrderId: 'a_b-1',
      accountId: 'paper',
      strategyId: 'a b',
      instrumentId: 'UNITTEST/BTC',
      ts: 1,
      order: o,
    });
    await expect(run('paper', 'a_b')).rejects.toThrow(
      /strategy id "a_b" makes client order ids a_b-N, already used by strategy "a b"/,
    );
    await expect(run('paper', 'sma-cross', 'BTC/USDT')).rejects.toThrow(
      /account "paper" already trades UNITTEST\/BTC, not BTC\/USDT: give this run another --account/,
    );
  });

  it('refuses a strategy id whose snapshots are another account’s', async () => {
    await new StrategySnapshotRepository(store.db, 'other').save('lonely', 'x', {
      ts: 1,
      ordersMade: 0,
      state: {},
    });
    await expect(run('venue2', 'lonely')).rejects.toThrow(/already runs on account "other"/);
  });

  it('claims a venue folder for one account', () => {
    const dir = path.join(tempDir('kairos-claim-'), 'a_b');
    claimVenueFolder(dir, 'a/b');
    claimVenueFolder(dir, 'a/b');
    expect(() => claimVenueFolder(dir, 'a_b')).toThrow(/belongs to account "a\/b"/);
  });
});
