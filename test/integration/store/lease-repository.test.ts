import fc from 'fast-check';
import { sql } from 'kysely';
import { LeaseRepository } from '../../../src/store/lease-repository.js';
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
