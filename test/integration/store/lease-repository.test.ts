import fc from 'fast-check';
import { sql } from 'kysely';
import { LeaseRepository, type Lease } from '../../../src/store/lease-repository.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { DIALECTS, freshStore } from '../../support/stores.js';
import { until } from '../../support/until.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import type { Order } from '../../../src/trading/model/order.js';
import { newOrder } from '../../support/builders.js';

const anOrder = (id: string): Order => newOrder({ accountId: 'f' }, id);
const initialized = (order: Order): OrderEvent => ({
  kind: 'OrderInitialized',
  clientOrderId: order.clientOrderId,
  accountId: order.accountId,
  strategyId: order.strategyId,
  instrumentId: order.instrumentId,
  ts: 1,
  order,
});

describe.each(DIALECTS)('leases with fencing tokens on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  let leases: LeaseRepository;
  beforeAll(async () => {
    store = await freshStore(dialect);
    leases = new LeaseRepository(store.db);
  }, 120_000);
  afterAll(async () => {
    await store.drop();
  });
  /** Ends a lease as if its TTL passed (the database's clock is not ours to move). */
  const expire = async (resource: string) =>
    sql`update leases set expires_at = 1 where resource = ${resource}`.execute(store.db);

  it('one owner at a time; a takeover after expiry or release gets the next token', async () => {
    const a = await leases.acquire('account:a', 'i1', 60_000);
    expect(a).toMatchObject({ resource: 'account:a', owner: 'i1', token: 1 });
    expect(await leases.acquire('account:a', 'i2', 60_000)).toBeNull();
    // The holder renews (acquire again or renew): the same token.
    expect((await leases.acquire('account:a', 'i1', 60_000))!.token).toBe(1);
    expect((await leases.renew(a!, 60_000))!.token).toBe(1);
    await expire('account:a');
    expect(await leases.renew(a!, 60_000)).toBeNull();
    const b = await leases.acquire('account:a', 'i2', 60_000);
    expect(b).toMatchObject({ owner: 'i2', token: 2 });
    await leases.release(b!);
    const c = await leases.acquire('account:a', 'i1', 60_000);
    expect(c).toMatchObject({ owner: 'i1', token: 3 });
    // An old holder's release changes nothing.
    await leases.release(a!);
    expect(await leases.holder('account:a')).toMatchObject({ owner: 'i1', token: 3 });
  });

  it('a write of a lost lease is refused in its own transaction: nothing of it is stored', async () => {
    const held = (await leases.acquire('account:f', 'i1', 60_000))!;
    const orders = new OrderRepository(store.db, 'f', () => 1, leases.fence(held));
    const first = anOrder('f-1');
    await orders.insertOrder(first, initialized(first));
    await expire('account:f');
    const second = anOrder('f-2');
    await expect(orders.insertOrder(second, initialized(second))).rejects.toMatchObject({
      code: 'LEASE_LOST',
    });
    // The new owner's token works; the old one stays refused even before anyone takes over.
    const taken = (await leases.acquire('account:f', 'i2', 60_000))!;
    const theirs = new OrderRepository(store.db, 'f', () => 1, leases.fence(taken));
    await theirs.insertOrder(second, initialized(second));
    await expect(
      orders.commitBatch([{ after: anOrder('f-3'), event: initialized(anOrder('f-3')) }]),
    ).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect((await theirs.ordersSince(Number.MIN_SAFE_INTEGER)).map((o) => o.clientOrderId)).toEqual(
      ['f-1', 'f-2'],
    );
  });

  it('tokens only grow, whatever the sequence of acquires, renewals, releases and expiries', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.constantFrom('acquire', 'release', 'expire'),
            fc.constantFrom('i1', 'i2', 'i3'),
          ),
          { minLength: 1, maxLength: 12 },
        ),
        async (steps) => {
          const resource = `prop:${n++}`;
          let last = 0;
          let held: Awaited<ReturnType<LeaseRepository['acquire']>> = null;
          for (const [step, owner] of steps) {
            if (step === 'acquire') {
              const got = await leases.acquire(resource, owner, 60_000);
              if (got) {
                expect(got.token).toBeGreaterThanOrEqual(last);
                // A new owner always comes with a new token.
                if (held && got.owner !== held.owner) expect(got.token).toBeGreaterThan(held.token);
                held = got;
                last = got.token;
              } else {
                // Refused only while another owner holds it, unexpired.
                const h = await leases.holder(resource);
                expect(h!.owner).not.toBe(owner);
              }
            } else if (step === 'release' && held) {
              await leases.release(held);
            } else if (step === 'expire') {
              await expire(resource);
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('a lease that is not renewed ends by itself on the database clock', async () => {
    const short = (await leases.acquire('account:t', 'i1', 300))!;
    await until(
      async () => (await leases.acquire('account:t', 'i2', 60_000)) !== null,
      10_000,
      'the lease to end',
    );
    expect(await leases.holder('account:t')).toMatchObject({ owner: 'i2', token: short.token + 1 });
  });
});

/**
 * A write in flight (its fence holds the lease row) held up elsewhere: under SIGSTOP, another
 * session's lock on the audit chain's head held every instance's order writes for up to 10 s,
 * and their own renewals waited behind them, so leases ran out under live owners (the failover
 * test's ping-pong). Two sessions, so Postgres only.
 */
describe('a write in flight on Postgres', () => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  let leases: LeaseRepository;
  beforeAll(async () => {
    store = await freshStore('postgres');
    leases = new LeaseRepository(store.db);
  }, 120_000);
  afterAll(async () => {
    await store.drop();
  });

  /** Runs the fence of `held` in a transaction left open until `end` is called. */
  async function writeInFlight(held: Lease) {
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    let fenced!: () => void;
    const inFence = new Promise<void>((r) => (fenced = r));
    const tx = store.db.transaction().execute(async (t) => {
      await leases.fence(held)(t);
      fenced();
      await ended;
    });
    await inFence;
    return { end: async () => (end(), await tx) };
  }

  it('does not hold the owner’s renewal, and holds a takeover until it ends', async () => {
    const held = (await leases.acquire('account:w', 'i1', 60_000))!;
    const write = await writeInFlight(held);
    try {
      // The renewal goes through while the write waits (it used to wait with it).
      let timer: NodeJS.Timeout | undefined;
      const renewed = await Promise.race([
        leases.renew(held, 60_000),
        new Promise((r) => (timer = setTimeout(() => r('held'), 5_000))),
      ]).finally(() => clearTimeout(timer));
      expect(renewed).toMatchObject({ owner: 'i1', token: held.token });
      // Expired meanwhile (as after a pause): a takeover waits for the write to end.
      await sql`update leases set expires_at = 1 where resource = 'account:w'`.execute(store.db);
      let taken: Lease | null | undefined;
      const takeover = leases.acquire('account:w', 'i2', 60_000).then((l) => (taken = l));
      await until(
        async () =>
          (
            await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
              where wait_event_type = 'Lock' and query like '%from leases%for update%'`.execute(
              store.db,
            )
          ).rows[0]!.n > 0,
        20_000,
        'the takeover waiting on the write',
      );
      expect(taken).toBeUndefined();
      await write.end();
      await takeover;
      expect(taken).toMatchObject({ owner: 'i2', token: held.token + 1 });
    } finally {
      await write.end().catch(() => undefined);
    }
  });
});
