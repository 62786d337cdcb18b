import path from 'node:path';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { startLiveSim } from '../../support/ccxt-sim.js';
import { openLiveAccount } from '../../support/live-account.js';
import { addToCatalog } from '../../support/strategy-catalog.js';
import { until } from '../../support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

/** The venue's clock runs this far ahead of ours (a signed request stamped in ours is refused). */
const VENUE_AHEAD_MS = 30_000;

/**
 * Issue 15, instruments on demand (`docs/decisions/accounts.md`, "Instruments on demand"), with
 * ccxt's real `binance` class against the simulator, which lists 25 markets (it trades BTC/USDT;
 * the others are listed only) and runs its clock 30 s ahead of ours: `kairos serve --venue binance`
 * with no `--venue-symbol` starts, an account opens without subscribing any bars, any listed
 * symbol is taken from the venue's markets at its first order or strategy (its tick, lot,
 * minimums), its bars subscribed then and released after the last holder; an unlisted symbol is a
 * 422 naming the venue and symbol with nothing stored; a markets refresh brings a new tick to the
 * accounts (the next order snaps to it, an open order stays); the clock offset is measured and
 * signed requests are stamped in venue time.
 */
describe('instruments on demand in kairos serve', () => {
  let sim: BinanceSim;
  let t: TestServer;
  let server: RunningServer;
  let keys = 0;

  beforeAll(async () => {
    sim = await startLiveSim({
      clock: { now: () => Date.now() + VENUE_AHEAD_MS },
      listed: Array.from({ length: 24 }, (_, i) => ({
        symbol: `C${i}/USDT`,
        tickSize: '0.5',
        stepSize: '0.1',
      })),
    });
    t = await startTestServer({
      venues: [{ id: 'binance', url: sim.url }],
      liveConfirmEveryMs: 200,
    });
    server = t.server;
    addToCatalog(path.join(t.home, 'strategies'), 'examples/strategies/sma-cross.ts', 'sma-cross');
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });

  const call = (method: string, route: string, body?: unknown, token = t.token) =>
    apiCall(server.url, method, route, {
      token,
      ...(body === undefined ? {} : { body }),
      headers: { 'idempotency-key': `vi-${keys++}` },
    });
  const userCall = (method: string, route: string, body?: unknown) => call(method, route, body);
  const klines = () => sim.state.subscriptions().filter((s) => s.includes('@kline'));
  const ordersOf = async (accountId: string) =>
    (await call('GET', `/orders?accountId=${accountId}`)).json.orders as Json[];
  const atVenue = (clientOrderId: string) =>
    sim.state.orders().find((o) => o.clientOrderId === clientOrderId);
  const limitBuy = (accountId: string, instrumentId: string, price: string, quantity = '0.001') =>
    call('POST', '/orders', {
      accountId,
      instrumentId,
      side: 'BUY',
      type: 'LIMIT',
      price,
      quantity,
    });

  it('measures the venue clock and stamps a live account’s signed requests in venue time', async () => {
    const skew = server.venues!.clockSkew('binance');
    expect(skew).not.toBeNull();
    expect(Math.abs(skew!.offsetMs - VENUE_AHEAD_MS)).toBeLessThan(5_000);
    // Reported as `kairos live` reports it: a line naming the offset.
    expect(t.logs.some((l) => l.includes('clock is') && l.includes('behind the venue'))).toBe(true);
  });

  it('takes any listed symbol on a live account at its first order, and refuses an unlisted one naming it', async () => {
    const { account } = await openLiveAccount(userCall, sim);
    expect(account.status).toBe(201);
    const id = account.json.id as string;
    // Opening it subscribed nothing: no bars are needed yet.
    expect(klines()).toEqual([]);

    // BTC/USDT: its rules from the venue's markets (tick 0.01: a buy snaps down), sent, open there.
    const first = await limitBuy(id, 'BTC/USDT', '20000.019');
    expect([first.status, first.json.price]).toEqual([201, '20000.01']);
    await until(
      () => atVenue(first.json.clientOrderId)?.status === 'NEW',
      10_000,
      'the order open at the venue',
    );
    await until(() => klines().length === 1, 10_000, 'BTC/USDT’s bars subscribed at first need');

    // A symbol the venue lists: its own grid (tick 0.5, lot 0.1), and it reaches the venue (which
    // lists it without trading it: "Market is closed.").
    const listed = await limitBuy(id, 'C3/USDT', '10.7', '1.25');
    expect([listed.status, listed.json.price, listed.json.quantity]).toEqual([201, '10.5', '1.2']);
    await until(
      async () => {
        const o = (await ordersOf(id)).find((x) => x.clientOrderId === listed.json.clientOrderId);
        return o?.status === 'REJECTED' && o;
      },
      10_000,
      'the venue’s answer to the C3/USDT order',
    );
    expect(
      (await ordersOf(id)).find((x) => x.clientOrderId === listed.json.clientOrderId).reason,
    ).toBe('VENUE_MARKET_CLOSED');

    // Not listed: 422 naming the venue and the symbol; nothing stored, nothing sent.
    const before = (await ordersOf(id)).length;
    const sent = sim.state.requests.get('POST /api/v3/order') ?? 0;
    const unlisted = await limitBuy(id, 'NOPE/USDT', '1');
    expect([unlisted.status, unlisted.json.code]).toEqual([422, 'UNKNOWN_INSTRUMENT']);
    expect(unlisted.json.detail).toContain('binance');
    expect(unlisted.json.detail).toContain('NOPE/USDT');
    expect(await ordersOf(id)).toHaveLength(before);
    expect(sim.state.requests.get('POST /api/v3/order') ?? 0).toBe(sent);

    // The venue changes BTC/USDT's tick; once the markets are loaded again, the next order snaps
    // to the new grid and the venue accepts it; the open order keeps its price.
    sim.setFilters({ tickSize: '0.1' });
    const stale = await limitBuy(id, 'BTC/USDT', '20000.05');
    expect([stale.status, stale.json.price]).toEqual([201, '20000.05']);
    await until(
      async () =>
        (await ordersOf(id)).find((o) => o.clientOrderId === stale.json.clientOrderId)?.status ===
        'REJECTED',
      10_000,
      'the venue refusing a price off its new tick',
    );
    await server.venues!.refreshMarkets('binance');
    const fresh = await limitBuy(id, 'BTC/USDT', '20000.05');
    expect([fresh.status, fresh.json.price]).toEqual([201, '20000']);
    await until(
      () => atVenue(fresh.json.clientOrderId)?.status === 'NEW',
      10_000,
      'accepted on the new tick',
    );
    expect(atVenue(first.json.clientOrderId)).toMatchObject({ status: 'NEW' });
    expect(
      (await ordersOf(id)).find((o) => o.clientOrderId === first.json.clientOrderId).price,
    ).toBe('20000.01');

    // Flat, no open order: closed, and the last holder of BTC/USDT's bars lets them go.
    for (const o of [first, fresh])
      expect((await call('DELETE', `/orders/${o.json.clientOrderId}`)).status).toBe(202);
    await until(
      async () => (await call('DELETE', `/accounts/${id}`)).status === 200,
      20_000,
      'the live account closed',
    );
    await until(() => klines().length === 0, 10_000, 'the bars released after the last account');
  }, 90_000);

  it('holds a symbol’s bars for a strategy while it runs, and refuses an unlisted instrumentId', async () => {
    const quant = t.tokens.quant;
    const a = await call(
      'POST',
      '/accounts',
      { name: 'q-venue', venue: 'binance', startingCash: '100000' },
      quant,
    );
    expect(a.status).toBe(201);
    expect(klines()).toEqual([]);
    const listBefore = (await call('GET', '/strategies', undefined, quant)).json.instances;
    const refused = await call(
      'POST',
      '/strategies/sma-cross/start',
      { accountId: a.json.id, instrumentId: 'NOPE/USDT', params: { fast: 3, slow: 8 } },
      quant,
    );
    expect([refused.status, refused.json.code]).toEqual([422, 'UNKNOWN_INSTRUMENT']);
    expect(refused.json.detail).toContain('NOPE/USDT');
    expect((await call('GET', '/strategies', undefined, quant)).json.instances).toEqual(listBefore);
    expect(klines()).toEqual([]);

    const started = await call(
      'POST',
      '/strategies/sma-cross/start',
      {
        accountId: a.json.id,
        instrumentId: 'BTC/USDT',
        params: { fast: 3, slow: 8, size: '0.01' },
      },
      quant,
    );
    expect([started.status, started.json.instrumentId]).toEqual([201, 'BTC/USDT']);
    await until(() => klines().length === 1, 10_000, 'the strategy’s bars subscribed');
    expect(
      (await call('POST', `/strategies/instances/${started.json.id}/stop`, undefined, quant))
        .status,
    ).toBe(200);
    // The account itself placed no order on it: its bars go with the strategy.
    await until(() => klines().length === 0, 10_000, 'the bars released after the strategy');
  }, 60_000);
});
