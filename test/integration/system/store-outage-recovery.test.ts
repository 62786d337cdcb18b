import path from 'node:path';
import pg from 'pg';
import { btcInstrument } from '../../support/paper-args.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { dropTestSchema, TEST_DATABASE_URL } from '../../support/postgres.js';
import { endWaitingFencedWrite } from '../../support/ended-write.js';
import { until } from '../../support/until.js';
import { PaperVenue } from '../../../src/trading/venues/paper/paper-venue.js';
import { SHARED_ACCOUNT } from '../../../src/system/trading-accounts.js';

/**
 * A database outage shorter than the lease TTL (issue 16): the write the database does not
 * answer is refused 503 `STORE_UNAVAILABLE` (never sent: write before send); once the database
 * answers again and the lease is still this instance's, the account recovers by itself (its core
 * reopened, recovered and reconciled as on a takeover) and takes orders again. Nothing is lost
 * or doubled: each order accepted is stored once and at the venue once.
 *
 * The outage: the test holds the account's lease row, so the order's fenced journal write waits
 * on it, and ends that write's session (as a database restart or failover does).
 */
describe('an account after a database outage shorter than its lease', () => {
  const schema = `outage_${process.pid}_${Date.now() % 100_000}`;
  let t: TestServer | undefined;
  afterAll(async () => {
    await t?.server.close().catch(() => undefined);
    await dropTestSchema(schema);
  });

  const place = (key: string) =>
    fetch(`${t!.server.url}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${t!.token}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      // Rests at the venue (far below the market): each order stays there, once.
      body: JSON.stringify({
        instrumentId: 'BTC/X',
        side: 'BUY',
        type: 'LIMIT',
        price: '1',
        quantity: '0.01',
      }),
    });

  it('refuses orders while the store is away, then recovers by itself; nothing lost or doubled', async () => {
    t = await startTestServer({ postgresSchema: schema, env: { KAIROS_LEASE_TTL_MS: '3000' } });
    const ids: string[] = [];
    for (const key of ['before-1', 'before-2']) {
      const r = await place(key);
      expect(r.status).toBe(201);
      ids.push(((await r.json()) as { clientOrderId: string }).clientOrderId);
    }

    const during = await endWaitingFencedWrite(schema, 'account:desk', () => place('during'));
    expect([during.status, ((await during.json()) as { code: string }).code]).toEqual([
      503,
      'STORE_UNAVAILABLE',
    ]);
    expect(during.headers.get('retry-after')).not.toBeNull();

    // The database answers again and the lease is still held: the account takes orders again
    // without being reopened by anyone (the client retries on 503, as Retry-After says).
    const after = await until(
      async () => {
        const r = await place('after');
        if (r.status === 201) return r;
        expect(r.status).toBe(503);
        return false;
      },
      30_000,
      'an order accepted after the outage',
    );
    ids.push(((await after.json()) as { clientOrderId: string }).clientOrderId);
    // The order refused during the outage, retried with its key, is accepted now (once).
    const retried = await place('during');
    expect(retried.status).toBe(201);
    ids.push(((await retried.json()) as { clientOrderId: string }).clientOrderId);
    expect(t.logs.some((l) => l.includes('account recovered after a store outage'))).toBe(true);

    // Every accepted order reaches the venue (the paper venue acknowledges each).
    let last = '';
    for (const id of ids)
      await until(
        async () => {
          const r = await fetch(`${t!.server.url}/orders/${id}`, {
            headers: { authorization: `Bearer ${t!.token}` },
          });
          last = JSON.stringify(await r.json());
          return last.includes('"status":"ACCEPTED"');
        },
        20_000,
        `order ${id} accepted at the venue`,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; last answer ${last}; ids ${ids.join(',')}`);
      });
    await t.server.close();

    // Stored once each, submitted once each; at the venue once each, nothing else there.
    const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    try {
      const orders = await db.query(
        `select client_order_id as id from ${schema}.orders order by client_order_id`,
      );
      expect(orders.rows.map((r: { id: string }) => r.id)).toEqual([...ids].sort());
      const submitted = await db.query(
        `select client_order_id as id from ${schema}.order_events where kind = 'OrderSubmitted' order by client_order_id`,
      );
      expect(submitted.rows.map((r: { id: string }) => r.id)).toEqual([...ids].sort());
    } finally {
      await db.end();
    }
    const venue = new PaperVenue(
      path.join(t.home, 'paper', SHARED_ACCOUNT, 'venue.json'),
      { venue: 'PAPER', instruments: [btcInstrument()] },
      () => undefined,
    ).state();
    expect(venue.duplicatesRefused ?? 0).toBe(0);
    expect(venue.working.map((w) => w.order.clientOrderId).sort()).toEqual([...ids].sort());
  }, 120_000);
});
