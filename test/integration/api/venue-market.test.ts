import path from 'node:path';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { simExchange, startLiveSim } from '../../support/ccxt-sim.js';
import { addToCatalog } from '../../support/strategy-catalog.js';
import { until } from '../../support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

/**
 * Issue 15, market data on demand, against the Binance simulator (ccxt's real class): a venue's
 * bars are subscribed when the first account needs them and released after the last; a paper
 * account on the venue fills on the venue's market; `GET /candles?venue=` is backfilled from the
 * venue into the store and answered from there (also once the venue is gone); a venue or
 * instrument the server does not have is refused with a stable code naming it.
 */
describe('market data on demand in kairos serve', () => {
  let sim: BinanceSim;
  let t: TestServer;
  let server: RunningServer;
  let keys = 0;

  beforeAll(async () => {
    sim = await startLiveSim();
    t = await startTestServer({ venues: [{ id: 'binance', url: sim.url }] });
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
      headers: { 'idempotency-key': `vm-${keys++}` },
    });
  const klines = () => sim.state.subscriptions().filter((s) => s.includes('@kline'));

  it('subscribes a venue’s bars at an account’s first order, fills a paper account there, and releases them after the last', async () => {
    // Nobody needs the venue's bars yet: only its markets are loaded.
    expect(klines()).toEqual([]);
    const a = await call('POST', '/accounts', {
      name: 'on-venue',
      venue: 'binance',
      startingCash: '50000',
    });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ mode: 'paper', venue: 'binance', currency: 'USDT' });
    // Opened, it needs no bars yet: they are subscribed at its first order.
    expect(klines()).toEqual([]);

    // It trades on the venue's market: filled at the venue's price (BTC near 30,000); nothing is
    // sent to the venue.
    let placed: Json = null;
    await until(
      async () => {
        placed = await call('POST', '/orders', {
          accountId: a.json.id,
          instrumentId: 'BTC/USDT',
          side: 'BUY',
          type: 'MARKET',
          quantity: '0.1',
        });
        return placed.status === 201;
      },
      20_000,
      'an order accepted (its reference price: the venue’s last close)',
    );
    // The subscription frame reaches the venue's socket after the answer, not before it.
    await until(() => klines().length > 0, 10_000, 'the venue’s bars subscribed');
    expect(klines()).toHaveLength(1);
    const fills = await until(
      async () => {
        const f = (await call('GET', `/fills?accountId=${a.json.id}`)).json.fills as Json[];
        return f.length > 0 && f;
      },
      20_000,
      'the fill on the venue’s next bar',
    );
    expect(Number(fills[0].price)).toBeGreaterThan(1000);
    expect(sim.state.orders()).toEqual([]);
    // Another instrument than the venue lists: named.
    const other = await call('POST', '/orders', {
      accountId: a.json.id,
      instrumentId: 'ETH/USDT',
      side: 'BUY',
      type: 'MARKET',
      quantity: '1',
    });
    expect([other.status, other.json.code]).toEqual([422, 'UNKNOWN_INSTRUMENT']);
    expect(other.json.detail).toContain('ETH/USDT');

    // A second account on the venue shares the subscription.
    const b = await call('POST', '/accounts', {
      name: 'second',
      venue: 'binance',
      startingCash: '1000',
    });
    expect(b.status).toBe(201);
    expect(klines()).toHaveLength(1);
    // It holds the bars too once it trades the symbol: a resting buy far below the market.
    const resting = await call('POST', '/orders', {
      accountId: b.json.id,
      instrumentId: 'BTC/USDT',
      side: 'BUY',
      type: 'LIMIT',
      price: '1000',
      quantity: '0.01',
    });
    expect(resting.status).toBe(201);
    // Sold flat, the first one closes; the second still needs the bars.
    const sell = await call('POST', '/orders', {
      accountId: a.json.id,
      instrumentId: 'BTC/USDT',
      side: 'SELL',
      type: 'MARKET',
      quantity: (await call('GET', `/positions?accountId=${a.json.id}`)).json.positions[0].quantity,
    });
    expect(sell.status).toBe(201);
    await until(
      async () => (await call('DELETE', `/accounts/${a.json.id}`)).status === 200,
      20_000,
      'the first account flat and closed',
    );
    expect(klines()).toHaveLength(1);
    // The last one closed: released.
    expect((await call('DELETE', `/orders/${resting.json.clientOrderId}`)).status).toBe(202);
    await until(
      async () => (await call('DELETE', `/accounts/${b.json.id}`)).status === 200,
      20_000,
      'the second account closed',
    );
    await until(() => klines().length === 0, 10_000, 'the venue’s bars released');
  }, 90_000);

  it('feeds a strategy on a paper account on the venue the venue’s bars, not the replay’s', async () => {
    const quant = t.tokens.quant;
    const a = await call(
      'POST',
      '/accounts',
      { name: 'q-venue', venue: 'binance', startingCash: '100000' },
      quant,
    );
    expect(a.status).toBe(201);
    const started = await call(
      'POST',
      '/strategies/sma-cross/start',
      { accountId: a.json.id, params: { fast: 3, slow: 8, size: '0.01' } },
      quant,
    );
    expect([started.status, started.json.instrumentId]).toEqual([201, 'BTC/USDT']);
    // The venue's bar times (its market runs ahead of the clock); the replay's are years old.
    const venueNow = sim.market.now();
    const seen = new Set<number>();
    await until(
      async () => {
        const s = (
          await call('GET', `/strategies/instances/${started.json.id}/state`, undefined, quant)
        ).json;
        if (s.lastBarAt !== null) seen.add(s.lastBarAt);
        return seen.size >= 3;
      },
      20_000,
      'three venue bars heard',
    );
    // Within a venue day of its now (warm-up bars included, however late the first read comes on
    // a loaded machine: the market runs 600x); the replay's are years before.
    for (const ts of seen) expect(ts).toBeGreaterThan(venueNow - 86_400_000);
    expect(
      (await call('POST', `/strategies/instances/${started.json.id}/stop`, undefined, quant))
        .status,
    ).toBe(200);
  }, 60_000);

  it('answers GET /candles of a venue from the venue and the store; names what it does not have', async () => {
    const got = await call('GET', '/candles?venue=binance&instrumentId=BTC/USDT&limit=5');
    expect(got.status).toBe(200);
    const candles = got.json.candles as Json[];
    expect(candles).toHaveLength(5);
    // The venue's own bars, closed, in order.
    const ex = await simExchange(sim);
    const venueBars = new Map(
      (await ex.fetchOHLCV('BTC/USDT', '1m', undefined, 50)).map((r) => [r[0], r]),
    );
    await ex.close();
    for (const c of candles) {
      const v = venueBars.get(c.openTime)!;
      expect([c.open, c.high, c.low, c.close, c.volume]).toEqual(v.slice(1));
      expect(c.closeTime - c.openTime).toBe(60_000);
    }
    expect(candles.map((c) => c.openTime)).toEqual([...candles.map((c) => c.openTime)].sort());

    const bad = [
      ['/candles?venue=kraken&instrumentId=BTC/USDT', 'VENUE_NOT_CONFIGURED', 'kraken'],
      ['/candles?venue=binance&instrumentId=DOGE/EUR', 'UNKNOWN_INSTRUMENT', 'DOGE/EUR'],
      ['/candles?instrumentId=DOGE/EUR', 'UNKNOWN_INSTRUMENT', 'DOGE/EUR'],
    ] as const;
    for (const [route, code, named] of bad) {
      const r = await call('GET', route);
      expect([r.status, r.json.code]).toEqual([422, code]);
      expect(r.type).toMatch(/^application\/problem\+json/);
      expect(r.json.detail).toContain(named);
    }

    // The venue gone: what was fetched is still there, from the store.
    await sim.close();
    const stored = await call('GET', '/candles?venue=binance&instrumentId=BTC/USDT&limit=1000');
    expect(stored.status).toBe(200);
    const byTime = new Map((stored.json.candles as Json[]).map((c) => [c.openTime, c]));
    for (const c of candles) expect(byTime.get(c.openTime)).toEqual(c);
  }, 90_000);
});
