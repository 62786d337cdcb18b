import path from 'node:path';
import { generate } from 'otplib';
import { openFieldKeys } from '../../src/system/field-cipher.js';
import { UserAccounts } from '../../src/system/user-accounts.js';
import { toDecimal } from '../../src/trading/core/decimal.js';
import { apiCall } from '../support/api-call.js';
import { syntheticBars, writeBarsFile } from '../support/ccxt-sim.js';
import { btcSlice } from '../support/paper-args.js';
import { processSchema } from '../support/spawn-schema.js';
import { spawnServe } from '../support/spawn-serve.js';
import { addToCatalog } from '../support/strategy-catalog.js';
import { killVenue, spawnVenue, type VenueProcess } from '../support/spawn-venue.js';
import { until } from '../support/until.js';
import { tempDir } from '../support/temp-dir.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

const BY = { actor: 'ops', role: 'cli' };

interface Trader {
  readonly name: string;
  readonly key: { apiKey: string; secret: string };
  token: string;
  live: string;
  paper: string;
  liveOrders: string[];
  paperOrders: string[];
}

/**
 * Issue 15 as processes: `kairos venue simulate` with two accounts (one key each) under
 * `kairos serve --venue binance --exchange-url …`; two traders each store their own key and open
 * a live account on it and a paper account; orders on all four; fills, balances and positions
 * never cross between traders or accounts (the venue's per-account view agrees); the venue killed
 * with SIGKILL while an order is open and started again on its state file: the live accounts go
 * DOWN and come back UP, nothing is lost and nothing is sent twice.
 *
 * A quant at the same desk, with a live account on their own key, starts two instances of a
 * strategy on it over the API: each one's `ctx.position()`, as it reports it in its state, is what
 * its own fills made (the other instance's fills on the same account, and the traders' on theirs,
 * excluded); the two make the account's position at the venue. They run on through the venue's
 * restart and still report the same (nothing lost, nothing bought twice).
 * (Traders place orders and quants start strategies, `docs/security.md`: no role does both, so
 * the other fills on the strategy's account are another instance's.)
 */
