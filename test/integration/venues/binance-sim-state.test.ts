import type { Exchange } from 'ccxt';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { BinanceSim, BinanceSimOptions } from '../../../src/simulators/binance/server.js';
import { simExchange, startSim, syntheticBars } from '../../support/ccxt-sim.js';
import { tempDir } from '../../support/temp-dir.js';

const BARS = syntheticBars(2000);
const SYMBOL = 'BTC/USDT';
const ALICE = { apiKey: 'alice-key', secret: 'alice-secret', balances: { USDT: '100000' } };
const BOB = { apiKey: 'bob-key', secret: 'bob-secret', balances: { BTC: '2', USDT: '0' } };

function startVenue(over: Partial<BinanceSimOptions> = {}): Promise<BinanceSim> {
  return startSim({ data: BARS, accounts: [ALICE, BOB], maxVolumeFraction: 0.05, ...over });
}

const tmpFile = () => path.join(tempDir('kairos-sim-state-'), 'state.json');

/** Everything the venue answers about its accounts and market (listen keys aside). */
async function view(sim: BinanceSim) {
  const accounts = (await (await fetch(`${sim.url}/__accounts`)).json()) as unknown;
  const klines = (await (
    await fetch(`${sim.url}/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=5`)
  ).json()) as unknown;
  return { accounts, klines, position: sim.market.position() };
}

/** The same orders on a venue: some fill, one rests, one is canceled, time moves. */
async function before(sim: BinanceSim) {
  const a = await simExchange(sim, { key: ALICE });
  const b = await simExchange(sim, { key: BOB });
  const last = sim.market.lastPrice()!;
  await a.createOrder(SYMBOL, 'market', 'buy', 0.5, undefined, { newClientOrderId: 'a-1' });
  await a.createOrder(SYMBOL, 'limit', 'buy', 0.3, Math.round(last * 0.995 * 100) / 100, {
    newClientOrderId: 'a-2',
  });
  const gone = await a.createOrder(SYMBOL, 'limit', 'buy', 0.1, 100, { newClientOrderId: 'a-3' });
  await a.cancelOrder(gone.id!, SYMBOL);
  // Above every price of the next 3 bars, below a later high: open at the restart, filled after.
  const next = sim.market.revealedBars;
  const soon = Math.max(...BARS.slice(next, next + 3).map((x) => x.high));
  expect(Math.max(...BARS.slice(next + 3, next + 60).map((x) => x.high))).toBeGreaterThan(soon);
  await b.createOrder(SYMBOL, 'limit', 'sell', 1, Math.round(soon * 100 + 1) / 100, {
    newClientOrderId: 'b-1',
  });
  sim.advance(3);
  return { a, b };
}

/** What happens after the (re)start: a new order and time moving until the resting ones fill. */
async function after(sim: BinanceSim, a: Exchange, b: Exchange) {
  const o = await b.createOrder(SYMBOL, 'market', 'sell', 0.2, undefined, {
    newClientOrderId: 'b-2',
  });
  sim.advance(60);
  await a.fetchBalance();
  return Number(o.id);
}

describe('binance-sim: --state', () => {
  it('a venue closed and started again on its file answers exactly as an uninterrupted one', async () => {
    const file = tmpFile();
    const first = await startVenue({ stateFile: file });
    expect(first.restored).toBe(false);
    await before(first);
    const listenKey = (
      (await (
        await fetch(`${first.url}/api/v3/userDataStream`, {
          method: 'POST',
          headers: { 'X-MBX-APIKEY': ALICE.apiKey },
        })
      ).json()) as { listenKey: string }
    ).listenKey;
    const seen = await view(first);
    expect(first.state.account(ALICE.apiKey)!.openOrders()).toHaveLength(1);
    await first.close();

    const again = await startVenue({
      stateFile: file,
      preloadBars: 10 /* ignored: the file's position wins */,
    });
    expect(again.restored).toBe(true);
    expect(await view(again)).toEqual(seen);
    // The listen key a client holds still works.
    const keepAlive = await fetch(`${again.url}/api/v3/userDataStream?listenKey=${listenKey}`, {
      method: 'PUT',
      headers: { 'X-MBX-APIKEY': ALICE.apiKey },
    });
    expect(keepAlive.status).toBe(200);
    const a2 = await simExchange(again, { key: ALICE });
    const b2 = await simExchange(again, { key: BOB });
    expect((await a2.fetchOpenOrders(SYMBOL)).map((o) => o.clientOrderId)).toEqual(['a-2']);
    const nextId = await after(again, a2, b2);

    const twin = await startVenue();
    const t = await before(twin);
    expect(await after(twin, t.a, t.b)).toBe(nextId); // order ids continue
    const restarted = await view(again);
    expect(restarted).toEqual(await view(twin));
    // Bob's sell, open at the restart, met the market after it.
    const status = (v: { accounts: unknown }) =>
      /"clientOrderId":"b-1"[^}]*"status":"(\w+)"/.exec(JSON.stringify(v.accounts))?.[1];
    expect(status(seen)).toBe('NEW');
    expect(status(restarted)).toMatch(/^(PARTIALLY_FILLED|FILLED)$/);
    await again.close();
    await twin.close();
  });

  it('a torn temporary file is ignored; a broken, foreign or short state file is refused by name', async () => {
    const file = tmpFile();
    const sim = await startVenue({ stateFile: file });
    await before(sim);
    await sim.close();
    const tmp = path.join(path.dirname(file), '.state.json.tmp');
    writeFileSync(tmp, '{"version":1,"acc'); // a kill in the middle of a write
    const again = await startVenue({ stateFile: file });
    expect(again.state.account(ALICE.apiKey)!.orders()).toHaveLength(3);
    expect(existsSync(tmp)).toBe(false);
    await again.close();

    await expect(startVenue({ stateFile: file, data: BARS.slice(1) })).rejects.toThrow(
      /state: .*state\.json was written over another market/,
    );
    await expect(startVenue({ stateFile: file, accounts: [ALICE] })).rejects.toThrow(
      /holds the account of API key bob-key, which is not given/,
    );
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length / 2));
    await expect(startVenue({ stateFile: file })).rejects.toThrow(
      /state: .*state\.json is not a venue state file/,
    );
  });

  it('writes before it answers: the file on disk already holds an order when its answer arrives', async () => {
    const file = tmpFile();
    const sim = await startVenue({ stateFile: file });
    const a = await simExchange(sim, { key: ALICE });
    const o = await a.createOrder(SYMBOL, 'limit', 'buy', 0.1, 100, { newClientOrderId: 'w-1' });
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      accounts: { apiKey: string; orders: { orderId: number; status: string }[] }[];
    };
    expect(saved.accounts.find((x) => x.apiKey === ALICE.apiKey)!.orders).toEqual([
      expect.objectContaining({ orderId: Number(o.id), status: 'NEW' }),
    ]);
    expect(readFileSync(file, 'utf8')).not.toContain(ALICE.secret);
    await sim.close();
  });
});
