import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { until } from '../../support/until.js';
import { apiCall, type Answer } from '../../support/api-call.js';
import { secondTrader, startTestServer, type TestServer } from '../../support/api-server.js';
import { TEST_DATABASE_URL, dropTestSchema } from '../../support/postgres.js';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { startLiveSim } from '../../support/ccxt-sim.js';
import { openLiveAccount } from '../../support/live-account.js';
import { TestOwnership } from '../../support/test-ownership.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from '../scalability/services.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

/** The fields of an order answer that differ between two orders of the same request. */
const sameRequest = (o: Json) => {
  const { clientOrderId: _id, createdAt: _c, updatedAt: _u, ...rest } = o;
  return rest;
};

/**
 * Issue 16, order hand-off: two instances on one database and one Redis; A owns the accounts
 * (it serves their command streams), B owns none. An order sent to B is run by A and answered
 * to the client exactly as A answers it: 201, then 200 for the same key, 422 for a risk denial,
 * 404 for another user's account, 202/409 for a cancel; journaled once. No owner answering:
 * 503 `ACCOUNT_OWNER_UNAVAILABLE` with `Retry-After`, and the retry with the same key is safe.
 * The owner's `Retry-After` comes back with its answer (a live account's 429 `VENUE_ORDER_RATE`).
 */
