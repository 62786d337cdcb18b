import ccxt, { type Exchange } from 'ccxt';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { start, type BinanceSim } from '../../../src/simulators/binance/server.js';
import { hmacHex } from '../../../src/simulators/binance/signature.js';
import { simExchange, startSim, syntheticBars } from '../../support/ccxt-sim.js';
import { until } from '../../support/until.js';

const BARS = syntheticBars(3000);
const SYMBOL = 'BTC/USDT';
const ALICE = {
  apiKey: 'alice-key',
  secret: 'alice-secret',
  balances: { BTC: '5', USDT: '500000' },
};
const BOB = { apiKey: 'bob-key', secret: 'bob-secret', balances: { BTC: '3', USDT: '200000' } };
type Key = { apiKey: string; secret: string };

function startTwo(): Promise<BinanceSim> {
  return startSim({ data: BARS, accounts: [ALICE, BOB], maxVolumeFraction: 0.2 });
}

/** A signed Binance REST call, as Binance documents it (HMAC-SHA256 of the query string). */
async function signed(
  sim: BinanceSim,
  key: Key,
  method: string,
  path: string,
  params: Record<string, string> = {},
  secret = key.secret,
) {
  const qs = new URLSearchParams({ ...params, timestamp: String(Date.now()) }).toString();
  const res = await fetch(`${sim.url}${path}?${qs}&signature=${hmacHex(secret, qs)}`, {
    method,
    headers: { 'X-MBX-APIKEY': key.apiKey },
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Binance JSON, checked by field
  return { status: res.status, body: (await res.json()) as any };
}

describe('binance-sim: one account per API key', () => {
  let sim: BinanceSim;
  let alice: Exchange;
  let bob: Exchange;
  beforeAll(async () => {
    sim = await startTwo();
    alice = await simExchange(sim, { key: ALICE });
    bob = await simExchange(sim, { key: BOB });
    await alice.loadMarkets();
    await bob.loadMarkets();
  });
  afterAll(() => sim.close());

  it('each key sees its own balances, orders and fills; ids are one sequence per symbol', async () => {
    expect((await alice.fetchBalance()).USDT).toMatchObject({ free: 500000, used: 0 });
    expect((await bob.fetchBalance()).USDT).toMatchObject({ free: 200000, used: 0 });
    const resting = await alice.createOrder(SYMBOL, 'limit', 'buy', 1, 1000, {
      newClientOrderId: 'same-id',
    });
    // The same client order id is another account's business (Binance: unique per account).
    const bobs = await bob.createOrder(SYMBOL, 'market', 'buy', 0.01, undefined, {
      newClientOrderId: 'same-id',
    });
    expect(bobs.status).toBe('closed');
    expect(Number(bobs.id)).toBe(Number(resting.id) + 1);
    expect((await alice.fetchOpenOrders(SYMBOL)).map((o) => o.id)).toEqual([resting.id]);
    expect(await bob.fetchOpenOrders(SYMBOL)).toEqual([]);
    await expect(bob.fetchOrder(resting.id!, SYMBOL)).rejects.toBeInstanceOf(ccxt.OrderNotFound);
    await expect(bob.cancelOrder(resting.id!, SYMBOL)).rejects.toBeInstanceOf(ccxt.OrderNotFound);
    expect(await alice.fetchMyTrades(SYMBOL)).toEqual([]);
    expect((await bob.fetchMyTrades(SYMBOL)).map((t) => t.order)).toEqual([bobs.id]);
    expect((await alice.fetchBalance()).USDT).toMatchObject({ free: 499000, used: 1000 });
    expect((await bob.fetchBalance()).USDT!.free).toBeLessThan(200000);
    expect(
      sim.state
        .account('alice-key')!
        .orders()
        .map((o) => o.orderId),
    ).toEqual([Number(resting.id)]);
    expect(sim.state.account('bob-key')!.trades()).toHaveLength(1);
    await alice.cancelOrder(resting.id!, SYMBOL);
  });

  it('a key signs only with its own secret; an unknown key is -2015', async () => {
    expect((await signed(sim, ALICE, 'GET', '/api/v3/account')).status).toBe(200);
    const crossed = await signed(sim, ALICE, 'GET', '/api/v3/account', {}, BOB.secret);
    expect(crossed).toMatchObject({ status: 400, body: { code: -1022 } });
    const stranger = await signed(
      sim,
      { apiKey: 'eve-key', secret: 'x' },
      'GET',
      '/api/v3/account',
    );
    expect(stranger).toMatchObject({ status: 401, body: { code: -2015 } });
    const wrong = await simExchange(sim, { key: { apiKey: BOB.apiKey, secret: ALICE.secret } });
    await expect(wrong.fetchBalance()).rejects.toBeInstanceOf(ccxt.AuthenticationError);
  });

  it('a revoked key answers -2015 on its own account only; `true` revokes every key', async () => {
    const account = (k: Key) => signed(sim, k, 'GET', '/api/v3/account');
    try {
      sim.faults.set({ keyRevoked: [ALICE.apiKey] });
      expect(await account(ALICE)).toMatchObject({ status: 401, body: { code: -2015 } });
      expect((await account(BOB)).status).toBe(200);
      sim.faults.set({ keyRevoked: true });
      for (const k of [ALICE, BOB])
        expect(await account(k)).toMatchObject({ status: 401, body: { code: -2015 } });
      expect(() => sim.faults.set({ keyRevoked: [1] as never })).toThrow(
        'faults.keyRevoked: must be true, false or a list of API keys',
      );
    } finally {
      sim.faults.set({ keyRevoked: false });
    }
    for (const k of [ALICE, BOB]) expect((await account(k)).status).toBe(200);
  });

  it('a listen key hears only its own account', async () => {
    const listenKey = async (k: Key) =>
      (
        (await (
          await fetch(`${sim.url}/api/v3/userDataStream`, {
            method: 'POST',
            headers: { 'X-MBX-APIKEY': k.apiKey },
          })
        ).json()) as { listenKey: string }
      ).listenKey;
    const heard = { alice: [] as string[], bob: [] as string[] };
    const open = async (k: Key, into: string[]) => {
      const ws = new WebSocket(`${sim.wsUrl}/ws/${await listenKey(k)}`);
      ws.on('message', (m) => {
        const e = JSON.parse(String(m)) as { e: string; c?: string };
        if (e.e === 'executionReport') into.push(e.c!);
      });
      await new Promise((r) => ws.once('open', r));
      return ws;
    };
    const wa = await open(ALICE, heard.alice);
    const wb = await open(BOB, heard.bob);
    await alice.createOrder(SYMBOL, 'market', 'buy', 0.01, undefined, { newClientOrderId: 'a-ws' });
    await bob.createOrder(SYMBOL, 'market', 'buy', 0.01, undefined, { newClientOrderId: 'b-ws' });
    await until(() => heard.alice.length >= 2 && heard.bob.length >= 2, 5000, 'reports');
    expect(new Set(heard.alice)).toEqual(new Set(['a-ws']));
    expect(new Set(heard.bob)).toEqual(new Set(['b-ws']));
    wa.close();
    wb.close();
  });

  it('one WebSocket API connection subscribes two keys: each subscription hears its own account', async () => {
    const ws = new WebSocket(`${sim.wsUrl}/ws-api/v3`);
    await new Promise((r) => ws.once('open', r));
    const frames: {
      id?: number;
      result?: { subscriptionId: number };
      subscriptionId?: number;
      event?: { e: string; c?: string };
    }[] = [];
    ws.on('message', (m) => frames.push(JSON.parse(String(m)) as (typeof frames)[number]));
    const subscribe = (id: number, k: Key) => {
      const params: Record<string, string> = { apiKey: k.apiKey, timestamp: String(Date.now()) };
      const payload = Object.keys(params)
        .sort()
        .map((n) => `${n}=${params[n]}`)
        .join('&');
      ws.send(
        JSON.stringify({
          id,
          method: 'userDataStream.subscribe.signature',
          params: { ...params, signature: hmacHex(k.secret, payload) },
        }),
      );
    };
    subscribe(1, ALICE);
    subscribe(2, BOB);
    await until(() => frames.filter((f) => f.result).length === 2, 5000, 'subscribed');
    const sub = (id: number) => frames.find((f) => f.id === id)!.result!.subscriptionId;
    expect([sub(1), sub(2)]).toEqual([0, 1]);
    await alice.createOrder(SYMBOL, 'market', 'buy', 0.01, undefined, {
      newClientOrderId: 'a-api',
    });
    await bob.createOrder(SYMBOL, 'market', 'buy', 0.01, undefined, { newClientOrderId: 'b-api' });
    const heard = (id: number) => () =>
      new Set(
        frames
          .filter((f) => f.subscriptionId === id && f.event?.e === 'executionReport')
          .map((f) => f.event!.c),
      );
    await until(() => heard(0)().size > 0 && heard(1)().size > 0, 5000, 'reports');
    expect([heard(0)(), heard(1)()]).toEqual([new Set(['a-api']), new Set(['b-api'])]);
    ws.close();
  });

  it('refuses accounts given twice, or both ways', async () => {
    await expect(
      start({ data: BARS, accounts: [ALICE, { ...ALICE, secret: 'other' }] }),
    ).rejects.toThrow(/alice-key is given twice/);
    await expect(start({ data: BARS, accounts: [ALICE], apiKey: 'k' })).rejects.toThrow(
      /either as accounts or as apiKey/,
    );
  });
});

type Op = {
  who: 0 | 1;
  kind: 'market-buy' | 'market-sell' | 'limit-buy' | 'limit-sell' | 'cancel' | 'advance';
  lots: number;
  offset: number;
};

/** Runs `ops` on a fresh venue; answers each account's outcome (ids aside: they are shared). */
async function run(ops: readonly Op[], only: 0 | 1 | null) {
  const sim = await startTwo();
  const keys = [ALICE, BOB];
  const answers: [number, number, unknown][] = [];
  try {
    for (const [i, op] of ops.entries()) {
      if (op.kind === 'advance') {
        sim.advance(op.lots % 3);
        continue;
      }
      if (only !== null && op.who !== only) continue;
      const key = keys[op.who]!;
      if (op.kind === 'cancel') {
        const open = sim.state.account(key.apiKey)!.openOrders()[0];
        const r = open
          ? await signed(sim, key, 'DELETE', '/api/v3/order', {
              symbol: 'BTCUSDT',
              origClientOrderId: open.clientOrderId,
            })
          : { status: 0, body: null };
        answers.push([op.who, r.status, r.body?.status ?? r.body?.code ?? null]);
        continue;
      }
      const [type, side] = op.kind.split('-') as ['market' | 'limit', 'buy' | 'sell'];
      const last = sim.market.lastPrice()!;
      const params: Record<string, string> = {
        symbol: 'BTCUSDT',
        side: side.toUpperCase(),
        type: type.toUpperCase(),
        quantity: (op.lots / 1000).toFixed(3),
        newClientOrderId: `o-${i}`,
      };
      if (type === 'limit') {
        params.price = (last * (1 + op.offset / 2000)).toFixed(2);
        params.timeInForce = 'GTC';
      }
      const r = await signed(sim, key, 'POST', '/api/v3/order', params);
      answers.push([op.who, r.status, r.body.status ?? r.body.code]);
    }
    const outcome = (k: Key) => {
      const a = sim.state.account(k.apiKey)!;
      return {
        balances: a.balances(),
        orders: a
          .orders()
          .map((o) => [o.clientOrderId, o.status, o.executedQty.toFixed(), o.locked.toFixed()]),
        trades: a
          .trades()
          .map((t) => [
            t.clientOrderId,
            t.side,
            t.price.toFixed(),
            t.qty.toFixed(),
            t.commission.toFixed(),
          ]),
      };
    };
    return { alice: outcome(ALICE), bob: outcome(BOB), answers };
  } finally {
    await sim.close();
  }
}

describe('binance-sim: interleaved accounts (property)', () => {
  it("no interleaving of two keys' orders moves one account by the other's fills", async () => {
    const op = fc.record({
      who: fc.constantFrom<0 | 1>(0, 1),
      kind: fc.constantFrom<Op['kind']>(
        'market-buy',
        'market-sell',
        'limit-buy',
        'limit-sell',
        'cancel',
        'advance',
      ),
      lots: fc.integer({ min: 1, max: 2000 }),
      offset: fc.integer({ min: -8, max: 8 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 24 }), async (ops) => {
        const both = await run(ops, null);
        const aliceAlone = await run(ops, 0);
        const bobAlone = await run(ops, 1);
        // Each account ends exactly as it would have alone on the venue.
        expect(both.alice).toEqual(aliceAlone.alice);
        expect(both.bob).toEqual(bobAlone.bob);
        expect(both.answers.filter(([w]) => w === 0)).toEqual(aliceAlone.answers);
        expect(both.answers.filter(([w]) => w === 1)).toEqual(bobAlone.answers);
        // ... and the one that did nothing still holds what it started with.
        expect(aliceAlone.bob.balances).toEqual([
          { asset: 'BTC', free: '3.00000000', locked: '0.00000000' },
          { asset: 'USDT', free: '200000.00000000', locked: '0.00000000' },
        ]);
      }),
      { numRuns: 12, seed: 15 },
    );
  }, 120_000);
});
