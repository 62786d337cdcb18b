import { once } from 'node:events';
import net from 'node:net';
import pg from 'pg';
import { LeaseRepository } from '../../../src/store/lease-repository.js';
import { openStore } from '../../../src/store/open-store.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { dropTestSchema, TEST_DATABASE_URL } from '../../support/postgres.js';
import { until } from '../../support/until.js';

/**
 * The drain of `kairos serve` (SIGTERM) on Postgres, held half-way: the test locks the shared
 * account's lease row, so the hand-back waits at its last step (the release) while the server
 * still listens. Meanwhile readiness says `draining` and new orders are refused with
 * `SERVER_DRAINING` and `Retry-After`; once the lock goes, the lease is released (the next owner
 * takes it at once) and the order placed before is stored once, settled.
 */
describe('kairos serve drain (Postgres)', () => {
  const schema = `drain_${process.pid}_${Date.now() % 100_000}`;
  let t: TestServer;
  afterAll(async () => {
    await t?.server.close().catch(() => undefined);
    await dropTestSchema(schema);
  });

  it('readiness 503 draining, new orders 503 SERVER_DRAINING, in-flight settled, lease released', async () => {
    t = await startTestServer({ postgresSchema: schema, speed: 60 });
    const url = t.server.url;
    const post = (key: string) =>
      fetch(`${url}/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${t.token}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify({
          instrumentId: 'BTC/X',
          side: 'BUY',
          type: 'LIMIT',
          quantity: '1',
          price: '0.001',
        }),
      });
    const before = await until(
      async () => {
        const r = await post('before-drain');
        return r.status === 201 || r.status === 200
          ? ((await r.json()) as { clientOrderId: string })
          : false;
      },
      30_000,
      'an order before the drain',
    );
    const lock = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await lock.connect();
    let drained: Promise<void> | undefined;
    try {
      await lock.query('begin');
      await lock.query(`select * from ${schema}.leases where resource = 'account:desk' for update`);
      drained = t.server.drain();
      const ready = await until(
        async () => {
          const r = await fetch(`${url}/health/ready`);
          const body = (await r.json()) as { failed?: string[] };
          return r.status === 503 && body.failed?.includes('draining') ? body : false;
        },
        10_000,
        'readiness failing draining',
      );
      expect(ready.failed).toEqual(['draining']);
      const refused = await post('during-drain');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('2');
      expect(((await refused.json()) as { code: string }).code).toBe('SERVER_DRAINING');
      // The shared account is handed back up to its release, which waits for the lock.
      const locked = await lock.query(
        `select expires_at from ${schema}.leases where resource = 'account:desk'`,
      );
      expect(Number(locked.rows[0].expires_at)).toBeGreaterThan(0);
    } finally {
      await lock.query('commit');
      await lock.end();
    }
    await drained;
    const store = await openStore({ databaseUrl: TEST_DATABASE_URL, schema });
    try {
      const desk = await new LeaseRepository(store.db).holder('account:desk');
      // Released: the next instance's acquire takes it at once.
      expect(desk?.expiresAt).toBe(0);
      const orders = await store.db
        .selectFrom('orders')
        .select(['client_order_id', 'status'])
        .execute();
      expect(orders).toEqual([{ client_order_id: before.clientOrderId, status: 'ACCEPTED' }]);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('cuts a connection still open at the drain bound, so the drain ends and the close with it', async () => {
    // A request whose headers never end: the listener's close would wait for it (Node's own
    // headers timeout is a minute), and `kairos serve` would exit 1 at its hard bound instead of
    // 0. The same for an upgrade that reached the server as its WebSocket server closed.
    const s = await startTestServer({ env: { KAIROS_DRAIN_TIMEOUT_MS: '300' } });
    try {
      const { hostname, port } = new URL(s.server.url);
      const socket = net.connect(Number(port), hostname);
      await once(socket, 'connect');
      const closed = once(socket, 'close');
      socket.write('GET /health HTTP/1.1\r\nHost: kairos\r\n');
      // The server has the connection before the drain begins (it answers another request).
      expect((await fetch(`${s.server.url}/health`)).status).toBe(200);
      await s.server.drain();
      await closed;
      expect(socket.destroyed).toBe(true);
    } finally {
      await s.server.close().catch(() => undefined);
    }
  }, 30_000);
});
