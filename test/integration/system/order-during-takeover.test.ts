import pg from 'pg';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { dropTestSchema, TEST_DATABASE_URL } from '../../support/postgres.js';
import { endWaitingFencedWrite } from '../../support/ended-write.js';

/**
 * Found by the failover test (issue 16): an order whose journal write failed because its owner's
 * session was ended (a paused owner past the idle-in-transaction timeout) while its lease was
 * taken was answered 500 `INTERNAL`. It is the lease's loss: 503 `LEASE_LOST` with `Retry-After`,
 * so the client retries with the same key and reaches the new owner.
 *
 * Here: the test holds the shared account's lease row, so the order's fenced journal write waits
 * on it; meanwhile it hands the lease to another owner in its own transaction and ends the
 * waiting session (as Postgres ends an idle one), then commits.
 */
describe('an order whose owner loses its lease during the write (Postgres)', () => {
  const schemas: string[] = [];
  let schema = '';
  let t: TestServer | undefined;
  /** A server of its own, on a schema of its own (the one before is closed). */
  const start = async () => {
    await t?.server.close().catch(() => undefined);
    schema = `takeover_${process.pid}_${Date.now() % 100_000}_${schemas.length}`;
    schemas.push(schema);
    t = await startTestServer({ postgresSchema: schema });
  };
  afterAll(async () => {
    await t?.server.close().catch(() => undefined);
    for (const s of schemas) await dropTestSchema(s);
  });

  /**
   * Places an order whose fenced journal write waits on the lease row this test holds; then
   * (`takeOver`) hands the lease to another owner, ends the waiting session (as Postgres ends
   * an idle one, or an operator or a failover does) and commits. Answers the order's answer.
   */
  async function placeWhileEnded(key: string, takeOver: boolean) {
    const r = await endWaitingFencedWrite(
      schema,
      'account:desk',
      () =>
        fetch(`${t!.server.url}/orders`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${t!.token}`,
            'content-type': 'application/json',
            'idempotency-key': key,
          },
          // Never stored (its write is ended), so never filled either.
          body: JSON.stringify({
            instrumentId: 'BTC/X',
            side: 'SELL',
            type: 'MARKET',
            quantity: '1',
          }),
        }),
      takeOver
        ? (lock) =>
            lock.query(
              `update ${schema}.leases set owner = 'new-owner', token = token + 1 where resource = 'account:desk'`,
            )
        : undefined,
    );
    const body = (await r.json()) as { code: string };
    const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    try {
      const stored = await db.query(`select count(*)::int as n from ${schema}.orders`);
      return {
        status: r.status,
        code: body.code,
        retryAfter: r.headers.get('retry-after'),
        stored: stored.rows[0].n as number,
      };
    } finally {
      await db.end();
    }
  }

  /** The shared account's lease row: its owner, and whether it was released (`expires_at = 0`). */
  async function lease() {
    const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    try {
      const r = await db.query(
        `select owner, expires_at from ${schema}.leases where resource = 'account:desk'`,
      );
      return { owner: r.rows[0].owner as string, released: Number(r.rows[0].expires_at) === 0 };
    } finally {
      await db.end();
    }
  }

  it('is answered 503 LEASE_LOST with Retry-After, never 500 INTERNAL; nothing stored', async () => {
    await start();
    const r = await placeWhileEnded('during-takeover', true);
    expect([r.status, r.code]).toEqual([503, 'LEASE_LOST']);
    expect(r.retryAfter).toBe('1');
    expect(r.stored).toBe(0);
    // The server's close goes through although its core's journal failed, and leaves the lease
    // to its new owner (it used to reject there and skip its stops: the lease keeper and the
    // ownership rounds went on renewing after the close, on a store left open).
    await expect(t!.server.close()).resolves.toBeUndefined();
    expect(await lease()).toEqual({ owner: 'new-owner', released: false });
  }, 120_000);

  // The database ends the write's session while the lease is still held (an outage, a failover
  // of the database): the order is refused as the store being away, not as an internal error.
  it('is answered 503 STORE_UNAVAILABLE when the database ends the write and the lease is still held', async () => {
    await start();
    const r = await placeWhileEnded('during-outage', false);
    expect([r.status, r.code]).toEqual([503, 'STORE_UNAVAILABLE']);
    expect(r.stored).toBe(0);
    // Closed, the server hands its lease back (its keeper stopped: released, not left to expire)
    // although the core's journal holds the store's failure.
    await expect(t!.server.close()).resolves.toBeUndefined();
    expect(await lease()).toEqual({ owner: t!.server.instanceId, released: true });
  }, 120_000);
});
