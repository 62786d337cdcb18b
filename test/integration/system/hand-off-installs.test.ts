import { randomBytes } from 'node:crypto';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { dropTestSchema } from '../../support/postgres.js';
import { TestOwnership } from '../../support/test-ownership.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from '../scalability/services.js';
import { SHARED_ACCOUNT } from '../../../src/system/trading-accounts.js';
import { makeInstrument } from '../../../src/trading/model/instrument.js';

/**
 * Found by the failover test (`test/e2e/serve-instances.test.ts`, one loaded run of the whole
 * suite): an order on `desk` sent to an instance while the desk's owner was dead and its takeover
 * not done was answered 422 `UNKNOWN_INSTRUMENT` for a valid instrument. The hand-off's command
 * stream was named by the account alone (`<prefix>cmd:desk`), and every install has a `desk`: an
 * install of another test on the same Redis, under the same (default) prefix, read the command
 * and ran it on its own desk, which trades another instrument (had it traded the same one, the
 * order would have been placed, and stored, in the other install).
 *
 * Here: X and Y are two installs (two database schemas) on one Redis under one prefix. Y owns its
 * desk (instrument ETH/X) and serves its commands; X's desk (BTC/X) has no owner answering (its
 * owner died, the takeover is not done). An order on X's desk waits for X's owner only: 503
 * `ACCOUNT_OWNER_UNAVAILABLE` with `Retry-After`, nothing run in Y; once X has an owner again
 * (a second instance of X takes the desk), the same order is handed to it and placed there.
 */
describe('the order hand-off of two installs on one Redis under one prefix (Postgres, Redis)', () => {
  const tag = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const schemaX = `kairos_inst_x_${tag}`;
  const schemaY = `kairos_inst_y_${tag}`;
  const prefix = uniquePrefix();
  const env = { REDIS_URL: TEST_REDIS_URL, KAIROS_REDIS_PREFIX: prefix };
  let x: TestServer;
  let x2: TestServer;
  let y: TestServer;

  beforeAll(async () => {
    // Y: another install, whose desk trades ETH/X; it owns (and serves) every account of its own.
    y = await startTestServer({
      postgresSchema: schemaY,
      env,
      ownership: new TestOwnership(true),
      instrument: makeInstrument({
        id: 'ETH/X',
        base: 'ETH',
        quote: 'X',
        tickSize: '0.00000001',
        lotSize: '0.001',
      }),
    });
    // X: its desk's owner is gone (this instance owns nothing; the takeover is not done).
    x = await startTestServer({
      postgresSchema: schemaX,
      env,
      ownership: new TestOwnership(),
      handOff: { waitMs: 1_000 },
    });
  }, 120_000);
  afterAll(async () => {
    for (const s of [x2, x, y]) await s?.server.close().catch(() => undefined);
    await dropTestSchema(schemaX);
    await dropTestSchema(schemaY);
    await (await testRedis(prefix)).cleanup();
  });

  const place = (on: TestServer, key: string) =>
    apiCall(on.server.url, 'POST', '/orders', {
      token: x.token,
      headers: { 'idempotency-key': key },
      body: {
        accountId: SHARED_ACCOUNT,
        instrumentId: 'BTC/X',
        side: 'BUY',
        type: 'LIMIT',
        price: '1',
        quantity: '0.01',
      },
    });

  it("waits for its own install's owner only: 503 ACCOUNT_OWNER_UNAVAILABLE, never the other's answer", async () => {
    const r = await place(x, 'during-takeover');
    expect([r.status, r.json.code]).toEqual([503, 'ACCOUNT_OWNER_UNAVAILABLE']);
    expect(r.headers['retry-after']).toBe('1');
    // Nothing of it ran in Y: no order on its desk, no command under the request's id.
    expect(y.server.accountCore(SHARED_ACCOUNT)!.exec.openOrders()).toEqual([]);
    const requestId = r.headers['x-request-id']!;
    expect(y.logs.some((l) => l.includes(requestId))).toBe(false);
  }, 60_000);

  it('is handed to the owner of its own install once there is one, and placed there', async () => {
    const owner = new TestOwnership();
    x2 = await startTestServer({
      postgresSchema: schemaX,
      instanceOf: x,
      env,
      ownership: owner,
    });
    owner.take(SHARED_ACCOUNT);
    // The same key as the refused one: 201, or 200 when the new owner already ran the command
    // left on the stream (it takes what was waiting for an owner first); one order either way.
    const r = await place(x, 'during-takeover');
    expect([200, 201]).toContain(r.status);
    expect([r.json.accountId, r.json.instrumentId]).toEqual([SHARED_ACCOUNT, 'BTC/X']);
    expect(
      x2.server
        .accountCore(SHARED_ACCOUNT)!
        .exec.openOrders()
        .map((o) => o.clientOrderId),
    ).toEqual([r.json.clientOrderId]);
    expect(y.server.accountCore(SHARED_ACCOUNT)!.exec.openOrders()).toEqual([]);
  }, 60_000);
});
