import { PUBLIC_ROUTES } from '../../../src/simulators/okx/public-routes.js';
import { okxSign } from '../../../src/simulators/okx/signature.js';
import { TRADE_ROUTES } from '../../../src/simulators/okx/trade-routes.js';
import type { OkxSim } from '../../../src/simulators/okx/server.js';
import { okxExchange, startOkxSim } from '../../support/okx-sim.js';

const SYMBOL = 'BTC/USDT';

/** A raw signed request, as OKX's docs describe the headers. */
async function signed(
  sim: OkxSim,
  method: 'GET' | 'POST',
  requestPath: string,
  body = '',
  over: Record<string, string> = {},
): Promise<{ status: number; json: { code: string; msg: string; data: unknown[] } }> {
  const ts = new Date().toISOString();
  const res = await fetch(sim.url + requestPath, {
    method,
    body: method === 'POST' ? body : undefined,
    headers: {
      'Content-Type': 'application/json',
      'OK-ACCESS-KEY': sim.key.apiKey,
      'OK-ACCESS-PASSPHRASE': sim.key.passphrase,
      'OK-ACCESS-TIMESTAMP': ts,
      'OK-ACCESS-SIGN': okxSign(sim.key.secret, ts + method + requestPath + body),
      ...over,
    },
  });
  return { status: res.status, json: (await res.json()) as never };
}

/**
 * OKX API v5's documented limit of each endpoint the simulator serves (each endpoint's "Rate
 * Limit" line: requests per 2 s, or per second for `asset/currencies`; orders per 2 s for
 * `batch-orders`). ccxt's `okx` encodes the same (its per-endpoint costs at 100 ms a unit:
 * `asset/currencies` 5/3, i.e. 6 per second).
 */
const DOCUMENTED: Readonly<Record<string, string>> = {
  'GET /api/v5/public/time': '10 per 2 s',
  'GET /api/v5/public/instruments': '20 per 2 s',
  'GET /api/v5/market/candles': '40 per 2 s',
  'GET /api/v5/market/history-candles': '20 per 2 s',
  'GET /api/v5/market/trades': '100 per 2 s',
  'GET /api/v5/market/ticker': '20 per 2 s',
  'GET /api/v5/account/balance': '10 per 2 s',
  'GET /api/v5/asset/currencies': '6 per 1 s',
  'POST /api/v5/trade/order': '60 per 2 s',
  'POST /api/v5/trade/batch-orders': '300 per 2 s',
  'POST /api/v5/trade/cancel-order': '60 per 2 s',
  'GET /api/v5/trade/order': '60 per 2 s',
  'GET /api/v5/trade/orders-pending': '60 per 2 s',
  'GET /api/v5/trade/fills-history': '10 per 2 s',
  'GET /api/v5/trade/fills': '60 per 2 s',
};

describe("the OKX simulator's limits", () => {
  it("are OKX's documented ones, endpoint by endpoint", () => {
    const served = Object.fromEntries(
      [...PUBLIC_ROUTES, ...TRADE_ROUTES].map((r) => [
        `${r.method} ${r.path}`,
        `${r.limit} per ${r.windowMs / 1000} s`,
      ]),
    );
    expect(served).toEqual(DOCUMENTED);
  });
});