describe('kairos serve: two traders, each live on their own key at the simulator, and on paper', () => {
  const dir = tempDir('kairos-two-traders-');
  const home = path.join(dir, 'home');
  const data = btcSlice(path.join(dir, 'BTC-1m.json'), 3000);
  const venueData = writeBarsFile(path.join(dir, 'venue-1m.json'), syntheticBars(20_000));
  const stateFile = path.join(dir, 'venue-state.json');
  const catalog = path.join(dir, 'strategies');
  addToCatalog(catalog, 'test/fixtures/strategies/own-position.ts', 'own-position');
  const quant = { name: 'qin', key: { apiKey: 'qin-key', secret: 'qin-secret' } };
  const password = 'trader passphrase number 2';
  const traders: Trader[] = [
    { name: 'tom', key: { apiKey: 'tom-key', secret: 'tom-secret' } },
    { name: 'ann', key: { apiKey: 'ann-key', secret: 'ann-secret' } },
  ].map((t) => ({ ...t, token: '', live: '', paper: '', liveOrders: [], paperOrders: [] }));
  const totp: Record<string, string> = {};
  // The install's store a Postgres schema (`processSchema`): the traders' accounts are the
  // subject, not the embedded store, and PGlite would run every commit of the server in it.
  const db = processSchema('two_traders');
  let venue: VenueProcess | null = null;
  let serve: ReturnType<typeof spawnServe> | null = null;
  let url = '';
  let keys = 0;

  const venueArgs = (port: number) => [
    '--data',
    venueData,
    '--port',
    String(port),
    '--speed',
    '600',
    '--preload',
    '100',
    '--tick',
    '0.01',
    '--lot',
    '0.00001',
    '--min-notional',
    '10',
    // Its market runs 600x real time: a weight allowance to match (as startLiveSim's).
    '--weight-per-minute',
    '200000',
    '--account',
    'tom-key:tom-secret:BTC=0,USDT=1000000',
    '--account',
    'ann-key:ann-secret:BTC=0,USDT=500000',
    '--account',
    'qin-key:qin-secret:BTC=0,USDT=1000000',
    '--state',
    stateFile,
  ];

  beforeAll(async () => {
    // The three users, made in this process as `kairos user create` makes them (`UserAccounts`
    // on the home's store and keys; that command has its own e2e tests): three processes fewer.
    const keys = await openFieldKeys(path.join(home, 'keys'), {
      keyId: undefined,
      region: 'us-east-1',
      endpoint: undefined,
    });
    const store = await db.open();
    try {
      const accounts = new UserAccounts(store.db, keys.cipher());
      for (const [name, role] of [
        ...traders.map((t) => [t.name, 'trader']),
        [quant.name, 'quant'],
      ] as const) {
        const made = await accounts.create({ username: name, password, role }, BY);
        totp[name] = made.secret;
      }
    } finally {
      keys.close();
      await store.close();
    }
    venue = await spawnVenue(venueArgs(0));
    // Live accounts confirmed with the venue every 250 ms (2 s by default): the test waits for
    // them to be DOWN after the venue is killed and UP once it is back.
    serve = spawnServe({ ...db.env, KAIROS_LIVE_CONFIRM_MS: '250' }, data, home, [
      '--venue',
      'binance',
      '--exchange-url',
      venue.url,
      '--strategies',
      catalog,
    ]);
    url = await serve.api();
  }, 120_000);
  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    await serve?.exited;
    if (venue) await killVenue(venue);
  });

  const login = async (name: string) => {
    const first = await apiCall(url, 'POST', '/auth/login', { body: { username: name, password } });
    const code = await generate({ secret: totp[name]!, epoch: Math.floor(Date.now() / 1000) });
    const mfa = await apiCall(url, 'POST', '/auth/mfa', {
      body: { challenge: first.json.challenge, code },
    });
    expect(mfa.status).toBe(200);
    return mfa.json.accessToken as string;
  };
  const call = (t: Trader, method: string, route: string, body?: unknown) =>
    apiCall(url, method, route, {
      token: t.token,
      ...(body === undefined ? {} : { body }),
      headers: { 'idempotency-key': `k-${keys++}` },
    });
  /** An order accepted (a live one is retried while the account has no price yet). */
  const order = async (t: Trader, accountId: string, body: Json) => {
    let r: Json = null;
    await until(
      async () => {
        r = await call(t, 'POST', '/orders', { accountId, instrumentId: 'BTC/USDT', ...body });
        return r.status === 201;
      },
      30_000,
      `${t.name}'s order accepted`,
    );
    return r.json.clientOrderId as string;
  };
  const fills = async (t: Trader, accountId: string) =>
    ((await call(t, 'GET', `/fills?accountId=${accountId}`)).json.fills as Json[]).map(
      (f) => `${f.clientOrderId}:${f.quantity}:${f.price}`,
    );
  const venueAccounts = async () =>
    (await (await fetch(`${venue!.url}/__accounts`)).json()) as Json[];
  const atVenue = async (t: Trader) =>
    (await venueAccounts()).find((a) => a.apiKey === t.key.apiKey);
  const venueStatus = async (t: Trader) =>
    (await call(t, 'GET', `/accounts/${t.live}`)).json.venueStatus?.venue as string | undefined;

  /** Logs `t` in, stores their key and opens their live account on it (`UP`). */
  const openLive = async (t: Trader) => {
    t.token = await login(t.name);
    const cred = await call(t, 'POST', '/credentials', {
      venue: 'binance',
      label: 'own',
      ...t.key,
    });
    expect(cred.status).toBe(201);
    const live = await call(t, 'POST', '/accounts', {
      name: 'real',
      mode: 'live',
      venue: 'binance',
      credentialId: cred.json.id,
    });
    expect([live.status, live.json.venueStatus?.venue]).toEqual([201, 'UP']);
    t.live = live.json.id;
  };

  it('keeps fills, balances and positions apart and loses nothing when the venue is killed and restarted', async () => {
    for (const t of traders) {
      await openLive(t);
      const paper = await call(t, 'POST', '/accounts', {
        name: 'practice',
        startingCash: '100000',
      });
      expect(paper.status).toBe(201);
      t.paper = paper.json.id;
    }
    const [tom, ann] = traders as [Trader, Trader];
    // The venue's starting cash of each key is its live account's.
    expect((await call(tom, 'GET', `/accounts/${tom.live}`)).json.startingCash).toBe('1000000');
    expect((await call(ann, 'GET', `/accounts/${ann.live}`)).json.startingCash).toBe('500000');

    tom.liveOrders.push(
      await order(tom, tom.live, { side: 'BUY', type: 'MARKET', quantity: '0.01' }),
    );
    ann.liveOrders.push(
      await order(ann, ann.live, { side: 'BUY', type: 'MARKET', quantity: '0.02' }),
    );
    tom.paperOrders.push(
      await order(tom, tom.paper, { side: 'BUY', type: 'MARKET', quantity: '1' }),
    );
    ann.paperOrders.push(
      await order(ann, ann.paper, { side: 'BUY', type: 'MARKET', quantity: '2' }),
    );

    for (const t of traders)
      for (const [id, mine] of [
        [t.live, t.liveOrders],
        [t.paper, t.paperOrders],
      ] as const) {
        const f = await until(
          async () => {
            const got = await fills(t, id);
            return got.length > 0 && got;
          },
          30_000,
          `${t.name}'s fills on ${id}`,
        );
        // Each account's fills are of its own orders only.
        expect(f.every((x) => mine.some((c) => x.startsWith(`${c}:`)))).toBe(true);
      }
    // The venue's view per key: each key's orders are its trader's live orders, nothing else.
    for (const t of traders) {
      const v = await atVenue(t);
      expect(v.orders.map((o: Json) => o.clientOrderId)).toEqual(t.liveOrders);
      expect(v.trades.map((x: Json) => x.qty)).toEqual([t === tom ? '0.01000000' : '0.02000000']);
    }
    // Another trader's account is not there for them.
    expect((await call(ann, 'GET', `/accounts/${tom.live}`)).status).toBe(404);
    expect((await call(ann, 'GET', `/fills?accountId=${tom.live}`)).status).toBe(404);

    // Balances and positions of each live account are its key's at the venue.
    for (const t of traders) {
      const v = await atVenue(t);
      const btc = v.balances.find((b: Json) => b.asset === 'BTC');
      await until(
        async () => {
          const b = (await call(t, 'GET', `/balances?accountId=${t.live}`)).json.balances as Json[];
          const held = b.find((x) => x.currency === 'BTC');
          return held !== undefined && Number(held.cash) === Number(btc.free) + Number(btc.locked);
        },
        30_000,
        `${t.name}'s live balance as the venue's`,
      );
      const pos = (await call(t, 'GET', `/positions?accountId=${t.live}`)).json.positions as Json[];
      expect(pos.map((p) => [p.accountId, Number(p.quantity)])).toEqual([
        [t.live, Number(btc.free)],
      ]);
      const paperPos = (await call(t, 'GET', `/positions?accountId=${t.paper}`)).json
        .positions as Json[];
      expect(paperPos.map((p) => [p.accountId, p.quantity])).toEqual([
        [t.paper, t === tom ? '1' : '2'],
      ]);
    }

    // The quant: a live account on their own key, two instances of a strategy on it.
    const qin: Trader = {
      ...quant,
      token: '',
      live: '',
      paper: '',
      liveOrders: [],
      paperOrders: [],
    };
    await openLive(qin);
    const instances: string[] = [];
    for (const size of ['0.01', '0.02']) {
      const started = await call(qin, 'POST', '/strategies/own-position/start', {
        accountId: qin.live,
        params: { size },
      });
      expect([started.status, started.json.accountId]).toEqual([201, qin.live]);
      instances.push(started.json.id);
    }
    /** What each instance reports in its state: `ctx.position()` and the bars it heard. */
    const reported = async () =>
      Promise.all(
        instances.map(
          async (id) => (await call(qin, 'GET', `/strategies/instances/${id}/state`)).json.state,
        ),
      ) as Promise<({ position: string; bars: number } | null)[]>;
    const heldAtVenue = async (t: Trader) => {
      const btc = (await atVenue(t)).balances.find((b: Json) => b.asset === 'BTC');
      return toDecimal(btc.free).plus(btc.locked);
    };
    // Each sees what its own fill made (0.02 bought makes twice what 0.01 does, fees in BTC
    // included), not the other's on the same account nor the traders'; the two are what the
    // account holds at the venue.
    let states = await reported();
    await until(
      async () => {
        states = await reported();
        const [one, two] = states.map((s) => toDecimal(s?.position ?? '0'));
        return one!.gt(0) && two!.eq(one!.times(2)) && one!.plus(two!).eq(await heldAtVenue(qin));
      },
      30_000,
      `each instance's own position (they report ${JSON.stringify(states)})`,
    );
    const qinAtVenue = await atVenue(qin);
    expect(qinAtVenue.orders.map((o: Json) => o.clientOrderId.replace(/-\d+$/, '')).sort()).toEqual(
      [...instances].sort(),
    );
    // The account's position is the venue's holding, once it confirms it (every 2 s).
    const total = toDecimal(states[0]!.position).plus(states[1]!.position);
    await until(
      async () => {
        const p = (await call(qin, 'GET', `/positions?accountId=${qin.live}`)).json.positions;
        return p.length === 1 && toDecimal(p[0].quantity).eq(total);
      },
      30_000,
      "the quant's account position as the venue confirms it",
    );

    // An order open at the venue when it is killed.
    const resting = await order(tom, tom.live, {
      side: 'BUY',
      type: 'LIMIT',
      price: '1000.00',
      quantity: '0.01',
    });
    tom.liveOrders.push(resting);
    await until(
      async () =>
        (await atVenue(tom)).orders.find((o: Json) => o.clientOrderId === resting)?.status ===
        'NEW',
      30_000,
      'the resting order at the venue',
    );
    const before = {
      venue: await venueAccounts(),
      fills: await Promise.all(traders.map((t) => fills(t, t.live))),
    };
    const port = venue!.port;
    await killVenue(venue!);
    venue = null;
    for (const t of traders)
      await until(async () => (await venueStatus(t)) === 'DOWN', 60_000, `${t.name} DOWN`);
    // The paper accounts trade on.
    expect(
      (
        await call(ann, 'POST', '/orders', {
          accountId: ann.paper,
          instrumentId: 'BTC/USDT',
          side: 'SELL',
          type: 'MARKET',
          quantity: '1',
        })
      ).status,
    ).toBe(201);

    venue = await spawnVenue(venueArgs(port));
    expect(venue.output()).toMatch(/\(restored\)/);
    for (const t of [...traders, qin])
      await until(async () => (await venueStatus(t)) === 'UP', 60_000, `${t.name} UP again`);
    const heard = (await reported()).map((s) => s!.bars);
    const after = await venueAccounts();
    // Nothing lost, nothing sent twice: the same orders (the resting one still open) and fills.
    for (const [i, t] of traders.entries()) {
      const was = before.venue.find((a) => a.apiKey === t.key.apiKey);
      const now = after.find((a) => a.apiKey === t.key.apiKey);
      expect(now.orders.map((o: Json) => [o.orderId, o.clientOrderId, o.status])).toEqual(
        was.orders.map((o: Json) => [o.orderId, o.clientOrderId, o.status]),
      );
      expect(now.trades).toEqual(was.trades);
      expect(now.balances).toEqual(was.balances);
      expect(await fills(t, t.live)).toEqual(before.fills[i]);
    }
    // The quant's strategies hear the venue's bars again and report the same positions: their
    // one order each at the venue, not sent again.
    await until(
      async () => (await reported()).every((s, i) => s!.bars > heard[i]!),
      30_000,
      'the strategies hear bars again',
    );
    expect((await reported()).map((s) => s!.position)).toEqual(states.map((s) => s!.position));
    const qinNow = after.find((a) => a.apiKey === qin.key.apiKey);
    expect(qinNow.orders).toEqual(qinAtVenue.orders);
    expect(qinNow.trades).toEqual(qinAtVenue.trades);
    // ... and the server holds it open, reconciled, not resent.
    const open = (await call(tom, 'GET', `/orders/${resting}`)).json.order;
    expect(open.status).toBe('ACCEPTED');
  }, 300_000);
});
