import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { dropTestSchema, TEST_DATABASE_URL } from '../../support/postgres.js';
import { TestOwnership } from '../../support/test-ownership.js';
import { until } from '../../support/until.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from '../scalability/services.js';
import { installGroup } from '../../../src/system/install-group.js';
import { SHARED_ACCOUNT } from '../../../src/system/trading-accounts.js';

/**
 * `KAIROS_REDIS_PREFIX` (issue 16): every Redis key of a server is under its prefix, so two
 * deployments on one Redis do not hear each other. A owns the shared account; B has A's prefix,
 * C another one (all three on one database, so only Redis could carry anything between them).
 * An order sent to B is handed to A (heard); one sent to C is not (no owner answers there). A's
 * events and session revocations are under A's prefix, none under C's.
 */
describe('the Redis key prefix of a deployment (Postgres, Redis)', () => {
  const schema = `kairos_prefix_${process.pid}_${randomBytes(4).toString('hex')}`;
  const mine = uniquePrefix();
  const theirs = uniquePrefix();
  const owner = new TestOwnership(true);
  let a: TestServer;
  let b: TestServer;
  let c: TestServer;
  let redis: Redis;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const env = (prefix: string) => ({ REDIS_URL: TEST_REDIS_URL, KAIROS_REDIS_PREFIX: prefix });
    a = await startTestServer({ postgresSchema: schema, env: env(mine), ownership: owner });
    owner.take(SHARED_ACCOUNT);
    const other = (prefix: string) =>
      startTestServer({
        postgresSchema: schema,
        instanceOf: a,
        env: env(prefix),
        ownership: new TestOwnership(),
        handOff: { waitMs: 1_000 },
      });
    b = await other(mine);
    c = await other(theirs);
    for (const p of [mine, theirs]) {
      const t = await testRedis(p);
      redis = t.redis;
      cleanups.push(() => t.cleanup());
    }
  }, 120_000);
  afterAll(async () => {
    for (const s of [c, b, a]) await s?.server.close();
    await dropTestSchema(schema);
    for (const clean of cleanups) await clean();
  });

  const place = (on: TestServer, key: string) =>
    apiCall(on.server.url, 'POST', '/orders', {
      token: on.token,
      headers: { 'idempotency-key': key },
      body: { instrumentId: 'BTC/X', side: 'BUY', type: 'LIMIT', price: '1', quantity: '0.01' },
    });
  const keysUnder = async (prefix: string) => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  };

  it('hands an order to the owner under the same prefix, never under another', async () => {
    const viaB = await place(b, 'same-prefix');
    expect(viaB.status).toBe(201);
    expect(a.server.accountCore(SHARED_ACCOUNT)!.exec.order(viaB.json.clientOrderId)).toBeDefined();
    const viaC = await place(c, 'other-prefix');
    expect([viaC.status, viaC.json.code]).toEqual([503, 'ACCOUNT_OWNER_UNAVAILABLE']);
    // Nothing of C's order reached A: no command under its request id.
    const requestId = viaC.headers['x-request-id']!;
    expect(a.logs.some((l) => l.includes(requestId))).toBe(false);
  }, 60_000);

  it("keeps the owner's events and commands under its prefix, none under the other", async () => {
    // (Under the install's group, as every instance of the install: `docs/scalability.md`.)
    const group = installGroup({
      home: '',
      databaseUrl: TEST_DATABASE_URL,
      databaseSchema: schema,
    });
    const stream = `${mine}events:${group}:ws:${SHARED_ACCOUNT}`;
    await until(async () => (await redis.xlen(stream)) > 0, 10_000, 'the events under A');
    expect(await redis.exists(`${theirs}events:${group}:ws:${SHARED_ACCOUNT}`)).toBe(0);
    expect((await keysUnder(mine)).some((k) => k.startsWith(`${mine}cmd:`))).toBe(true);
    expect((await keysUnder(theirs)).some((k) => k.startsWith(`${theirs}events:`))).toBe(false);
  });

  it('a session revoked on A is refused on B at once; the revocation is not under C', async () => {
    // (The last test: the trader's session, shared by the three servers, ends here.)
    const token = a.token;
    const out = await apiCall(a.server.url, 'POST', '/auth/logout', { token });
    expect(out.status).toBe(204);
    const revoked = async (prefix: string) => {
      const keys = (await keysUnder(prefix)).filter((k) => k.startsWith(`${prefix}session:`));
      const values = keys.length > 0 ? await redis.mget(...keys) : [];
      return values.filter((v) => v !== null && v.includes('revoked')).length;
    };
    expect(await revoked(mine)).toBeGreaterThan(0);
    expect(await revoked(theirs)).toBe(0);
    const onB = await apiCall(b.server.url, 'POST', '/orders', {
      token,
      headers: { 'idempotency-key': 'after-logout' },
      body: { instrumentId: 'BTC/X', side: 'BUY', type: 'LIMIT', price: '1', quantity: '0.01' },
    });
    expect(onB.status).toBe(401);
  });
});
