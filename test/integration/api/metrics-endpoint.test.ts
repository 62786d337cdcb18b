import { WebSocket } from 'ws';
import { METRICS, RUNTIME_METRICS } from '../../../src/monitoring/metric-catalogue.js';
import { apiCall, type Answer } from '../../support/api-call.js';
import { replayPriced, startTestServer, type TestServer } from '../../support/api-server.js';
import { parsePrometheus, sampleValue, type PromSample } from '../../support/prometheus-text.js';
import { promtoolCheckMetrics } from '../../support/promtool.js';
import { until } from '../../support/until.js';

describe('GET /metrics of a running server (METRICS_PORT)', () => {
  let t: TestServer;
  let metricsUrl: string;

  beforeAll(async () => {
    // Bars move (5 a second) so market orders fill.
    t = await startTestServer({ speed: 300, bars: 3000, env: { METRICS_PORT: '0' } });
    metricsUrl = t.server.metricsUrl!;
    await replayPriced(t);
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
  });

  const call = (
    method: string,
    url: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> => apiCall(t.server.url, method, url, opts);
  let keys = 0;
  const placeOrder = (order: Record<string, unknown>) =>
    call('POST', '/orders', {
      token: t.token,
      body: { instrumentId: 'BTC/X', side: 'BUY', quantity: '1', ...order },
      headers: { 'idempotency-key': `metrics-${keys++}` },
    });

  async function scrape(): Promise<{ text: string; samples: PromSample[] }> {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    return { text, samples: parsePrometheus(text) };
  }
  const value = async (name: string, labels: Record<string, string> = {}) =>
    sampleValue((await scrape()).samples, name, labels);

  it('listens on its own port, unauthenticated, bound to loopback by default', async () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(metricsUrl).port).not.toBe(new URL(t.server.url).port);
    // Not on the API's port.
    expect((await call('GET', '/metrics')).status).toBe(404);
    const other = await fetch(metricsUrl.replace('/metrics', '/other'));
    expect(other.status).toBe(404);
    const post = await fetch(metricsUrl, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('counts orders, fills, denials, latency and requests as the API is used', async () => {
    const before = (await scrape()).samples;
    const orders = (status: string, s: readonly PromSample[]) =>
      sampleValue(s, METRICS.orders.name, { venue: 'PAPER', status }) ?? 0;
    const acceptedBefore = orders('ACCEPTED', before);

    const placed = await placeOrder({ quantity: '0.01' });
    expect(placed.status).toBe(201);
    const id = placed.json.clientOrderId as string;
    expect((await call('GET', `/orders/${id}`, { token: t.token })).status).toBe(200);

    const denied = await placeOrder({ quantity: '1000000000' });
    expect(denied.status).toBe(422);
    const reason = denied.json.code as string;

    const after = await until(
      async () => {
        const { samples } = await scrape();
        return (sampleValue(samples, METRICS.fills.name, { venue: 'PAPER' }) ?? 0) >= 1 && samples;
      },
      30_000,
      'a fill counted',
    );
    expect(orders('ACCEPTED', after)).toBe(acceptedBefore + 1);
    expect(orders('SUBMITTED', after)).toBeGreaterThanOrEqual(1);
    expect(orders('FILLED', after)).toBeGreaterThanOrEqual(1);
    expect(orders('DENIED', after)).toBe(orders('DENIED', before) + 1);
    expect(sampleValue(after, METRICS.denials.name, { reason })).toBe(
      (sampleValue(before, METRICS.denials.name, { reason }) ?? 0) + 1,
    );
    const latency = `${METRICS.orderLatency.name}_count`;
    expect(sampleValue(after, latency, { venue: 'PAPER' })).toBe(
      (sampleValue(before, latency, { venue: 'PAPER' }) ?? 0) + 1,
    );

    const http = `${METRICS.httpDuration.name}_count`;
    expect(sampleValue(after, http, { method: 'POST', route: '/orders', status_code: '201' })).toBe(
      1,
    );
    expect(sampleValue(after, http, { method: 'POST', route: '/orders', status_code: '422' })).toBe(
      1,
    );
    expect(
      sampleValue(after, http, {
        method: 'GET',
        route: '/orders/:id',
        status_code: '200',
      }),
    ).toBe(1);
    // The concrete id is never a label value.
    expect(after.some((s) => Object.values(s.labels).some((v) => v.includes(id)))).toBe(false);
    // What the OMS holds: an order resting far below the market stays held (the filled one is
    // released 10 minutes of the replay's market time after it closed, which may be a second).
    const resting = await placeOrder({ quantity: '0.01', type: 'LIMIT', price: '1' });
    expect(resting.status).toBe(201);
    await until(
      async () => (sampleValue((await scrape()).samples, METRICS.omsOrdersHeld.name) ?? 0) >= 1,
      10_000,
      'the orders held sampled',
    );
  }, 60_000);

  it('labels a path that matched no route with one fixed value, never the URL', async () => {
    const made = `/nothing-here-${Date.now()}`;
    expect((await call('GET', made)).status).toBe(404);
    const { text, samples } = await scrape();
    expect(text).not.toContain(made);
    expect(
      sampleValue(samples, `${METRICS.httpDuration.name}_count`, {
        route: '(no route)',
        status_code: '404',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('shows the kill switch per scope kind: the server, each account, user and strategy, counted', async () => {
    const ks = async (scope: string, state = 'HALTED') =>
      value(METRICS.killSwitch.name, { scope, state });
    const all = async () => [await ks('global'), await ks('account'), await ks('strategy')];
    expect(await all()).toEqual([0, 0, 0]);
    const accountIds: string[] = [];
    for (const name of ['ks-a', 'ks-b']) {
      const made = await call('POST', '/accounts', {
        token: t.token,
        body: { name, startingCash: '1000' },
      });
      expect(made.status).toBe(201);
      accountIds.push((made.json as { id: string }).id);
    }
    const risk = (action: string, body: Record<string, unknown>) =>
      call('POST', `/risk/${action}`, { token: t.tokens.risk, body });
    // One account halted: the account scope says 1, the server's own switch stays 0 (an
    // account's halt was once shown as the server's, and two accounts overwrote each other).
    expect((await risk('halt', { accountId: accountIds[0], reason: 'metrics test' })).status).toBe(
      200,
    );
    expect(await all()).toEqual([0, 1, 0]);
    expect((await risk('halt', { accountId: accountIds[1], reason: 'metrics test' })).status).toBe(
      200,
    );
    expect(await all()).toEqual([0, 2, 0]);
    expect(
      (await risk('reduce', { strategyId: 'ks-strategy', reason: 'metrics test' })).status,
    ).toBe(200);
    expect(await ks('strategy', 'REDUCING')).toBe(1);
    expect((await risk('halt', { reason: 'metrics test' })).status).toBe(200);
    expect(await all()).toEqual([1, 2, 0]);
    expect((await risk('resume', {})).status).toBe(200);
    expect((await risk('resume', { accountId: accountIds[0] })).status).toBe(200);
    expect(await all()).toEqual([0, 1, 0]);
    // A user's own switch is its own scope kind, not an account's or the server's.
    const user = { userId: t.users.trader.id };
    expect((await risk('halt', { ...user, reason: 'metrics test' })).status).toBe(200);
    expect([...(await all()), await ks('user')]).toEqual([0, 1, 0, 1]);
    expect((await risk('resume', user)).status).toBe(200);
    expect(await ks('user')).toBe(0);
    for (const body of [{ accountId: accountIds[1] }, { strategyId: 'ks-strategy' }])
      expect((await risk('resume', body)).status).toBe(200);
    expect([...(await all()), await ks('strategy', 'REDUCING')]).toEqual([0, 0, 0, 0]);
  });

  it('counts WebSocket clients, DB commits, pool connections, login cache look-ups', async () => {
    const ws = new WebSocket(`${t.server.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    await until(async () => (await value(METRICS.wsClients.name)) === 1, 5_000, 'a client');
    ws.close();
    await until(async () => (await value(METRICS.wsClients.name)) === 0, 5_000, 'no client');
    expect(await value(METRICS.wsDropped.name)).toBe(0);

    const { samples } = await scrape();
    expect(sampleValue(samples, `${METRICS.dbCommit.name}_count`)).toBeGreaterThan(0);
    expect(sampleValue(samples, METRICS.dbPool.name, { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, METRICS.dbPool.name, { state: 'waiting' })).toBe(0);
    // Five users logged in: each second factor found its challenge.
    expect(
      sampleValue(samples, METRICS.cacheRequests.name, { cache: 'login', result: 'hit' }),
    ).toBeGreaterThanOrEqual(5);
    expect(sampleValue(samples, METRICS.venueConnected.name, { venue: 'PAPER' })).toBe(2);
    expect(sampleValue(samples, METRICS.unresolvedOrders.name)).toBe(0);
    expect(
      sampleValue(samples, METRICS.reconciliations.name, { venue: 'PAPER', result: 'clean' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, RUNTIME_METRICS.eventLoopLagP99)).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, RUNTIME_METRICS.heapUsed)).toBeGreaterThan(0);
  });

  it('passes `promtool check metrics` with no problem reported', async () => {
    const { text } = await scrape();
    const check = await promtoolCheckMetrics(text);
    expect(check.output).toBe('');
    expect(check).toMatchObject({ ok: true, code: 0 });
  }, 120_000);
});
