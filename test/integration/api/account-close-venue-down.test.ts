import { randomBytes } from 'node:crypto';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { apiCall, type Answer } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { liveServerOptions, startLiveSim } from '../../support/ccxt-sim.js';
import { openLiveAccount, restingBuy } from '../../support/live-account.js';
import { parsePrometheus, sampleValue } from '../../support/prometheus-text.js';
import { dropTestSchema } from '../../support/postgres.js';
import { until } from '../../support/until.js';

/**
 * Closing an account needs no venue (`docs/decisions/accounts.md`, "Closing and reopening"): a
 * live account whose venue refused its reads when the server started has no core (`DOWN`,
 * retried), and `DELETE /accounts/{id}` answered 503 `ACCOUNT_OWNER_UNAVAILABLE` until the venue
 * answered again. Now it is checked from the store (its unfinished orders, the positions of its
 * stored fills) and closed, audited, with no core opened for it later; reopened once the venue
 * answers. The other operations that need no venue (the account, its orders and fills, the
 * default) answer while it has no core. Postgres with leases, the Binance simulator.
 */
describe('closing a live account whose venue is down (kairos serve, Postgres leases)', () => {
  const schema = `kairos_close_down_${process.pid}_${randomBytes(4).toString('hex')}`;
  let sim: BinanceSim;
  let t: TestServer;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startLiveSim();
    t = await startTestServer({
      ...liveServerOptions(sim),
      postgresSchema: schema,
    });
    server = t.server;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await sim?.close();
    await dropTestSchema(schema);
  });

  let keys = 0;
  const call = (method: string, route: string, body?: unknown, token = t.token): Promise<Answer> =>
    apiCall(server.url, method, route, {
      token,
      ...(body === undefined ? {} : { body }),
      ...(method === 'POST' && route === '/orders'
        ? { headers: { 'idempotency-key': `down-${keys++}` } }
        : {}),
    });
  const statusOf = async (id: string) => (await call('GET', `/orders/${id}`)).json.order?.status;
  const venueOf = async (id: string) =>
    (await call('GET', `/accounts/${id}`)).json.venueStatus?.venue as string | undefined;
  /**
   * The venue refuses the account's reads (429, each a pause of a second) as the server starts
   * again: its markets load, its core cannot be recovered (no core, DOWN, retried).
   */
  const restartVenueDown = async (id: string) => {
    sim.faults.set({ rateLimit: { after: 0, tooMany: 1e9, banMs: 1, readsOnly: true } });
    if (server === t.server) server = await t.restart();
    else {
      // `restart` starts again from the first server only: a later start closes the last itself.
      await server.close();
      server = await t.another();
    }
    await until(() => server.ownership.owns(id), 30_000, 'the account held again');
    expect(await venueOf(id)).toBe('DOWN');
    expect(server.accountCore(id)).toBeUndefined();
  };

  it('refuses with an open order, closes once flat, opens no core later, reopens when the venue answers', async () => {
    const { credential, account } = await openLiveAccount(call, sim);
    expect([credential.status, account.status]).toEqual([201, 201]);
    const live = account.json.id as string;
    const placed = await call('POST', '/orders', restingBuy(live));
    expect(placed.status).toBe(201);
    const resting = placed.json.clientOrderId as string;
    await until(async () => (await statusOf(resting)) === 'ACCEPTED', 20_000, 'resting');

    await restartVenueDown(live);
    // Checked from the store: its order is open (before: 503, as if another instance held it).
    const refused = await call('DELETE', `/accounts/${live}`);
    expect([refused.status, refused.json.code]).toEqual([409, 'ACCOUNT_HAS_OPEN_ORDERS']);
    // What needs no venue answers while it has no core: the account, its orders and fills, the
    // default (from the store and the directory).
    const view = await call('GET', `/accounts/${live}`);
    expect([view.status, view.json.status]).toEqual([200, 'open']);
    expect((await call('GET', '/accounts')).status).toBe(200);
    const orders = await call('GET', `/orders?accountId=${live}`);
    expect(orders.status).toBe(200);
    expect(orders.json.orders.map((o: { clientOrderId: string }) => o.clientOrderId)).toEqual([
      resting,
    ]);
    expect((await call('GET', `/orders/${resting}`)).status).toBe(200);
    expect((await call('GET', `/fills?accountId=${live}`)).status).toBe(200);
    const made = await call('PUT', '/users/me/default-account', { accountId: live });
    expect([made.status, made.json.default]).toEqual([200, true]);

    // The venue answers: its core opens, the order is canceled; then down again at a restart.
    sim.faults.set({ rateLimit: null });
    await until(async () => (await venueOf(live)) === 'UP', 60_000, 'the live account UP');
    await until(
      async () => (await call('DELETE', `/orders/${resting}`)).status === 202,
      20_000,
      'the cancel taken',
    );
    await until(async () => (await statusOf(resting)) === 'CANCELED', 20_000, 'canceled');
    await restartVenueDown(live);

    const closed = await call('DELETE', `/accounts/${live}`);
    expect([closed.status, closed.json.status, closed.json.venueStatus]).toEqual([
      200,
      'closed',
      null,
    ]);
    // Audited as any close.
    const audit = await call('GET', '/audit?limit=1000', undefined, t.tokens.auditor);
    expect(
      audit.json.rows.filter(
        (r: { action: string; subject: string }) =>
          r.action === 'account.closed' && r.subject === live,
      ),
    ).toHaveLength(1);
    // Its retries stopped: no longer kept (`kairos_live_accounts` counts it in no state), so no
    // core opens for it once the venue answers; nor a private stream.
    // (sampled every second).
    await until(
      async () => {
        const samples = parsePrometheus(await server.metrics!.text());
        const kept = ['UP', 'DOWN', 'DISABLED'].map((state) =>
          sampleValue(samples, 'kairos_live_accounts', { venue: 'binance', state }),
        );
        return kept.join() === '0,0,0';
      },
      10_000,
      'kairos_live_accounts: the closed account in no state',
    );
    expect(sim.state.userDataListeners()).toBe(0);
    // A reopen while the venue does not answer: refused, and it stays closed with no core.
    const early = await call('POST', `/accounts/${live}/reopen`);
    expect(early.status).toBe(503);
    // Throttled (its pause) or refused (the venue's 429): either way it was not reopened.
    expect(['VENUE_RATE_LIMITED', 'VENUE_UNAVAILABLE']).toContain(early.json.code);
    expect((await call('GET', `/accounts/${live}`)).json.status).toBe('closed');
    expect(server.accountCore(live)).toBeUndefined();
    sim.faults.set({ rateLimit: null });
    const order = await call('POST', '/orders', restingBuy(live));
    expect([order.status, order.json.code]).toEqual([409, 'ACCOUNT_DISABLED']);
    expect(server.accountCore(live)).toBeUndefined();
    expect((await call('GET', `/accounts/${live}`)).json.venueStatus).toBeNull();

    // Reopened once the venue answers (its last pause over; a client retries a 503): recovered,
    // UP, trading.
    const reopened = await until(
      async () => {
        const r = await call('POST', `/accounts/${live}/reopen`);
        return r.status === 503 ? false : r;
      },
      20_000,
      'the reopen taken',
    );
    expect([reopened.status, reopened.json.status, reopened.json.venueStatus?.venue]).toEqual([
      200,
      'open',
      'UP',
    ]);
    expect(server.accountCore(live)).toBeDefined();
  }, 240_000);
});
