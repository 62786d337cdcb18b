import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { startLiveSim } from '../../support/ccxt-sim.js';
import { until } from '../../support/until.js';

/**
 * A live account's new orders against its venue's order rate (docs/decisions/order-rate.md):
 * the simulator advertises an `ORDERS` limit (5 per 10 s here; Binance's is 100); the server admits that many
 * in a window and answers the next new order at once with 429 `VENUE_ORDER_RATE` and `Retry-After` (never
 * held, never stored, never sent); another account is not affected.
 */
describe('the venue order rate of a live account', () => {
  let sim: BinanceSim;
  let t: TestServer;

  beforeAll(async () => {
    sim = await startLiveSim({ ordersPer10s: 5 });
    t = await startTestServer({ quiet: true, venues: [{ id: 'binance', url: sim.url }] });
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
    await sim?.close();
  });

  it('admits the venue’s 5 orders per 10 s, refuses the next with 429 and Retry-After, sends nothing for it, answers a retry of a placed order with it', async () => {
    const call = (...a: Parameters<typeof apiCall> extends [string, ...infer R] ? R : never) =>
      apiCall(t.server.url, ...a);
    const cred = await call('POST', '/credentials', {
      token: t.token,
      body: { venue: 'binance', label: 'rate', apiKey: sim.apiKey, secret: sim.secret },
    });
    const acc = await call('POST', '/accounts', {
      token: t.token,
      body: { name: 'rate', mode: 'live', venue: 'binance', credentialId: cred.json.id },
    });
    expect(acc.status).toBe(201);
    const paper = await call('POST', '/accounts', {
      token: t.token,
      body: { name: 'side', startingCash: '1000' },
    });
    const place = (accountId: string, key: string, instrumentId = 'BTC/USDT') =>
      call('POST', '/orders', {
        token: t.token,
        headers: { 'idempotency-key': key },
        body: {
          accountId,
          instrumentId,
          side: 'BUY',
          type: 'LIMIT',
          quantity: '0.02',
          price: '1000',
        },
      });
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, j) => place(acc.json.id, `r-${j}`)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(5).fill(201));

    const refused = await place(acc.json.id, 'r-5');
    // The test only holds if the 6 went in one window.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect([refused.status, refused.json.code]).toEqual([429, 'VENUE_ORDER_RATE']);
    expect(refused.json.detail).toMatch(/5 orders per 10 s/);
    const wait = Number(refused.headers['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(10);
    // Nothing stored for it, and only the 20 reach the venue.
    const stored = await call('GET', `/orders?accountId=${acc.json.id}&limit=500`, {
      token: t.token,
    });
    expect(stored.json.orders).toHaveLength(5);
    await until(() => sim.state.orders().length === 5, 20_000, 'the 5 admitted at the venue');
    expect(sim.state.orders()).toHaveLength(5);
    // A retry of a placed order (same key) while the window is full is answered with that order.
    const retried = await place(acc.json.id, 'r-0');
    expect([retried.status, retried.json.id]).toEqual([200, answers[0]!.json.id]);
    expect(sim.state.orders()).toHaveLength(5);
    // A paper account has no venue order rate.
    const other = await place(paper.json.id, 'p-1', 'BTC/X');
    expect(other.status).toBe(201);
  }, 60_000);
});
