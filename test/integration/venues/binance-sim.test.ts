import ccxt, { type binance, type Exchange } from 'ccxt';
import path from 'node:path';
import { WebSocket } from 'ws';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { loadBars } from '../../../src/simulators/binance/load-bars.js';
import {
  start,
  type BinanceSim,
  type BinanceSimOptions,
} from '../../../src/simulators/binance/server.js';
import { DATA } from '../../support/run-cli.js';
import { until as waitFor } from '../../support/until.js';

const until = (cond: () => boolean, ms = 3000) => waitFor(cond, ms);

const FILE = path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json');
const SYMBOL = 'BTC/USDT';
const FILTERS = { tickSize: '0.00000001', stepSize: '0.001', minNotional: '0.0001' };

let bars: Bar[];
beforeAll(async () => {
  bars = (await loadBars(FILE, SYMBOL)).bars;
});

type Urls = { [k: string]: string | Urls };

/** Points every ccxt URL at the simulator (keeps the paths, e.g. /api/v3 and /ws). */
function rewrite(o: Urls, sim: BinanceSim): Urls {
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [
      k,
      typeof v === 'string'
        ? v.replace(/^https?:\/\/[^/]+/, sim.url).replace(/^wss?:\/\/[^/]+/, sim.wsUrl)
        : rewrite(v, sim),
    ]),
  );
}

function config(sim: BinanceSim, over: Record<string, unknown> = {}) {
  return {
    apiKey: sim.apiKey,
    secret: sim.secret,
    enableRateLimit: false,
    timeout: 3000,
    ...over,
    options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
  };
}

/** ccxt's own REST class, pointed at the simulator. */
function rest(sim: BinanceSim, over: Record<string, unknown> = {}): binance {
  const ex = new ccxt.binance(config(sim, over));
  ex.urls.api = rewrite(ex.urls.api as Urls, sim);
  return ex;
}

/** ccxt.pro's WebSocket class, pointed at the simulator. */
async function pro(sim: BinanceSim): Promise<Exchange> {
  const ex = new ccxt.pro.binance(config(sim));
  ex.urls.api = rewrite(ex.urls.api as Urls, sim);
  await ex.loadHttpProxyAgent(); // ccxt refuses plain ws:// without it
  return ex;
}

async function startSim(over: Partial<BinanceSimOptions> = {}): Promise<BinanceSim> {
  return start({
    port: 0,
    data: bars,
    symbol: SYMBOL,
    filters: FILTERS,
    preloadBars: 600,
    balances: { BTC: '1000', USDT: '10' },
    ...over,
  });
}

async function rawGet(sim: BinanceSim, pathAndQuery: string) {
  const res = await fetch(`${sim.url}${pathAndQuery}`);
  return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
}

