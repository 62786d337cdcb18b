import type { Exchange } from 'ccxt';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { simExchange, syntheticBars, writeBarsFile } from '../support/ccxt-sim.js';
import { killVenue, spawnVenue, type VenueProcess } from '../support/spawn-venue.js';
import { tempDir } from '../support/temp-dir.js';

const SYMBOL = 'BTC/USDT';
const ALICE = { apiKey: 'alice-key', secret: 'alice-secret' };
const BOB = { apiKey: 'bob-key', secret: 'bob-secret' };

/** What a key sees at the venue, through ccxt's own `binance` class. */
async function seen(ex: Exchange) {
  const balance = await ex.fetchBalance();
  return {
    open: (await ex.fetchOpenOrders(SYMBOL)).map((o) => [
      o.id,
      o.clientOrderId,
      o.status,
      o.filled,
    ]),
    orders: (await ex.fetchOrders(SYMBOL)).map((o) => [o.id, o.clientOrderId, o.status, o.filled]),
    trades: (await ex.fetchMyTrades(SYMBOL)).map((t) => [t.id, t.order, t.price, t.amount]),
    balance: { total: balance.total, used: balance.used },
  };
}

describe('kairos venue simulate --state: killed with SIGKILL and started again', () => {
  const dir = tempDir('kairos-venue-restart-');
  const data = writeBarsFile(path.join(dir, 'BTC-1m.json'), syntheticBars(2000));
  const state = path.join(dir, 'state.json');
  const args = (port: number) => [
    '--data',
    data,
    '--port',
    String(port),
    '--speed',
    '0',
    '--preload',
    '600',
    '--tick',
    '0.01',
    '--account',
    `${ALICE.apiKey}:${ALICE.secret}:USDT=100000`,
    '--account',
    `${BOB.apiKey}:${BOB.secret}:BTC=2`,
    '--state',
    state,
  ];
  let venue: VenueProcess | null = null;
  afterAll(async () => {
    if (venue) await killVenue(venue);
  });

  const connect = async (v: VenueProcess) => {
    const base = { url: v.url, apiKey: ALICE.apiKey, secret: ALICE.secret };
    const [a, b] = [await simExchange(base, { key: ALICE }), await simExchange(base, { key: BOB })];
    await a.loadMarkets();
    await b.loadMarkets();
    return { a, b };
  };
  const advance = (v: VenueProcess, bars: number) =>
    fetch(`${v.url}/__advance`, { method: 'POST', body: JSON.stringify({ bars }) });

  it('answers exactly as before: open orders open, fills and ids the same, order ids continue', async () => {
    venue = await spawnVenue(args(0));
    expect(venue.output()).toMatch(/state: .*state\.json \(new\)/);
    let { a, b } = await connect(venue);
    const last = (await a.fetchTicker(SYMBOL)).last!;
    await a.createOrder(SYMBOL, 'market', 'buy', 0.5);
    const resting = await a.createOrder(
      SYMBOL,
      'limit',
      'buy',
      0.3,
      Math.round(last * 0.99 * 100) / 100,
    );
    await b.createOrder(SYMBOL, 'limit', 'sell', 1, Math.round(last * 1.002 * 100) / 100);
    await advance(venue, 2);
    const before = { alice: await seen(a), bob: await seen(b) };
    expect(before.alice.open.map((o) => o[0])).toEqual([resting.id]);

    await killVenue(venue);
    JSON.parse(readFileSync(state, 'utf8')); // whole, whatever the moment of the kill
    const port = venue.port;
    venue = await spawnVenue(args(port));
    expect(venue.output()).toMatch(/state: .*state\.json \(restored\)/);
    ({ a, b } = await connect(venue));
    expect({ alice: await seen(a), bob: await seen(b) }).toEqual(before);

    const lastOrderId = Math.max(
      ...[...before.alice.orders, ...before.bob.orders].map((o) => Number(o[0])),
    );
    const next = await b.createOrder(SYMBOL, 'market', 'sell', 0.1);
    expect(Number(next.id)).toBe(lastOrderId + 1);
    const lastTradeId = Math.max(
      ...[...before.alice.trades, ...before.bob.trades].map((t) => Number(t[0])),
    );
    const fresh = (await b.fetchMyTrades(SYMBOL)).filter(
      (t) => !before.bob.trades.some((x) => x[0] === t.id),
    );
    expect(fresh.map((t) => Number(t.id))).toEqual([lastTradeId + 1]);
    // Alice's account did not move by Bob's fill.
    expect((await seen(a)).balance).toEqual(before.alice.balance);
  }, 120_000);
});
