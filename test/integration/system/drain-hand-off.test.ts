import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import { apiCall } from '../../support/api-call.js';
import { secondTrader, startTestServer, type TestServer } from '../../support/api-server.js';
import { dropTestSchema } from '../../support/postgres.js';
import { TestOwnership } from '../../support/test-ownership.js';
import { until } from '../../support/until.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from '../scalability/services.js';

/**
 * A drain (SIGTERM) on an instance with a request in flight on a keep-alive connection, as a
 * balancer keeps them (nginx's upstream `keepalive`): here an order handed to its account's
 * owner, which no instance serves, so it waits for the hand-off's answer (`waitMs`).
 *
 * The drain waits for that request: the trader gets 503 `ACCOUNT_OWNER_UNAVAILABLE` with
 * `Retry-After` (a definite answer, never a connection cut with the order's fate unknown). The
 * answer says `Connection: close` and the server closes the connection after it, so the drain
 * ends with the request. It used to answer keep-alive: the connection stayed open, idle, and the
 * listener's close waited for it until the client sent another request on it or closed it, or the
 * drain's bound cut it. Behind nginx, which marks an instance whose listener refused a connection
 * as failed for `fail_timeout` (5 s), that was the occasional 5.5–6.5 s drain of the failover test
 * (`docs/decisions/instances.md`, "Drain on SIGTERM").
 */
describe('a drain with a request in flight on a keep-alive connection (Postgres, Redis)', () => {
  const schema = `drain_handoff_${process.pid}_${randomBytes(4).toString('hex')}`;
  const prefix = uniquePrefix();
  const env = { REDIS_URL: TEST_REDIS_URL };
  const WAIT_MS = 1_500;
  let a: TestServer;
  let b: TestServer;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  afterAll(async () => {
    agent.destroy();
    await b?.server.close().catch(() => undefined);
    await a?.server.close().catch(() => undefined);
    await dropTestSchema(schema);
    await (await testRedis(prefix)).cleanup();
  });

  it('answers the handed-off order (503 after waitMs) with Connection: close; the drain ends with it', async () => {
    // A owns no trader account (tina's has no instance serving it); B owns none either.
    a = await startTestServer({
      postgresSchema: schema,
      env,
      ownership: new TestOwnership(),
      handOff: { prefix },
    });
    const tina = await secondTrader(a);
    const opened = await apiCall(a.server.url, 'POST', '/accounts', {
      token: tina.token,
      body: { name: 'main', startingCash: '100000' },
    });
    expect(opened.status).toBe(201);
    const account = opened.json.id as string;
    // A bound far beyond the test's deadlines: a drain that ends is not one cut at its bound.
    b = await startTestServer({
      postgresSchema: schema,
      instanceOf: a,
      env: { ...env, KAIROS_DRAIN_TIMEOUT_MS: '600000' },
      ownership: new TestOwnership(),
      handOff: { prefix, waitMs: WAIT_MS },
    });
    const { redis, cleanup } = await testRedis(`${prefix}none:`);
    try {
      let socket: Socket | undefined;
      let socketClosed = false;
      const answer = new Promise<{
        status: number;
        headers: http.IncomingHttpHeaders;
        body: string;
      }>((resolve, reject) => {
        const body = JSON.stringify({
          accountId: account,
          instrumentId: 'BTC/X',
          side: 'BUY',
          type: 'LIMIT',
          price: '1000',
          quantity: '1',
        });
        const req = http.request(
          `${b.server.url}/orders`,
          {
            method: 'POST',
            agent,
            headers: {
              authorization: `Bearer ${tina.token}`,
              'content-type': 'application/json',
              'idempotency-key': 'drain-1',
            },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode!, headers: res.headers, body: text }),
            );
          },
        );
        req.on('socket', (s: Socket) => {
          socket = s;
          s.once('close', () => (socketClosed = true));
        });
        req.on('error', reject);
        req.end(body);
      });
      // Handed off: the command is on the account's stream, B waits for an owner's answer.
      // (The account's stream: `<prefix>cmd:<install>:<account>`.)
      await until(
        async () => {
          const [stream] = await redis.keys(`${prefix}cmd:*:${account}`);
          return stream !== undefined && (await redis.xlen(stream)) > 0;
        },
        10_000,
        'the command on the stream',
      );
      let drained = false;
      const drain = b.server.drain().then(() => void (drained = true));
      const got = await answer;
      expect([got.status, (JSON.parse(got.body) as { code: string }).code]).toEqual([
        503,
        'ACCOUNT_OWNER_UNAVAILABLE',
      ]);
      expect(got.headers['retry-after']).toBe('2');
      expect(got.headers.connection).toBe('close');
      // The client keeps the connection (the agent would reuse it): the server closes it, and
      // the drain, which waited for the request, ends.
      expect(socket).toBeDefined();
      await until(() => socketClosed, 10_000, 'the connection closed by the server');
      await until(() => drained, 10_000, 'the drain ended');
      await drain;
    } finally {
      await cleanup();
    }
  }, 120_000);
});
