// A process that owns one lease and writes an order every 20 ms through a fenced repository,
// printing what happened to each: the paused-owner test (lease-fencing.test.ts) stops and
// continues it. Args: database URL, schema, resource, TTL ms.
import { LeaseKeeper } from '../../src/scalability/leases/lease-keeper.js';
import { LeaseRepository } from '../../src/store/lease-repository.js';
import { openStore } from '../../src/store/open-store.js';
import { OrderRepository } from '../../src/store/order-repository.js';
import { newOrder } from './builders.js';

const [url, schema, resource, ttl] = process.argv.slice(2) as [string, string, string, string];
const store = await openStore({ databaseUrl: url, schema });
const leases = new LeaseRepository(store.db);
const keeper = new LeaseKeeper({
  leases,
  resource,
  owner: `holder-${process.pid}`,
  ttlMs: Number(ttl),
  onLost: (why) => console.log(`lost ${why}`),
});
const held = await keeper.start();
if (!held) throw new Error('the lease is taken');
console.log(`held ${held.token}`);
const orders = new OrderRepository(store.db, 'fenced', Date.now, leases.fence(held));
for (let n = 0; ; n++) {
  const id = `h-${n}`;
  const order = newOrder({ accountId: 'fenced' }, id);
  const ids = { clientOrderId: id, accountId: 'fenced', strategyId: 's', instrumentId: 'TEST/USD' };
  try {
    await orders.insertOrder(order, { kind: 'OrderInitialized', ...ids, ts: 1, order });
    console.log(`wrote ${id}`);
  } catch (e) {
    console.log(`refused ${id} ${(e as { code?: string }).code ?? (e as Error).message}`);
  }
  await new Promise((r) => setTimeout(r, 20));
}