describe('OKX simulator through ccxt okx', () => {
  let sim: OkxSim;
  afterEach(async () => {
    await sim.close();
  });

  it('serves time, instruments, candles, trades, balance, orders and fills as ccxt okx reads them', async () => {
    sim = await startOkxSim();
    const ex = await okxExchange(sim);
    expect(Math.abs((await ex.fetchTime())! - Date.now())).toBeLessThan(5000);
    await ex.loadMarkets();
    // Spot only (exchange-factory's options): one instruments request, not five.
    expect(sim.state.requests.get('GET /api/v5/public/instruments')).toBe(1);
    expect(ex.market(SYMBOL)).toMatchObject({
      id: 'BTC-USDT',
      spot: true,
      precision: { amount: 0.0001, price: 0.01 },
      limits: { amount: { min: 0.001 } },
    });
    const last = sim.market.bar(599);
    const candles = await ex.fetchOHLCV(SYMBOL, '1m', undefined, 3);
    expect(candles.at(-1)).toEqual([
      last.openTime,
      last.open,
      last.high,
      last.low,
      last.close,
      last.volume,
    ]);
    const since = sim.market.bar(100).openTime;
    const fives = await ex.fetchOHLCV(SYMBOL, '5m', since, 3);
    const t5 = Math.ceil(since / 300_000) * 300_000; // OKX's 5m candles start on the 5 minutes
    expect(fives.map((c) => c[0])).toEqual([t5, t5 + 300_000, t5 + 600_000]);
    const trades = await ex.fetchTrades(SYMBOL, undefined, 3);
    expect(trades.map((t) => Number(t.id))).toEqual([2398, 2399, 2400]);
    expect((await ex.fetchBalance()).total).toMatchObject({ BTC: 10000, USDT: 1000000000 });

    const limit = await ex.createOrder(SYMBOL, 'limit', 'buy', 0.5, 20000, { clientOrderId: 'a1' });
    expect(limit).toMatchObject({ clientOrderId: 'a1' });
    await ex.createOrder(SYMBOL, 'market', 'buy', 0.5, undefined, { clientOrderId: 'a2' });
    const filled = await ex.fetchOrder('', SYMBOL, { clientOrderId: 'a2' });
    expect(filled).toMatchObject({
      status: 'closed',
      filled: 0.5,
      fee: { cost: 0.0005, currency: 'BTC' },
    });
    expect((await ex.fetchOpenOrders(SYMBOL)).map((o) => o.id)).toEqual([limit.id]);
    await ex.cancelOrder('', SYMBOL, { clientOrderId: 'a1' });
    expect(await ex.fetchOrder(String(limit.id), SYMBOL)).toMatchObject({ status: 'canceled' });
    const mine = await ex.fetchMyTrades(SYMBOL, Date.now() - 7 * 86_400_000);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      order: filled.id,
      amount: 0.5,
      fee: { cost: 0.0005, currency: 'BTC' },
    });
    expect(mine[0]!.info).toMatchObject({ fee: '-0.00050000', feeCcy: 'BTC', clOrdId: 'a2' });

    // OKX's refusals, as ccxt's exceptions.
    await expect(
      ex.createOrder(SYMBOL, 'limit', 'buy', 0.5, 20000, { clientOrderId: 'a-3' }),
    ).rejects.toThrow(/51000.*clOrdId/);
    await expect(
      ex.createOrder(SYMBOL, 'limit', 'buy', 0.5, 20000, { clientOrderId: 'a1' }),
    ).rejects.toThrow(/51016/);
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 60_000, 20000)).rejects.toThrow(/51008/);
    await expect(ex.fetchOrder('', SYMBOL, { clientOrderId: 'nope' })).rejects.toThrow(/51603/);
    await expect(ex.cancelOrder('', SYMBOL, { clientOrderId: 'a1' })).rejects.toThrow(/51401/);
    expect(sim.state.errors).toEqual([]);
    await ex.close();
  });

  it('checks OK-ACCESS-* signatures, passphrase and timestamp', async () => {
    sim = await startOkxSim();
    const path = '/api/v5/account/balance';
    expect((await signed(sim, 'GET', path)).json.code).toBe('0');
    expect(await signed(sim, 'GET', path, '', { 'OK-ACCESS-SIGN': 'x' })).toMatchObject({
      status: 401,
      json: { code: '50113' },
    });
    expect((await signed(sim, 'GET', path, '', { 'OK-ACCESS-PASSPHRASE': 'x' })).json.code).toBe(
      '50105',
    );
    expect((await signed(sim, 'GET', path, '', { 'OK-ACCESS-KEY': 'x' })).json.code).toBe('50111');
    const old = new Date(Date.now() - 31_000).toISOString();
    expect((await signed(sim, 'GET', path, '', { 'OK-ACCESS-TIMESTAMP': old })).json.code).toBe(
      '50102',
    );
  });

  it('fills-history: newest first, 100 at most, between begin and end, paged by billId', async () => {
    sim = await startOkxSim({ rateLimitScale: 0 });
    const ex = await okxExchange(sim);
    for (let i = 0; i < 130; i++) {
      await ex.createOrder(SYMBOL, 'market', i % 2 ? 'sell' : 'buy', 0.01);
      if (i % 10 === 9) sim.market.step();
    }
    const all = sim.state.trades();
    const q = (query: string) =>
      signed(sim, 'GET', `/api/v5/trade/fills-history?instType=SPOT&${query}`);
    const page = (await q('instId=BTC-USDT')).json.data as {
      tradeId: string;
      billId: string;
      ts: string;
    }[];
    expect(page).toHaveLength(100);
    expect(page.map((f) => Number(f.tradeId))).toEqual(
      all
        .slice(30)
        .map((t) => t.id)
        .reverse(),
    );
    const older = (await q(`after=${page.at(-1)!.billId}`)).json.data as { tradeId: string }[];
    expect(older.map((f) => Number(f.tradeId))).toEqual(
      all
        .slice(0, 30)
        .map((t) => t.id)
        .reverse(),
    );
    const t0 = all[15]!.time;
    const since = (await q(`begin=${t0}&end=${t0}`)).json.data as { ts: string }[];
    expect(since).toHaveLength(all.filter((t) => t.time === t0).length);
    expect(since.length).toBeGreaterThanOrEqual(10);
    expect(since.every((f) => Number(f.ts) === t0)).toBe(true);
    expect((await q('limit=101')).json.code).toBe('51000');
    await ex.close();
  });

  it("counts each endpoint and method in its own 2 s window, per instrument where OKX's rule says so", async () => {
    const now = 1_800_000_000_000;
    // 0.1 of OKX's limits: get order details and place order 6 each, place multiple orders 30.
    sim = await startOkxSim({ clock: { now: () => now }, rateLimitScale: 0.1 });
    const ts = new Date(now).toISOString();
    const at = async (method: 'GET' | 'POST', path: string, body = '') =>
      (
        await signed(sim, method, path, body, {
          'OK-ACCESS-TIMESTAMP': ts,
          'OK-ACCESS-SIGN': okxSign(sim.key.secret, ts + method + path + body),
        })
      ).json.code;
    const getOrder = (instId = 'BTC-USDT') =>
      at('GET', `/api/v5/trade/order?instId=${instId}&clOrdId=nope`);
    const order = (i: number) => ({
      instId: 'BTC-USDT',
      tdMode: 'cash',
      side: 'buy',
      ordType: 'limit',
      px: '20000',
      sz: '0.01',
      clOrdId: `r${i}`,
    });
    const codes: string[] = [];
    for (let i = 0; i < 7; i++) codes.push(await getOrder());
    expect(codes).toEqual([...Array(6).fill('51603'), '50011']);
    // Place order (POST) is another endpoint than get order details (GET), same path.
    expect(await at('POST', '/api/v5/trade/order', JSON.stringify(order(0)))).toBe('0');
    // Get order details is limited per User ID + Instrument ID: another instrument is answered.
    expect(await getOrder('ETH-USDT')).toBe('51001');
    // A batch of one order counts against place order (6, one used above); of two, against its own.
    const batch = (...items: object[]) =>
      at('POST', '/api/v5/trade/batch-orders', JSON.stringify(items));
    const ones: string[] = [];
    for (let i = 1; i <= 6; i++) ones.push(await batch(order(i)));
    expect(ones).toEqual([...Array(5).fill('0'), '50011']);
    expect(await batch(order(7), order(8))).toBe('0');
    expect(sim.state.openOrders()).toHaveLength(8);
  });

  it('counts asset/currencies over 1 s, as OKX documents it: 6 per second', async () => {
    // At the start of a 2 s window: the second second is in the same 2 s window, not the same 1 s.
    let now = 1_800_000_000_000;
    sim = await startOkxSim({ clock: { now: () => now } });
    const path = '/api/v5/asset/currencies';
    const get = async () => {
      const ts = new Date(now).toISOString();
      return (
        await signed(sim, 'GET', path, '', {
          'OK-ACCESS-TIMESTAMP': ts,
          'OK-ACCESS-SIGN': okxSign(sim.key.secret, ts + 'GET' + path),
        })
      ).json.code;
    };
    const second = async () => {
      const codes: string[] = [];
      for (let i = 0; i < 7; i++) codes.push(await get());
      return codes;
    };
    expect(await second()).toEqual([...Array(6).fill('0'), '50011']);
    now += 999;
    expect(await get()).toBe('50011');
    now += 1;
    expect(await second()).toEqual([...Array(6).fill('0'), '50011']);
  });

  it('answers 429 (50011) over an endpoint limit per 2 s, and when told to', async () => {
    let now = 1_800_000_000_000;
    sim = await startOkxSim({ clock: { now: () => now } });
    const path = '/api/v5/trade/fills-history?instType=SPOT';
    const codes: string[] = [];
    for (let i = 0; i < 11; i++)
      codes.push(
        (
          await signed(sim, 'GET', path, '', {
            'OK-ACCESS-TIMESTAMP': new Date(now).toISOString(),
            'OK-ACCESS-SIGN': okxSign(sim.key.secret, new Date(now).toISOString() + 'GET' + path),
          })
        ).json.code,
      );
    expect(codes.slice(0, 10).every((c) => c === '0')).toBe(true);
    expect(codes[10]).toBe('50011');
    now += 2_000;
    const ts = new Date(now).toISOString();
    const headers = {
      'OK-ACCESS-TIMESTAMP': ts,
      'OK-ACCESS-SIGN': okxSign(sim.key.secret, ts + 'GET' + path),
    };
    expect((await signed(sim, 'GET', path, '', headers)).json.code).toBe('0');
    sim.refuseNext(1);
    expect(await signed(sim, 'GET', path, '', headers)).toMatchObject({
      status: 429,
      json: { code: '50011' },
    });
    expect(sim.state.rateLimited()).toBe(2);
  });
});