describe('orders handed to the instance that owns the account (Postgres, Redis)', () => {
  const schema = `kairos_handoff_${process.pid}_${randomBytes(4).toString('hex')}`;
  const prefix = uniquePrefix();
  const env = { REDIS_URL: TEST_REDIS_URL };
  const ownsAll = new TestOwnership(true);
  let a: TestServer;
  let b: TestServer;
  let tom: string;
  let tina: { id: string; token: string };
  let tomAccount: string;
  let tinaAccount: string;
  let db: pg.Client;
  /** A venue advertising 2 new orders per 10 s per account. */
  let sim: BinanceSim;

  beforeAll(async () => {
    sim = await startLiveSim({ ordersPer10s: 2 });
    const venues = [{ id: 'binance', url: sim.url }];
    a = await startTestServer({
      postgresSchema: schema,
      env,
      ownership: ownsAll,
      handOff: { prefix },
      venues,
    });
    tom = a.token;
    tina = await secondTrader(a);
    const open = async (token: string, name: string) => {
      const r = await apiCall(a.server.url, 'POST', '/accounts', {
        token,
        body: { name, startingCash: '100000' },
      });
      expect(r.status).toBe(201);
      return r.json.id as string;
    };
    tomAccount = await open(tom, 'main');
    tinaAccount = await open(tina.token, 'main');
    // A serves tom's account; tina's has no instance serving it (no owner answers for it).
    ownsAll.take(tomAccount);
    b = await startTestServer({
      postgresSchema: schema,
      instanceOf: a,
      env,
      ownership: new TestOwnership(),
      handOff: { prefix, waitMs: 1_000 },
      venues,
    });
    db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await b?.server.close();
    await a?.server.close();
    await sim?.close();
    await dropTestSchema(schema);
    await (await testRedis(prefix)).cleanup();
  });

  let keys = 0;
  const place = (
    on: TestServer,
    token: string,
    body: Record<string, unknown>,
    key = `ho-${keys++}`,
  ): Promise<Answer> =>
    apiCall(on.server.url, 'POST', '/orders', {
      token,
      headers: { 'idempotency-key': key },
      body: {
        instrumentId: 'BTC/X',
        side: 'BUY',
        type: 'LIMIT',
        price: '1000',
        quantity: '1',
        accountId: tomAccount,
        ...body,
      },
    });
  const journaled = async (clientOrderId: string) =>
    Number(
      (
        await db.query(`select count(*) as n from "${schema}".orders where client_order_id = $1`, [
          clientOrderId,
        ])
      ).rows[0].n,
    );

  it('an order placed on B is made by A: 201, then 200 for the same key on either, journaled once', async () => {
    const onB = await place(b, tom, {}, 'same-key');
    const onA = await place(a, tom, {});
    expect([onB.status, onB.type]).toEqual([201, onA.type]);
    expect(onA.status).toBe(201);
    expect(sameRequest(onB.json)).toEqual(sameRequest(onA.json));
    expect(onB.json.accountId).toBe(tomAccount);
    // The owner's core holds it; B's does not (B made nothing).
    expect(a.server.accountCore(tomAccount)!.exec.order(onB.json.clientOrderId)).toBeDefined();
    expect(b.server.accountCore(tomAccount)!.exec.order(onB.json.clientOrderId)).toBeUndefined();

    const againB = await place(b, tom, {}, 'same-key');
    const againA = await place(a, tom, {}, 'same-key');
    expect([againB.status, againA.status]).toEqual([200, 200]);
    expect(againB.json).toEqual(againA.json);
    expect(againB.json.clientOrderId).toBe(onB.json.clientOrderId);
    expect(await journaled(onB.json.clientOrderId)).toBe(1);
    // The owner logs the command under the request id B answered with.
    const requestId = onB.headers['x-request-id']!;
    const line = a.logs.map((l) => JSON.parse(l)).find((l) => l.requestId === requestId);
    expect(line).toMatchObject({ message: 'command', component: 'hand-off', status: 201 });
  }, 30_000);

  it('an account made on A after B started: B hands its orders to the owner too', async () => {
    const made = await apiCall(a.server.url, 'POST', '/accounts', {
      token: tom,
      body: { name: 'later', startingCash: '100000' },
    });
    expect(made.status).toBe(201);
    ownsAll.take(made.json.id);
    const onB = await place(b, tom, { accountId: made.json.id });
    expect([onB.status, onB.json.accountId]).toEqual([201, made.json.id]);
    expect(a.server.accountCore(made.json.id)!.exec.order(onB.json.clientOrderId)).toBeDefined();
  }, 30_000);

  it('the same key sent at once to both instances, many times: one order, one 201, the rest 200 with it', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => place(i % 2 === 0 ? b : a, tom, {}, 'racing-key')),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((r) => r.json.clientOrderId)).size).toBe(1);
    expect(await journaled(answers[0]!.json.clientOrderId)).toBe(1);
  }, 30_000);

  it('a risk denial, another user’s account, bad input: the same problem from B as from A', async () => {
    // Far more than the account's cash: denied at the owner's gate, recorded, never sent.
    const big = { quantity: '1000000' };
    const deniedB = await place(b, tom, big);
    const deniedA = await place(a, tom, big);
    expect([deniedB.status, deniedB.type]).toEqual([422, deniedA.type]);
    expect(deniedB.type).toMatch(/^application\/problem\+json/);
    expect(deniedB.json.code).toBe(deniedA.json.code);
    expect(deniedB.json.title).toBe(deniedA.json.title);
    // Tom's account to tina: not found, exactly like an account that does not exist.
    for (const accountId of [tomAccount, 'acc-ffffffffffffffff']) {
      const onB = await place(b, tina.token, { accountId }, 'tina-1');
      const onA = await place(a, tina.token, { accountId }, 'tina-1');
      expect([onB.status, onB.json]).toEqual([404, onA.json]);
      expect(onB.json.code).toBe('ACCOUNT_NOT_FOUND');
    }
    // Refused at B's door before any hand-off: the schema, the token.
    const invalid = await place(b, tom, { quantity: '-1' });
    expect([invalid.status, invalid.json.code]).toEqual([400, 'VALIDATION']);
    const anonymous = await apiCall(b.server.url, 'POST', '/orders', {
      headers: { 'idempotency-key': 'x' },
      body: {},
    });
    expect(anonymous.status).toBe(401);
  }, 30_000);

  it("an order's detail on B, which does not trade the account, is read from the database: what A answers", async () => {
    const placed = await place(b, tom, { price: '1' });
    expect(placed.status).toBe(201);
    const id = placed.json.clientOrderId;
    // A's answer once its events are stored (B reads the store, A its core).
    await a.server.accountCore(tomAccount)!.settle();
    const onA = await apiCall(a.server.url, 'GET', `/orders/${id}`, { token: tom });
    const onB = await apiCall(b.server.url, 'GET', `/orders/${id}`, { token: tom });
    expect([onB.status, onB.json]).toEqual([200, onA.json]);
    expect(onB.json.events.map((e: { kind: string }) => e.kind)).toContain('OrderSubmitted');
    // Another's order: not found on either.
    const hers = await apiCall(b.server.url, 'GET', `/orders/${id}`, { token: tina.token });
    expect([hers.status, hers.json.code]).toEqual([404, 'NOT_FOUND']);
  }, 30_000);

  it('a cancel on B is run by A: 202, then 409 ORDER_NOT_OPEN as A answers it', async () => {
    const placed = await place(b, tom, { price: '1' });
    expect(placed.status).toBe(201);
    const id = placed.json.clientOrderId;
    const canceled = await apiCall(b.server.url, 'DELETE', `/orders/${id}`, { token: tom });
    expect(canceled.status).toBe(202);
    expect(canceled.json.clientOrderId).toBe(id);
    expect(a.server.accountCore(tomAccount)!.exec.order(id)!.status).toMatch(/CANCEL/);
    const settled = await apiCall(a.server.url, 'GET', `/orders/${id}`, { token: tom });
    expect(settled.json.order.status).toBe('CANCELED');
    const againB = await apiCall(b.server.url, 'DELETE', `/orders/${id}`, { token: tom });
    const againA = await apiCall(a.server.url, 'DELETE', `/orders/${id}`, { token: tom });
    expect([againB.status, againB.json]).toEqual([409, againA.json]);
    // Another's order: not found, on either.
    const hers = await apiCall(b.server.url, 'DELETE', `/orders/${id}`, { token: tina.token });
    expect([hers.status, hers.json.code]).toEqual([404, 'NOT_FOUND']);
  }, 30_000);

  it.each([
    ['the account', () => ({ accountId: tomAccount })],
    ['the user', () => ({ userId: a.users.trader.id })],
    // The whole desk: every account's owner applies it before B answers, although tina's
    // account has no owner answering (passed over, not waited on forever nor failing the halt).
    ['the whole desk', () => ({})],
    ['a strategy (a trader’s own orders)', () => ({ strategyId: `user:${a.users.trader.id}` })],
  ])(
    'a kill switch of %s set on B stops the owner A before B answers; resumed on B, A trades again',
    async (_scope, target) => {
      const resting = await place(a, tom, { price: '1' });
      expect(resting.status).toBe(201);
      const halt = await apiCall(b.server.url, 'POST', '/risk/halt', {
        token: tom,
        body: { ...target(), reason: 'halted through another instance' },
      });
      expect(halt.status).toBe(200);
      // Applied on A's core already (not at its next refresh): new orders denied, open ones canceled.
      for (const on of [a, b]) {
        const denied = await place(on, tom, {});
        expect([denied.status, denied.json.code]).toEqual([422, 'TRADING_HALTED']);
      }
      const core = a.server.accountCore(tomAccount)!;
      expect(core.exec.order(resting.json.clientOrderId)!.status).toBe('CANCELED');
      // Resuming is the risk role's.
      const resume = await apiCall(b.server.url, 'POST', '/risk/resume', {
        token: b.tokens.risk,
        body: target(),
      });
      expect(resume.status).toBe(200);
      expect((await place(b, tom, {})).status).toBe(201);
    },
    30_000,
  );

  it('a limit for every account set on B is applied by the owner A before B answers', async () => {
    const limit = (value: string) =>
      apiCall(b.server.url, 'PUT', '/risk/limits/maxOrderQuantity', {
        token: b.tokens.risk,
        body: { value },
      });
    expect((await limit('5')).status).toBe(200);
    // Not at A's next refresh: at once, on an order sent straight to A.
    const big = await place(a, tom, { quantity: '6' });
    expect([big.status, big.json.code]).toEqual([422, 'ORDER_QUANTITY_LIMIT']);
    expect((await limit('1000000')).status).toBe(200);
    expect((await place(a, tom, { quantity: '6' })).status).toBe(201);
  }, 30_000);

  it('no owner answering: 503 ACCOUNT_OWNER_UNAVAILABLE with Retry-After; the retry with the same key makes one order', async () => {
    const body = { accountId: tinaAccount };
    const refused = await place(b, tina.token, body, 'tina-wait');
    expect([refused.status, refused.json.code]).toEqual([503, 'ACCOUNT_OWNER_UNAVAILABLE']);
    expect(refused.headers['retry-after']).toBe('1');
    // An owner takes the account: the commands left waiting run (the key keeps them one order),
    // and the client's retry answers with that order.
    ownsAll.take(tinaAccount);
    // The client retries with the same key while the answer is 503 (the owner may take a moment
    // to start serving the account on a loaded machine).
    const retried = await until(
      async () => {
        const r = await place(b, tina.token, { ...body, type: 'LIMIT' }, 'tina-wait');
        return r.status === 503 ? false : r;
      },
      25_000,
      'an answer from the new owner',
    );
    expect([200, 201]).toContain(retried.status);
    expect(retried.json.accountId).toBe(tinaAccount);
    expect(await journaled(retried.json.clientOrderId)).toBe(1);
  }, 30_000);

  it("the owner's 429 VENUE_ORDER_RATE comes back from B with its Retry-After", async () => {
    const call = (method: string, route: string, body?: unknown) =>
      apiCall(a.server.url, method, route, { token: tom, ...(body === undefined ? {} : { body }) });
    const { account } = await openLiveAccount(call, sim, 'venue');
    expect(account.status).toBe(201);
    ownsAll.take(account.json.id);
    const live = { accountId: account.json.id, instrumentId: 'BTC/USDT', quantity: '0.02' };
    // B hands the order on once it sees A serving the new account (a 503 until then, as above,
    // on a loaded machine): the window starts with the first order placed.
    const first = await until(
      async () => {
        const r = await place(b, tom, live, 'rate-1');
        return r.status === 503 ? false : r;
      },
      25_000,
      'the first order handed to the owner',
    );
    const started = Date.now();
    expect(first.status).toBe(201);
    expect((await place(b, tom, live, 'rate-2')).status).toBe(201);
    const refused = await place(b, tom, live, 'rate-3');
    // The test only holds if the 3 went in one window.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect([refused.status, refused.json.code]).toEqual([429, 'VENUE_ORDER_RATE']);
    const wait = Number(refused.headers['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(10);
  }, 30_000);
});