describe('binance-sim with ccxt binance (REST)', () => {
  let sim: BinanceSim;
  let ex: binance;
  beforeAll(async () => {
    sim = await startSim({ maxVolumeFraction: 0.01 });
    ex = rest(sim);
    await ex.loadMarkets();
  });
  afterAll(() => sim.close());

  it('loadMarkets gives the filters as precision and limits', () => {
    const m = ex.market(SYMBOL);
    expect(m.id).toBe('BTCUSDT');
    expect(m.spot).toBe(true);
    expect(m.precision).toMatchObject({ price: 1e-8, amount: 0.001 });
    expect(m.limits).toMatchObject({
      amount: { min: 0.001 },
      price: { min: 1e-8 },
      cost: { min: 0.0001 },
    });
  });

  it('fetchOHLCV pages forward from `since` exactly like Binance, ending at the replay', async () => {
    const first = bars[0]!.openTime;
    const seen: number[][] = [];
    let since = first;
    for (let page = 0; page < 3; page++) {
      const rows = await ex.fetchOHLCV(SYMBOL, '1m', since, 250);
      seen.push(...(rows as number[][]));
      since = rows[rows.length - 1]![0]! + 60_000;
    }
    expect(seen).toHaveLength(600); // 600 bars revealed: the third page stops at the replay
    expect(seen.map((r) => r[0])).toEqual(bars.slice(0, 600).map((b) => b.openTime));
    expect(seen[42]).toEqual(
      [bars[42]!].map((b) => [b.openTime, b.open, b.high, b.low, b.close, b.volume])[0],
    );
    const latest = await ex.fetchOHLCV(SYMBOL, '1m', undefined, 5);
    expect(latest.map((r) => r[0])).toEqual(bars.slice(595, 600).map((b) => b.openTime));
    const fives = await ex.fetchOHLCV(SYMBOL, '5m', undefined, 3);
    expect(fives.every((r) => r[0]! % 300_000 === 0)).toBe(true);
  });

  it('klines answer a bad limit or interval with Binance errors', async () => {
    const tooMany = await rawGet(sim, '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1001');
    expect(tooMany).toMatchObject({ status: 400, body: { code: -1130 } });
    const interval = await rawGet(sim, '/api/v3/klines?symbol=BTCUSDT&interval=7m');
    expect(interval).toMatchObject({ status: 400, body: { code: -1120 } });
    expect(interval.headers.get('x-mbx-used-weight-1m')).toMatch(/^\d+$/);
  });

  it('fetchTicker and fetchTrades show the replay', async () => {
    const last = bars[599]!.close;
    expect((await ex.fetchTicker(SYMBOL)).last).toBe(last);
    const trades = await ex.fetchTrades(SYMBOL, undefined, 4);
    expect(trades.map((t) => t.price).at(-1)).toBe(last);
    expect(Number(trades.at(-1)!.id)).toBe(2400); // four trades per bar
  });

  it('creates with a client order id, finds it by that id, cancels it', async () => {
    const price = 0.001; // far below the market: rests
    const o = await ex.createOrder(SYMBOL, 'limit', 'buy', 100, price, {
      newClientOrderId: 'kairos-1',
    });
    expect(o).toMatchObject({ status: 'open', clientOrderId: 'kairos-1', amount: 100 });
    const found = await ex.fetchOrder('', SYMBOL, { clientOrderId: 'kairos-1' });
    expect(found).toMatchObject({ id: o.id, status: 'open', price });
    expect((await ex.fetchOpenOrders(SYMBOL)).map((x) => x.clientOrderId)).toContain('kairos-1');
    expect((await ex.fetchBalance()).USDT).toMatchObject({ used: 0.1, free: 9.9 });
    const canceled = await ex.cancelOrder(o.id!, SYMBOL);
    expect(canceled.status).toBe('canceled');
    expect((await ex.fetchOpenOrders(SYMBOL)).map((x) => x.id)).not.toContain(o.id);
    expect((await ex.fetchBalance()).USDT).toMatchObject({ used: 0, free: 10 });
    await expect(ex.cancelOrder(o.id!, SYMBOL)).rejects.toBeInstanceOf(ccxt.OrderNotFound);
  });

  it('fills a market order at the last price and reports the fill in myTrades and balances', async () => {
    const before = await ex.fetchBalance();
    const last = (await ex.fetchTicker(SYMBOL)).last!;
    const o = await ex.createOrder(SYMBOL, 'market', 'sell', 10, undefined, {
      newClientOrderId: 'kairos-mkt',
    });
    expect(o).toMatchObject({ status: 'closed', filled: 10, average: last });
    const mine = await ex.fetchMyTrades(SYMBOL);
    const t = mine.find((x) => x.order === o.id)!;
    expect(t).toMatchObject({ price: last, amount: 10, side: 'sell' });
    expect(t.fee).toMatchObject({ currency: 'USDT' });
    const after = await ex.fetchBalance();
    expect(after.BTC!.free).toBeCloseTo(before.BTC!.free! - 10, 9);
    expect(after.USDT!.free).toBeCloseTo(before.USDT!.free! + last * 10 * 0.999, 9);
  });

  it('fills a resting limit order in parts as the replay crosses it', async () => {
    const last = (await ex.fetchTicker(SYMBOL)).last!;
    const low = Math.min(...bars.slice(600, 700).map((b) => b.low)); // the replay will reach it
    expect(low).toBeLessThan(last);
    const resting = await ex.createOrder(SYMBOL, 'limit', 'buy', 3000, low, {
      newClientOrderId: 'kairos-rest',
    });
    expect(resting.status).toBe('open');
    const order = () => sim.state.orders().find((x) => x.clientOrderId === 'kairos-rest')!;
    for (let i = 0; i < 100 && order().executedQty.eq(0); i++) sim.advance(1);
    const seen = await ex.fetchOrder(resting.id!, SYMBOL);
    expect(seen.filled).toBeGreaterThan(0);
    expect(seen.filled).toBeLessThan(3000); // 1% of one replayed trade: a partial fill
    expect(seen.status).toBe('open');
    expect(seen.info.status).toBe('PARTIALLY_FILLED');
    const parts = await ex.fetchMyTrades(SYMBOL, undefined, undefined, { orderId: resting.id });
    expect(parts.reduce((s, t) => s + t.amount!, 0)).toBeCloseTo(seen.filled!, 9);
    await ex.cancelOrder(resting.id!, SYMBOL);
  });

  it('rejects like Binance: duplicate id, short balance, filters, unknown order', async () => {
    await ex.createOrder(SYMBOL, 'limit', 'buy', 1, 0.001, { newClientOrderId: 'dup' });
    await expect(
      ex.createOrder(SYMBOL, 'limit', 'buy', 1, 0.001, { newClientOrderId: 'dup' }),
    ).rejects.toThrow(/-2010.*Duplicate order sent/);
    await expect(ex.createOrder(SYMBOL, 'limit', 'buy', 100_000, 0.001)).rejects.toBeInstanceOf(
      ccxt.InsufficientFunds,
    );
    const raw = ex as unknown as { privatePostOrder(p: object): Promise<unknown> };
    const order = (over: object) =>
      raw.privatePostOrder({
        symbol: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        timeInForce: 'GTC',
        quantity: '1',
        price: '0.001',
        ...over,
      });
    await expect(order({ quantity: '1.0005' })).rejects.toThrow(/Filter failure: LOT_SIZE/);
    await expect(order({ price: '0.0010000001' })).rejects.toThrow(/Filter failure: PRICE_FILTER/);
    await expect(order({ price: '-1' })).rejects.toThrow(/-1100/);
    await expect(order({ price: '0.00100001', quantity: '0.001' })).rejects.toThrow(
      /Filter failure: NOTIONAL/,
    );
    await expect(ex.fetchOrder('424242', SYMBOL)).rejects.toBeInstanceOf(ccxt.OrderNotFound);
    await ex.cancelAllOrders(SYMBOL);
  });

  it('checks key, signature and timestamp', async () => {
    await expect(rest(sim, { secret: 'wrong' }).fetchBalance()).rejects.toThrow(/-1022/);
    await expect(rest(sim, { apiKey: 'nobody' }).fetchBalance()).rejects.toBeInstanceOf(
      ccxt.AuthenticationError,
    );
    const late = rest(sim);
    late.options.timeDifference = 30_000; // its timestamps lag 30 s: outside the 10 s window
    await expect(late.fetchBalance()).rejects.toBeInstanceOf(ccxt.InvalidNonce);
    const early = rest(sim);
    early.options.timeDifference = -5_000; // 5 s ahead of the server
    await expect(early.fetchBalance()).rejects.toThrow(/-1021.*ahead/);
  });
});

