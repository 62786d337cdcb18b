import Fastify, { type FastifyInstance } from 'fastify';
import { healthRoutes } from '../../../src/api/routes/health-routes.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { TradingCore } from '../../../src/trading/live/trading-core.js';
import { TradingDesk } from '../../../src/trading/live/trading-desk.js';
import { serverReadiness } from '../../../src/system/server-readiness.js';
import { bar, instrument } from '../../support/builders.js';
import { anyStore } from '../../support/stores.js';

/** A venue that takes orders and never answers: each order stays SUBMITTED (outcome unknown). */
const silentVenue = () => ({
  submit: () => undefined,
  cancel: () => undefined,
  onBar: () => undefined,
  orderByClientId: async () => null,
  openOrders: async () => [],
  tradesSince: async () => [],
});

describe('readiness of a server whose order stays unresolved past the bound', () => {
  let store: Awaited<ReturnType<typeof anyStore>>;
  let app: FastifyInstance;
  afterEach(async () => {
    await app?.close();
    await store?.drop();
  });

  it('passes while the order is younger than the bound, then answers 503 naming `unresolved-orders`', async () => {
    store = await anyStore();
    const orders = new OrderRepository(store.db, 'desk');
    const inst = instrument();
    const { core } = await TradingCore.open({
      accountId: 'desk',
      instruments: [inst],
      cash: { USD: '100000' },
      orders,
      venue: silentVenue,
    });
    let wall = 1_000_000;
    const readiness = serverReadiness({
      settings: { unresolvedMaxMs: 5_000, timeoutMs: 1_000 },
      store,
      core,
      venue: [],
      now: () => wall,
      reuseMs: 0,
    });
    core.onBar(bar(100, 101, 99, 100, 60_000));
    await core.settle();
    const before = await readiness.checks.run();
    expect(before.status).toBe('pass');

    await new TradingDesk(core, orders).place('user:1', 'c-1', {
      instrumentId: inst.id,
      side: 'BUY',
      quantity: '1',
    });
    await core.settle();
    expect(core.exec.order('c-1')?.status).toBe('SUBMITTED');

    wall += 5_000; // at the bound: still ready
    const young = await readiness.checks.run();
    expect(young.checks.find((c) => c.name === 'unresolved-orders')).toMatchObject({
      status: 'pass',
      detail: '1 unresolved, oldest 5000 ms (bound 5000 ms)',
    });

    wall += 1; // past it
    app = Fastify();
    await app.register(healthRoutes, {
      unresolved: () => core.unresolved(),
      ready: () => readiness.checks.run(),
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${url}/health/ready`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as { failed: string[]; detail: string; code: string };
    expect(body.code).toBe('NOT_READY');
    expect(body.failed).toEqual(['unresolved-orders']);
    expect(body.detail).toBe('unresolved-orders: 1 unresolved, oldest 5001 ms (bound 5000 ms)');
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({
      status: 'ok',
      unresolvedOrders: true,
    });
    readiness.stop();
  });
});
