import path from 'node:path';
import {
  startLocalLambda,
  type LocalLambda,
} from '../../../src/cloud/lambda/local-lambda-server.js';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { dropTestSchema } from '../../support/postgres.js';
import { migratedSchema } from '../../support/stores.js';
import { addToCatalog } from '../../support/strategy-catalog.js';
import { tempDir } from '../../support/temp-dir.js';

/** An order as `GET /orders` lists it (the fields compared). */
interface ListedOrder {
  readonly clientOrderId: string;
  readonly side: string;
  readonly type: string;
  readonly price: string | null;
  readonly quantity: string;
  readonly status: string;
  readonly filledQuantity: string;
  readonly createdAt: number;
}

/** An order as the venue and the books see it, its client order id without the strategy id. */
const outcome = (o: ListedOrder) => ({
  n: Number(o.clientOrderId.split('-').at(-1)),
  side: o.side,
  type: o.type,
  price: o.price,
  quantity: o.quantity,
  status: o.status,
  filled: o.filledQuantity,
  at: o.createdAt,
});

/**
 * Parity over the API: one instance in-process and one with `"runtime": "lambda"` (the real SDK,
 * the local endpoint), both started before the first bar, play the same replay from its start
 * (after a restart, both resumed before the feed begins) and make the same orders.
 */
describe('API: a strategy started with runtime lambda makes the orders of the same strategy in-process', () => {
  let lambda: LocalLambda;
  let t: TestServer;
  let server: RunningServer | undefined;
  /**
   * The server's store: a Postgres schema, not PGlite (its two instances' 150 bars each write
   * orders and a snapshot, which PGlite's WebAssembly ran in this worker at several times
   * Postgres's CPU; two store starts fewer too). The store is not what this file tests.
   */
  const schema = `kairos_parity_${process.pid}_${Math.floor(Math.random() * 1e9)}`;

  beforeAll(async () => {
    await migratedSchema(schema);
    const dir = tempDir('kairos-api-parity-');
    lambda = await startLocalLambda({ port: 0, workDir: path.join(dir, 'lambda') });
    // One bar a minute: none arrives before both instances are started. 150 bars: 49 orders.
    t = await startTestServer({
      speed: 1,
      bars: 150,
      postgresSchema: schema,
      env: { AWS_ENDPOINT_URL_LAMBDA: lambda.url },
    });
    addToCatalog(path.join(t.home, 'strategies'), 'examples/strategies/sma-cross.ts', 'sma-cross');
  }, 120_000);
  afterAll(async () => {
    await (server ?? t?.server)?.close();
    await lambda?.close();
    await dropTestSchema(schema);
  });

  it('the same orders, bar for bar, through the function as in-process', async () => {
    const call = (method: string, url: string, body?: unknown) =>
      apiCall((server ?? t.server).url, method, url, {
        token: t.tokens.quant,
        ...(body === undefined ? {} : { body }),
      });
    const deployed = await call('POST', '/strategies/sma-cross/deploy', { timeoutS: 5 });
    expect(deployed.status).toBe(201);
    const params = { fast: 2, slow: 4, size: '1' };
    const plain = await call('POST', '/strategies/sma-cross/start', { params });
    const viaLambda = await call('POST', '/strategies/sma-cross/start', {
      params,
      runtime: 'lambda',
    });
    expect([plain.status, viaLambda.status]).toEqual([201, 201]);
    expect(viaLambda.json).toMatchObject({ runtime: 'lambda', lambda: { version: '1' } });
    // Neither has seen a bar: the feed has not played one yet.
    const candles = await apiCall(t.server.url, 'GET', '/candles?instrumentId=BTC/X&limit=1', {
      token: t.token,
    });
    expect(candles.json.candles).toEqual([]);

    // Both resume before the feed starts again from its first bar, now fast.
    server = await t.restart({ speed: 6_000 });
    expect(await server.replayDone).toBe(150);
    // Read from the store (`GET /orders`): the OMS holds only the open and recently closed orders.
    const listed = (await call('GET', '/orders?limit=500')).json.orders as ListedOrder[];
    const ordersOf = (id: string) =>
      listed
        .filter((o) => o.clientOrderId.startsWith(`${id}-`))
        .map(outcome)
        .sort((a, b) => a.n - b.n);
    const expected = ordersOf(plain.json.id);
    expect(expected.length).toBeGreaterThan(4);
    expect(ordersOf(viaLambda.json.id)).toEqual(expected);

    for (const id of [plain.json.id, viaLambda.json.id]) {
      const s = await call('GET', `/strategies/instances/${id}/state`);
      expect(s.json).toMatchObject({ status: 'running', tradingState: 'ACTIVE' });
      expect(s.json.orders).toBe(expected.length);
    }
    const a = await call('GET', `/strategies/instances/${plain.json.id}/state`);
    const b = await call('GET', `/strategies/instances/${viaLambda.json.id}/state`);
    expect(b.json.state).toEqual(a.json.state);
    expect(b.json.lastBarAt).toBe(a.json.lastBarAt);
    expect(b.json.position).toBe(a.json.position);
  }, 180_000);
});
