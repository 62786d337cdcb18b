import { apiCall } from '../../support/api-call.js';
import { replayPriced, startTestServer, type TestServer } from '../../support/api-server.js';
import { until } from '../../support/until.js';

const MINUTE = 60_000;

/**
 * `kairos serve` with `KAIROS_CLOSED_ORDER_RETENTION_MS=60000`: the desk account's core (what
 * every paper account's core is: `openPaperCore`) releases a filled order once a minute of its
 * clock (the replay's bar time) has passed, at its next order. With the default (10 minutes) it
 * would still hold it.
 */
describe('kairos serve: the closed-order window of its accounts', () => {
  let t: TestServer;
  afterAll(async () => {
    await t?.server.close();
  });

  it("comes from KAIROS_CLOSED_ORDER_RETENTION_MS: a filled order is released after a minute of the account's clock", async () => {
    // Bars move (one a second) so market orders fill at the next bar. Not faster: the bound
    // below (ten minutes of bars) must hold while a loaded machine answers a few orders (at 5 bars
    // a second it once took exactly ten).
    t = await startTestServer({
      speed: 60,
      bars: 3000,
      env: { KAIROS_CLOSED_ORDER_RETENTION_MS: String(MINUTE) },
    });
    const { server, token } = t;
    await replayPriced(t);
    const core = server.core;
    let keys = 0;
    const buyFilled = async () => {
      const r = await apiCall(server.url, 'POST', '/orders', {
        token,
        headers: { 'idempotency-key': `window-${keys++}` },
        body: { instrumentId: 'BTC/X', side: 'BUY', type: 'MARKET', quantity: '0.001' },
      });
      expect(r.status).toBe(201);
      const id = r.json.clientOrderId as string;
      await until(() => core.exec.order(id)?.status === 'FILLED', 30_000, `order ${id} filled`);
      return id;
    };
    const first = await buyFilled();
    const filledAt = core.exec.order(first)!.updatedAt;
    // Two minutes of bar time later, a next order's call sweeps (the OMS sweeps at most once a
    // minute of its clock, at the end of a call): the first is released, long before the default
    // window (10 minutes) would let it go.
    await until(() => core.clock.now() >= filledAt + 2 * MINUTE, 30_000, 'two minutes of bars');
    expect(core.exec.order(first)).toBeDefined();
    await until(
      async () => {
        if (core.exec.order(first) !== undefined) await buyFilled();
        return core.exec.order(first) === undefined;
      },
      60_000,
      'the first order released',
    );
    expect(core.clock.now() - filledAt).toBeLessThan(10 * MINUTE);
    // The store still answers for it.
    const read = await apiCall(server.url, 'GET', `/orders/${first}`, { token });
    expect(read.json.order.status).toBe('FILLED');
  }, 120_000);
});
