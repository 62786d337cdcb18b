import path from 'node:path';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { submitRequest } from '../../../src/trading/strategy/strategy-runner.js';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { startLiveSim } from '../../support/ccxt-sim.js';
import { openLiveAccount } from '../../support/live-account.js';
import { addToCatalog } from '../../support/strategy-catalog.js';
import { until } from '../../support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

const WINDOW_MS = 10_000;
const LIMIT = 5;
const QUANT = { apiKey: 'quant-key', secret: 'quant-secret' };
const TRADER = { apiKey: 'trader-key', secret: 'trader-secret' };

/** The most orders the venue received within any window of the venue's order rate. */
const busiestWindow = (committedAt: readonly number[]) =>
  Math.max(
    0,
    ...committedAt.map((t) => committedAt.filter((u) => u > t - WINDOW_MS && u <= t).length),
  );

/**
 * A live account's venue order rate counts every new order of the account, a strategy's as well
 * as the API's, in one window (docs/decisions/order-rate.md): past it a strategy's order is denied
 * `VENUE_ORDER_RATE` (its ticket and its `OrderDenied` event say so, the order is stored denied and
 * logged as a denial, nothing is sent), and an API order is answered 429 with `Retry-After`.
 */
describe('the venue order rate counts the strategies’ orders too', () => {
  let sim: BinanceSim;
  let t: TestServer;

  beforeAll(async () => {
    sim = await startLiveSim({
      ordersPer10s: LIMIT,
      accounts: [
        { ...QUANT, balances: { BTC: '0', USDT: '1000000' } },
        { ...TRADER, balances: { BTC: '0', USDT: '1000000' } },
      ],
    });
    t = await startTestServer({ venues: [{ id: 'binance', url: sim.url }] });
    addToCatalog(path.join(t.home, 'strategies'), 'test/fixtures/strategies/burst.ts', 'burst');
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
    await sim?.close();
  });

  const as =
    (token: string) =>
    (method: string, route: string, body?: unknown, headers?: Record<string, string>) =>
      apiCall(t.server.url, method, route, {
        token,
        ...(body === undefined ? {} : { body }),
        ...(headers ? { headers } : {}),
      });

  it('denies a bursting strategy’s orders past the venue’s limit: it sees the denial, the venue never more than the limit', async () => {
    const call = as(t.tokens.quant);
    const { account } = await openLiveAccount(call, QUANT);
    expect([account.status, account.json.venueStatus?.venue]).toEqual([201, 'UP']);
    const started = await call('POST', '/strategies/burst/start', {
      accountId: account.json.id,
      params: { orders: 3 },
    });
    expect(started.status).toBe(201);
    const id = started.json.id as string;
    const state = await until(
      async () => {
        const s = (await call('GET', `/strategies/instances/${id}/state`)).json.state as Json;
        return (s?.denied?.VENUE_ORDER_RATE ?? 0) >= 1 && s;
      },
      30_000,
      'the strategy told of a VENUE_ORDER_RATE denial',
    );
    expect((await call('POST', `/strategies/instances/${id}/stop`)).status).toBe(200);
    // In-process the ticket says it at once; the event says it in every runtime.
    expect(state.refused.VENUE_ORDER_RATE).toBeGreaterThanOrEqual(1);
    expect(Object.keys(state.refused)).toEqual(['VENUE_ORDER_RATE']);
    expect(Object.keys(state.denied)).toEqual(['VENUE_ORDER_RATE']);

    const venue = sim.state.account(QUANT.apiKey)!;
    const stored = (await call('GET', `/orders?accountId=${account.json.id}&limit=500`)).json
      .orders as Json[];
    const denied = stored.filter((o) => o.status === 'DENIED');
    expect(denied.length).toBeGreaterThanOrEqual(1);
    expect(denied.every((o) => o.reason === 'VENUE_ORDER_RATE')).toBe(true);
    // Each denied order was never sent; every other one reached the venue.
    const sent = stored.filter((o) => o.status !== 'DENIED').map((o) => o.clientOrderId);
    await until(() => venue.orders().length === sent.length, 20_000, 'the admitted at the venue');
    expect(
      venue
        .orders()
        .map((o) => o.clientOrderId)
        .sort(),
    ).toEqual(sent.sort());
    expect(busiestWindow(venue.orders().map((o) => o.committedAt))).toBeLessThanOrEqual(LIMIT);
    // Logged as a denial (and journaled, so audited, as every order event).
    expect(
      t.logs.some((l) => l.includes('order denied by risk') && l.includes('VENUE_ORDER_RATE')),
    ).toBe(true);
  }, 60_000);

  it('counts API orders and a strategy’s orders on one account in the one window', async () => {
    const call = as(t.token);
    const { account } = await openLiveAccount(call, TRADER);
    expect(account.status).toBe(201);
    const accountId = account.json.id as string;
    const place = (key: string) =>
      call(
        'POST',
        '/orders',
        {
          accountId,
          instrumentId: 'BTC/USDT',
          side: 'BUY',
          type: 'LIMIT',
          quantity: '0.02',
          price: '1000',
        },
        { 'idempotency-key': key },
      );
    const started = Date.now();
    for (const k of ['a-1', 'a-2', 'a-3']) expect((await place(k)).status).toBe(201);
    // A strategy's orders on the same account, as the strategy runner submits them.
    const core = t.server.accountCore(accountId)!;
    const services = core.strategyServices('rate-s', Math.random, () => undefined);
    const inst = core.instrument('BTC/USDT')!;
    const tickets = ['s-1', 's-2', 's-3'].map((id) =>
      submitRequest(
        services,
        'rate-s',
        { side: 'BUY', type: 'LIMIT', quantity: '0.02', price: '1000' },
        inst,
        id,
        core.clock.now(),
      ),
    );
    expect(tickets.map((x) => [x.accepted, x.reason])).toEqual([
      [true, null],
      [true, null],
      [false, 'VENUE_ORDER_RATE'],
    ]);
    const refused = await place('a-4');
    // The test only holds if these went in one window.
    expect(Date.now() - started).toBeLessThan(WINDOW_MS);
    expect([refused.status, refused.json.code]).toEqual([429, 'VENUE_ORDER_RATE']);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const venue = sim.state.account(TRADER.apiKey)!;
    await until(() => venue.orders().length === LIMIT, 20_000, 'the 5 admitted at the venue');
    expect(venue.orders().map((o) => o.clientOrderId)).not.toContain('s-3');
  }, 60_000);
});