describe('binance-sim with ccxt.pro binance (WebSocket)', () => {
  let sim: BinanceSim;
  let ws: Exchange;
  let ex: binance;
  beforeAll(async () => {
    sim = await startSim();
    ws = await pro(sim);
    ex = rest(sim);
    await Promise.all([ws.loadMarkets(), ex.loadMarkets()]);
  });
  afterAll(async () => {
    await ws.close();
    await sim.close();
  });

  it('watchTrades, watchOHLCV and watchTicker receive the replay', async () => {
    const trades = ws.watchTrades(SYMBOL);
    const candles = ws.watchOHLCV(SYMBOL, '1m');
    const ticker = ws.watchTicker(SYMBOL);
    await until(() => sim.state.subscriptions().length === 3);
    expect(sim.state.subscriptions().sort()).toEqual([
      'btcusdt@kline_1m',
      'btcusdt@miniTicker',
      'btcusdt@trade',
    ]);
    sim.advance(1);
    const next = bars[600]!; // its four trades: open, low/high, high/low, close
    const path = [next.open, next.low, next.high, next.close];
    expect((await trades)[0]!.price).toBe(next.open);
    expect((await candles).at(-1)!.slice(0, 2)).toEqual([next.openTime, next.open]);
    expect(path).toContain((await ticker).last);
  });

  it('watchOrders and watchMyTrades get executionReports over the user data stream', async () => {
    const orders = ws.watchOrders(SYMBOL);
    const myTrades = ws.watchMyTrades(SYMBOL);
    await until(() => sim.state.userDataListeners() === 1);
    const o = await ex.createOrder(SYMBOL, 'market', 'buy', 5, undefined, {
      newClientOrderId: 'ws-1',
    });
    const seen = await orders;
    expect(seen.map((x) => x.clientOrderId)).toContain('ws-1');
    const fills = await myTrades;
    const trade = fills.find((t) => t.order === o.id)!;
    expect(trade).toMatchObject({ amount: 5, side: 'buy' });
    expect(Number(trade.id)).toBe(sim.state.trades().find((t) => t.clientOrderId === 'ws-1')!.id);
  });

  it('a listen key stream gets executionReport (trade id, client order id) and account positions', async () => {
    const r = await fetch(`${sim.url}/api/v3/userDataStream`, {
      method: 'POST',
      headers: { 'X-MBX-APIKEY': sim.apiKey },
    });
    const { listenKey } = (await r.json()) as { listenKey: string };
    const events = await listen(`${sim.wsUrl}/ws/${listenKey}`);
    await ex.createOrder(SYMBOL, 'market', 'sell', 2, undefined, { newClientOrderId: 'lk-1' });
    const fill = () => events.list.findIndex((e) => e.e === 'executionReport' && e.x === 'TRADE');
    await until(() => fill() >= 0 && events.list.length > fill() + 1);
    const report = events.list[fill()]!;
    expect(report).toMatchObject({ c: 'lk-1', X: 'FILLED', l: '2.00000000', s: 'BTCUSDT' });
    expect(report.t).toBe(sim.state.trades().at(-1)!.id);
    const balances = events.list[fill() + 1]!; // the balances the fill changed
    expect(balances.e).toBe('outboundAccountPosition');
    expect(balances.B).toEqual(expect.arrayContaining([expect.objectContaining({ a: 'USDT' })]));
    events.close();
    const del = await fetch(`${sim.url}/api/v3/userDataStream?listenKey=${listenKey}`, {
      method: 'DELETE',
      headers: { 'X-MBX-APIKEY': sim.apiKey },
    });
    expect(del.status).toBe(200);
  });

  it('serves raw and combined stream URLs', async () => {
    const raw = await listen(`${sim.wsUrl}/ws/btcusdt@trade`);
    const combined = await listen(
      `${sim.wsUrl}/stream?streams=btcusdt@kline_5m/btcusdt@miniTicker`,
    );
    sim.advance(5);
    await until(
      () => raw.list.length >= 20 && combined.list.some((e) => e.stream === 'btcusdt@kline_5m'),
    );
    expect(raw.list[0]).toMatchObject({ e: 'trade', s: 'BTCUSDT' });
    const kline = combined.list.find((e) => e.stream === 'btcusdt@kline_5m')!;
    expect(kline.data).toMatchObject({ e: 'kline', k: { i: '5m' } });
    raw.close();
    combined.close();
  });
});

