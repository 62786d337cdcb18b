import { LeaseRepository } from '../../../src/store/lease-repository.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { newOrder } from '../../support/builders.js';
import { spawnScript } from '../../support/spawn-script.js';
import { freshStore } from '../../support/stores.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';
import { until } from '../../support/until.js';

/**
 * A paused owner (SIGSTOP past its lease, then SIGCONT) writes nothing after another instance
 * took its lease over: every write of the old token is refused by the store, in its own
 * transaction, and its keeper says so.
 */
describe('fencing a paused lease owner (Postgres)', () => {
  it('after SIGSTOP past the TTL and a takeover, the old owner writes nothing more', async () => {
    const store = await freshStore('postgres');
    const { child } = spawnScript('test/support/lease-holder.ts', [
      TEST_DATABASE_URL,
      store.schema!,
      'account:fenced',
      '600',
    ]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += String(d)));
    try {
      await until(() => /wrote h-5\n/.test(out), 60_000, 'the holder writing');
      child.kill('SIGSTOP');
      const stoppedAt = out.length;
      // Another instance takes the lease once it runs out (or once the server ended a transaction
      // the paused owner left open), and writes with its new token.
      const leases = new LeaseRepository(store.db);
      const taken = await until(
        () => leases.acquire('account:fenced', 'successor', 60_000).then((l) => l ?? false),
        60_000,
        'the takeover',
      );
      expect(taken.token).toBe(2);
      const mine = new OrderRepository(store.db, 'fenced', Date.now, leases.fence(taken));
      const order = newOrder({ accountId: 'fenced' }, 'successor-1');
      await mine.insertOrder(order, {
        kind: 'OrderInitialized',
        clientOrderId: 'successor-1',
        accountId: 'fenced',
        strategyId: 's',
        instrumentId: 'TEST/USD',
        ts: 1,
        order,
      });
      child.kill('SIGCONT');
      await until(
        () => /refused h-\d+ LEASE_LOST\n/.test(out.slice(stoppedAt)) && /lost taken\n/.test(out),
        60_000,
        'the old owner to be refused and to notice',
      );
      const wrote = [...out.matchAll(/^wrote (h-\d+)$/gm)].map((m) => m[1]!);
      // Once refused, never written again: the old token stays stale.
      const refused = out.search(/^refused h-\d+ LEASE_LOST$/m);
      expect(out.slice(refused)).not.toMatch(/^wrote /m);
      // The store holds exactly what the old owner committed before the takeover, and the
      // successor's order (a write the takeover had to wait for counts as before it).
      const stored = (await mine.ordersSince(Number.MIN_SAFE_INTEGER)).map((o) => o.clientOrderId);
      expect(stored.sort()).toEqual([...wrote, 'successor-1'].sort());
    } finally {
      child.kill('SIGKILL');
      await store.drop();
    }
  }, 180_000);
});
