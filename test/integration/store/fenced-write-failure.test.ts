import pg from 'pg';
import { sql } from 'kysely';
import { fencedTransaction, LeaseRepository } from '../../../src/store/lease-repository.js';
import { freshStore } from '../../support/stores.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';
import { until } from '../../support/until.js';

/**
 * Found by the failover test (issue 16): an owner paused (SIGSTOP) in the middle of a journal
 * write past its lease TTL had that session ended by Postgres (idle in transaction) and the
 * lease taken; on SIGCONT the write failed with a connection error, which the server took for a
 * store failure and stopped on ("trading core failed"), instead of the lease loss it is.
 */
describe('a fenced write that fails (Postgres)', () => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  let leases: LeaseRepository;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  beforeAll(async () => {
    store = await freshStore('postgres');
    leases = new LeaseRepository(store.db);
    await admin.connect();
  }, 120_000);
  afterAll(async () => {
    await admin.end();
    await store.drop();
  });

  /** Runs a fenced transaction for `owner`'s lease whose session is ended half-way; `meanwhile` runs then. */
  const endedHalfWay = async (resource: string, meanwhile: () => Promise<void>) => {
    const held = (await leases.acquire(resource, 'paused', 60_000))!;
    return fencedTransaction(store.db, leases.fence(held), async (tx) => {
      const r = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
      const pid = r.rows[0]!.pid;
      await admin.query('select pg_terminate_backend($1)', [pid]);
      // Gone (the signal is asynchronous: a query sent before could still be answered).
      await until(
        async () =>
          (await admin.query('select 1 from pg_stat_activity where pid = $1', [pid])).rowCount ===
          0,
        10_000,
        'the session ended',
      );
      await meanwhile();
      await sql`select 1`.execute(tx);
    });
  };

  it('is LEASE_LOST (the connection error its cause) when the lease was taken meanwhile', async () => {
    const resource = 'account:fenced-lost';
    const failed = await endedHalfWay(resource, async () => {
      // The row lock of the fence goes with the session: the new owner takes the lease.
      await sql`update leases set expires_at = 1 where resource = ${resource}`.execute(store.db);
      await until(() => leases.acquire(resource, 'new-owner', 60_000), 10_000, 'the takeover');
    }).catch((e: unknown) => e as Error & { code?: string; cause?: unknown });
    expect(failed).toMatchObject({ code: 'LEASE_LOST' });
    expect((failed as Error).cause).toBeInstanceOf(Error);
    expect((failed as Error).cause).not.toMatchObject({ code: 'LEASE_LOST' });
  });

  it('is the store error itself while the lease still holds', async () => {
    const failed = await endedHalfWay('account:fenced-held', async () => undefined).catch(
      (e: unknown) => e as Error & { code?: string },
    );
    expect(failed).toBeInstanceOf(Error);
    expect(failed).not.toMatchObject({ code: 'LEASE_LOST' });
  });
});