/** A plain WebSocket client that keeps every JSON message. */
async function listen(url: string) {
  const list: Record<string, unknown>[] = [];
  const sock = new WebSocket(url);
  sock.on('message', (d) => list.push(JSON.parse(String(d)) as Record<string, unknown>));
  await new Promise((resolve, reject) => {
    sock.once('open', resolve);
    sock.once('error', reject);
  });
  return { list, close: () => sock.close() };
}

describe('binance-sim faults', () => {
  const clock = { offset: 0, now: () => Date.now() + clock.offset };
  let sim: BinanceSim;
  let ex: binance;
  beforeEach(async () => {
    clock.offset = 0;
    sim = await startSim({ clock });
    ex = rest(sim);
    await ex.loadMarkets();
  });
  afterEach(() => sim.close());

  it('a dropped answer (reset) throws a NetworkError, yet the order is there by client id', async () => {
    sim.faults.set({ dropOrderResponses: 1 });
    const create = ex.createOrder(SYMBOL, 'limit', 'buy', 1, 0.001, { newClientOrderId: 'lost-1' });
    await expect(create).rejects.toBeInstanceOf(ccxt.NetworkError);
    const found = await ex.fetchOrder('', SYMBOL, { clientOrderId: 'lost-1' });
    expect(found).toMatchObject({ clientOrderId: 'lost-1', status: 'open' });
    expect(sim.state.orders().filter((o) => o.clientOrderId === 'lost-1')).toHaveLength(1);
  });

  it('a dropped answer (hang) times out with RequestTimeout, yet the order is there', async () => {
    sim.faults.set({ dropOrderResponses: 1, dropMode: 'hang' });
    const quick = rest(sim, { timeout: 300 });
    await quick.loadMarkets();
    const create = quick.createOrder(SYMBOL, 'market', 'buy', 1, undefined, {
      newClientOrderId: 'lost-2',
    });
    await expect(create).rejects.toBeInstanceOf(ccxt.RequestTimeout);
    const found = await ex.fetchOrder('', SYMBOL, { clientOrderId: 'lost-2' });
    expect(found).toMatchObject({ status: 'closed', filled: 1 });
  });

  it('429 then a 418 ban that holds until the ban ends', async () => {
    sim.faults.set({ rateLimit: { after: 1, tooMany: 1, banMs: 60_000 } });
    await expect(ex.fetchTime()).resolves.toBeGreaterThan(0);
    await expect(ex.fetchTime()).rejects.toThrow(/429/);
    const banned = ex.fetchTime();
    await expect(banned).rejects.toBeInstanceOf(ccxt.DDoSProtection);
    await expect(ex.fetchTime()).rejects.toThrow(/418.*IP banned until/);
    const during = await rawGet(sim, '/api/v3/ping');
    expect(during.status).toBe(418);
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.offset += 60_001; // the server's clock passes the ban
    await expect(ex.fetchTime()).resolves.toBeGreaterThan(0);
  });

  it('the request-weight limit answers 429 with Retry-After, then bans', async () => {
    await sim.close();
    sim = await startSim({ clock, weightPerMinute: 10, refusalsBeforeBan: 1, banMs: 5000 });
    clock.offset = 60_000 - (Date.now() % 60_000) + 100; // start of a clock minute
    const statuses: number[] = [];
    let retryAfter = '';
    for (let i = 0; i < 6; i++) {
      const r = await rawGet(sim, '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1');
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after') ?? '';
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]); // weight 2 each, 10 a minute
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect((await rawGet(sim, '/api/v3/ping')).status).toBe(418);
  });

  it("charges a buy's commission in the base asset by default, in the quote when told", async () => {
    for (const buyFeeIn of ['base', 'quote'] as const) {
      await sim.close();
      sim = await startSim({ clock, buyFeeIn, balances: { BTC: '0', USDT: '1000000' } });
      ex = rest(sim);
      await ex.loadMarkets();
      const o = await ex.createOrder(SYMBOL, 'market', 'buy', 2, undefined, {
        newClientOrderId: `fee-${buyFeeIn}`,
      });
      const t = (await ex.fetchMyTrades(SYMBOL)).find((x) => x.order === o.id)!;
      const btc = (await ex.fetchBalance()).BTC!.free!;
      if (buyFeeIn === 'base') {
        expect(t.fee).toMatchObject({ currency: 'BTC', cost: 0.002 });
        expect(btc).toBeCloseTo(1.998, 9);
      } else {
        expect(t.fee).toMatchObject({ currency: 'USDT' });
        expect(t.fee!.cost).toBeCloseTo(t.price! * 2 * 0.001, 6);
        expect(btc).toBeCloseTo(2, 9);
      }
    }
  });

  it('answers 429/418 on the account reads only when told (readsOnly)', async () => {
    sim.faults.set({ rateLimit: { after: 0, tooMany: 1, banMs: 60_000, readsOnly: true } });
    await expect(ex.fetchTime()).resolves.toBeGreaterThan(0);
    await expect(ex.fetchOpenOrders(SYMBOL)).rejects.toThrow(/429/);
    await expect(ex.fetchMyTrades(SYMBOL)).rejects.toThrow(/418.*IP banned until/);
    await expect(ex.fetchTicker(SYMBOL)).resolves.toMatchObject({ symbol: SYMBOL });
    sim.faults.reset();
  });

  it('dropping WebSockets disconnects the client', async () => {
    const ws = await pro(sim);
    const trades = ws.watchTrades(SYMBOL);
    await until(() => sim.state.wsConnections() > 0);
    sim.faults.set({ wsDropEveryMs: 50 });
    await expect(trades).rejects.toBeInstanceOf(ccxt.NetworkError);
    expect(sim.faults.stats.wsDrops).toBeGreaterThan(0);
    sim.faults.set({ wsDropEveryMs: null });
    await ws.close();
  });

  it('delivers each fill 2–3 times, reordered within the window', async () => {
    sim.faults.set({ duplicateFills: { minCopies: 2, maxCopies: 3, windowMs: 30 } });
    const r = await fetch(`${sim.url}/api/v3/userDataStream`, {
      method: 'POST',
      headers: { 'X-MBX-APIKEY': sim.apiKey },
    });
    const { listenKey } = (await r.json()) as { listenKey: string };
    const events = await listen(`${sim.wsUrl}/ws/${listenKey}`);
    for (const id of ['d-1', 'd-2', 'd-3'])
      await ex.createOrder(SYMBOL, 'market', 'buy', 1, undefined, { newClientOrderId: id });
    const fills = () => events.list.filter((e) => e.x === 'TRADE');
    await until(() => fills().length === 3 + sim.faults.stats.duplicatedEvents);
    const perTrade = new Map<unknown, number>();
    for (const e of fills()) perTrade.set(e.t, (perTrade.get(e.t) ?? 0) + 1);
    expect([...perTrade.keys()].sort()).toEqual(sim.state.trades().map((t) => t.id));
    for (const n of perTrade.values()) expect(n === 2 || n === 3).toBe(true);
    events.close();
  });

  it('refuses the next order with a chosen Binance error (and can book it anyway)', async () => {
    sim.faults.set({ rejectNextOrders: { code: -2010 } });
    await expect(ex.createOrder(SYMBOL, 'market', 'buy', 1)).rejects.toBeInstanceOf(
      ccxt.InsufficientFunds,
    );
    expect(sim.state.orders()).toHaveLength(0);
    sim.faults.set({ rejectNextOrders: { code: -1007, status: 503, commit: true } });
    await expect(
      ex.createOrder(SYMBOL, 'market', 'buy', 1, undefined, { newClientOrderId: 'unknown-1' }),
    ).rejects.toThrow(/-1007/);
    expect(sim.state.orders().map((o) => o.clientOrderId)).toEqual(['unknown-1']);
    await expect(ex.createOrder(SYMBOL, 'market', 'buy', 1)).resolves.toMatchObject({
      status: 'closed',
    });
  });

  it('hides a new order from queries for a while (eventual consistency)', async () => {
    sim.faults.set({ hideNewOrdersMs: 2000 });
    await ex.createOrder(SYMBOL, 'limit', 'buy', 1, 0.001, { newClientOrderId: 'slow-1' });
    await expect(ex.fetchOrder('', SYMBOL, { clientOrderId: 'slow-1' })).rejects.toBeInstanceOf(
      ccxt.OrderNotFound,
    );
    clock.offset += 2000;
    await expect(ex.fetchOrder('', SYMBOL, { clientOrderId: 'slow-1' })).resolves.toMatchObject({
      clientOrderId: 'slow-1',
    });
  });

  it('switches faults over HTTP too', async () => {
    const r = await fetch(`${sim.url}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ dropOrderResponses: 2 }),
    });
    expect(await r.json()).toMatchObject({ settings: { dropOrderResponses: 2 } });
    expect(sim.faults.settings().dropOrderResponses).toBe(2);
    const bad = await fetch(`${sim.url}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ dropMode: 'sideways' }),
    });
    expect(bad.status).toBe(400);
    expect(() => sim.faults.set({ dropOrderResponse: 1 } as never)).toThrow(
      /faults.dropOrderResponse: no such fault/,
    );
    await fetch(`${sim.url}/__advance`, { method: 'POST', body: JSON.stringify({ bars: 3 }) });
    expect(sim.market.revealedBars).toBe(603);
  });
});

describe('binance-sim in real time', () => {
  it('replays by itself at the given speed, from now', async () => {
    const sim = await start({
      port: 0,
      data: bars,
      symbol: SYMBOL,
      preloadBars: 10,
      realtime: { speed: 6000, stepMs: 10 }, // one 1m bar per 10 ms
    });
    try {
      expect(Math.abs(sim.market.bar(10).openTime - Date.now())).toBeLessThan(60_000);
      await until(() => sim.market.revealedBars >= 20);
      expect(sim.market.now()).toBeGreaterThan(sim.market.bar(18).openTime);
    } finally {
      await sim.close();
    }
  });
});
