import pg from 'pg';
import { GENESIS_HASH } from '../../../src/security/audit/chain.js';
import { firstBreak } from '../../../src/security/audit/first-break.js';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import { LeaseRepository, type Lease } from '../../../src/store/lease-repository.js';
import { openStore, type Store } from '../../../src/store/open-store.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { applyOrderEvent } from '../../../src/trading/model/apply-order-event.js';
import type { Order } from '../../../src/trading/model/order.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { newOrder } from '../../support/builders.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';
import { until } from '../../support/until.js';

/** An order's entry as the journal commits it: initialized and submitted. */
function entry(accountId: string, id: string): { after: Order; event: OrderEvent }[] {
  const o = newOrder({ accountId }, id);
  const ids = { clientOrderId: id, accountId, strategyId: 's', instrumentId: 'TEST/USD' };
  const submitted: OrderEvent = { kind: 'OrderSubmitted', ...ids, ts: 2 };
  return [
    { after: o, event: { kind: 'OrderInitialized', ...ids, ts: 1, order: o } },
    { after: applyOrderEvent(o, submitted), event: submitted },
  ];
}

/** Settles with the promise's outcome, or with 'pending' once `ms` pass (no fixed sleep: a race). */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const ACCOUNTS = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
const POOL = 3;

/**
 * One instance trades several accounts, each with its order journal, on one pool of a few
 * connections; every journal commit moves the audit chain's one head (`audit_head`). Under load
 * (the cluster benchmark, 8 accounts) their commits ran at once: all but one found the head
 * moved, took the locked path, and waited for the head's row lock in the database, each holding
 * a pool connection, so the instance's lease renewals and reads found no connection (leases lost
 * under load), and a process that stalled with the lock held left its sessions idle in their
 * transactions (ended at 10 s: 25P03). The journals of one store now extend the chain in turn.
 */
describe('order journals of several accounts on a pool of a few connections (Postgres)', () => {
  const schema = `kairos_test_turn_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const app = `kairos-turn-${process.pid}`;
  const url = (() => {
    const u = new URL(TEST_DATABASE_URL);
    u.searchParams.set('application_name', app);
    return u.toString();
  })();
  let store: Store;
  let admin: pg.Client;
  beforeAll(async () => {
    store = await openStore({ databaseUrl: url, schema, poolSize: POOL });
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await admin?.query(`drop schema if exists ${schema} cascade`);
    await admin?.end();
  });

  /** The store's sessions: their state, and whether each waits for a lock. */
  const sessions = async () =>
    (
      await admin.query<{ state: string; waiting: boolean }>(
        `select state, wait_event_type = 'Lock' as waiting
         from pg_stat_activity where application_name = $1`,
        [app],
      )
    ).rows;
  const waiting = async () => (await sessions()).filter((s) => s.waiting).length;

  /** Another instance's write in flight: a session (not the store's) holding the head's lock. */
  const holdHead = async () => {
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    await other.query(`set search_path to ${schema}`);
    await other.query('begin');
    await other.query('select seq from audit_head where id = 1 for update');
    return {
      release: async () => {
        await other.query('rollback');
        await other.end();
      },
    };
  };

  it('a commit waits for the chain in the process, not on a connection: reads and renewals go on, every order ends committed', async () => {
    const leases = new LeaseRepository(store.db);
    const held: Lease[] = [];
    const journals: OrderRepository[] = [];
    for (const a of ACCOUNTS) {
      const lease = (await leases.acquire(`account:${a}`, 'i1', 60_000))!;
      held.push(lease);
      const repo = new OrderRepository(store.db, a, Date.now, leases.fence(lease));
      journals.push(repo);
      await repo.commitBatch(entry(a, `${a}-0`)); // the chain's head is now known
    }

    // Another instance holds the head (its write in flight): every commit here must wait.
    const other = await holdHead();
    const commits = journals.map((repo, i) =>
      repo.commitBatch(entry(ACCOUNTS[i]!, `${ACCOUNTS[i]}-1`)).then(
        () => 'committed',
        (e: unknown) => e,
      ),
    );
    try {
      await until(async () => (await waiting()) > 0, 10_000, 'a commit waiting for the head');
      // The pool still serves: a read, and a renewal of each lease (its TTL is what keeps the
      // accounts here), while the commits wait for the head.
      expect(
        await within(store.db.selectFrom('orders').select('client_order_id').execute(), 5_000),
      ).not.toBe('pending');
      for (const lease of held) {
        const renewed = await within(leases.renew(lease, 60_000), 5_000);
        expect(renewed).toMatchObject({ resource: lease.resource, token: lease.token });
      }
      // One connection waits in the database for the head; the other commits wait their turn.
      expect(await waiting()).toBe(1);
    } finally {
      await other.release();
    }

    expect(await Promise.all(commits)).toEqual(ACCOUNTS.map(() => 'committed'));
    for (const [i, repo] of journals.entries()) {
      expect((await repo.order(`${ACCOUNTS[i]}-1`))?.status).toBe('SUBMITTED');
    }
    const rows = await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER);
    expect(rows).toHaveLength(ACCOUNTS.length * 4);
    expect(
      firstBreak(
        rows.map((record) => ({ ok: true, record })),
        { firstSeq: 1, anchorHash: GENESIS_HASH, count: rows.length, lastHash: rows.at(-1)!.hash },
      ),
    ).toBeNull();
    // Nothing is left open: no session of the store idles in a transaction.
    expect((await sessions()).filter((s) => s.state.startsWith('idle in transaction'))).toEqual([]);
  }, 60_000);

  it('lease renewals have connections of their own: a renewal goes through while every pool connection waits', async () => {
    const leases = new LeaseRepository(store.db, store.leaseDb);
    const lease = (await leases.acquire('account:r1', 'i1', 60_000))!;
    const other = await holdHead();
    // Every connection of the pool taken by a transaction that waits for the head.
    const held = Array.from({ length: POOL }, () =>
      store.db
        .transaction()
        .execute((tx) =>
          tx.selectFrom('audit_head').select('seq').where('id', '=', 1).forUpdate().execute(),
        ),
    );
    try {
      await until(async () => (await waiting()) === POOL, 10_000, 'every connection waiting');
      expect(await within(leases.renew(lease, 60_000), 5_000)).toMatchObject({
        resource: 'account:r1',
        token: lease.token,
      });
    } finally {
      await other.release();
    }
    await Promise.all(held);
  }, 60_000);

  it('a burst of commits from every account on the small pool: all committed, no session idle in a transaction meanwhile', async () => {
    const leases = new LeaseRepository(store.db);
    const journals = await Promise.all(
      ACCOUNTS.map(async (a) => {
        const lease = (await leases.acquire(`account:${a}`, 'i1', 60_000))!;
        return new OrderRepository(store.db, a, Date.now, leases.fence(lease));
      }),
    );
    let idleSeen = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        idleSeen += (await sessions()).filter((s) => s.state === 'idle in transaction').length;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const outcomes = await Promise.all(
      journals.flatMap((repo, i) =>
        Array.from({ length: 10 }, (_, k) =>
          repo.commitBatch(entry(ACCOUNTS[i]!, `${ACCOUNTS[i]}-b${k}`)).then(
            () => 'committed',
            (e: unknown) => e,
          ),
        ),
      ),
    );
    polling = false;
    await poll;
    expect(outcomes.filter((o) => o !== 'committed')).toEqual([]);
    // Each commit is one statement when the process knows the head: nothing holds a
    // transaction open between statements.
    expect(idleSeen).toBe(0);
  }, 60_000);
});
