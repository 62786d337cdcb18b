import path from 'node:path';
import { apiCall } from '../../support/api-call.js';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { addToCatalog } from '../../support/strategy-catalog.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';

interface Frame {
  readonly type: string;
  readonly kind?: string;
  readonly order?: { readonly clientOrderId: string };
  readonly fill?: { readonly clientOrderId: string };
}

/** The client order id an `order` or `fill` frame is about (undefined for other frames). */
const orderIdOf = (f: Frame) => f.order?.clientOrderId ?? f.fill?.clientOrderId;

/** A `/ws` client of `token` subscribed to `orders`, keeping every frame it gets. */
const ordersSocket = (url: string, token: string) =>
  subscribedSocket<Frame>(url, token, ['orders']);

type Socket = Awaited<ReturnType<typeof ordersSocket>>;

describe('WebSocket orders channel: the orders of the strategy instances a user started', () => {
  let t: TestServer;
  /** The server running now (a test restarts it). */
  let server: RunningServer;

  beforeAll(async () => {
    // Bars move (5 a second) so the strategy trades. On PGlite, in the home: its restart reopens
    // the embedded store's data folder and resumes the instance from it, as `kairos serve` with
    // no environment does.
    t = await startTestServer({ speed: 300, bars: 3000, store: 'pglite' });
    server = t.server;
    addToCatalog(path.join(t.home, 'strategies'), 'examples/strategies/sma-cross.ts', 'sma-cross');
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  const startStrategy = async () => {
    const started = await apiCall(server.url, 'POST', '/strategies/sma-cross/start', {
      token: t.tokens.quant,
      body: { params: { fast: 2, slow: 4, size: '1' } },
    });
    expect(started.status).toBe(201);
    return started.json.id as string;
  };

  /**
   * The orders instance `id` makes on the running server reach `quant`'s socket (its starter),
   * events and fills, and none reaches `trader`'s. The barrier for "none": the trader's own
   * order, whose events the server pushes after those of every strategy order before it.
   */
  async function pushedToItsStarterOnly(id: string, quant: Socket, trader: Socket, key: string) {
    const strategyOrders = () =>
      new Set(
        server.core.exec
          .allOrders()
          .filter((o) => o.strategyId === id)
          .map((o) => o.clientOrderId),
      );
    // Its orders reach the OMS under its own strategy id…
    const made = await until(
      () => {
        const ids = strategyOrders();
        return ids.size > 0 && ids;
      },
      60_000,
      'the strategy places orders',
    );
    // …and each one's events reach the socket of the quant who started it.
    await until(
      () => {
        const pushed = new Set(quant.frames.map(orderIdOf));
        return [...made].every((o) => pushed.has(o));
      },
      30_000,
      "the strategy's orders on its starter's socket",
    );
    const first = [...made][0]!;
    expect(quant.frames.find((f) => orderIdOf(f) === first)).toMatchObject({
      type: 'order',
      kind: 'OrderInitialized',
      order: { clientOrderId: first },
    });
    await until(
      () => quant.frames.some((f) => f.type === 'fill' && made.has(orderIdOf(f)!)),
      30_000,
      "a fill of the strategy's on its starter's socket",
    );

    const own = await apiCall(server.url, 'POST', '/orders', {
      token: t.tokens.trader,
      headers: { 'idempotency-key': key },
      body: { instrumentId: 'BTC/X', side: 'BUY', type: 'LIMIT', quantity: '1', price: '0.0001' },
    });
    expect(own.status).toBe(201);
    const ownId = own.json.clientOrderId as string;
    await until(
      () => trader.frames.some((f) => orderIdOf(f) === ownId),
      30_000,
      "the trader's own order on the trader's socket",
    );
    const theirs = strategyOrders();
    expect(trader.frames.filter((f) => theirs.has(orderIdOf(f) ?? ''))).toEqual([]);
    expect(
      trader.frames.filter((f) => orderIdOf(f) !== undefined).every((f) => orderIdOf(f) === ownId),
    ).toBe(true);
    // And the trader's order is not the quant's.
    expect(quant.frames.some((f) => orderIdOf(f) === ownId)).toBe(false);
  }

  it("pushes an instance's order events and fills to the user who started it through the API, and to no other user", async () => {
    const quant = await ordersSocket(server.url, t.tokens.quant);
    const trader = await ordersSocket(server.url, t.tokens.trader);
    try {
      await pushedToItsStarterOnly(await startStrategy(), quant, trader, 'ws-barrier-1');
    } finally {
      quant.close();
      trader.close();
    }
  }, 120_000);

  it('after a restart, pushes the orders of an instance resumed from the store to its starter only', async () => {
    const id = await startStrategy();
    // The new server learns the instance from the store, not from a start through its API. Ten
    // times faster after the restart: the replay starts again from its first bar, and the resumed
    // instance hears no bar older than its last until the replay passes it (~6 s at 300).
    server = await t.restart({ speed: 3000 });
    const quant = await ordersSocket(server.url, t.tokens.quant);
    const trader = await ordersSocket(server.url, t.tokens.trader);
    try {
      await pushedToItsStarterOnly(id, quant, trader, 'ws-barrier-2');
    } finally {
      quant.close();
      trader.close();
    }
  }, 180_000);
});
