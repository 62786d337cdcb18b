import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { toDecimal } from '../../../src/trading/core/decimal.js';
import { apiCall, type Answer } from '../../support/api-call.js';
import { secondTrader, startTestServer, type TestServer } from '../../support/api-server.js';
import { parsePrometheus, sampleValue } from '../../support/prometheus-text.js';
import { dropTestSchema } from '../../support/postgres.js';
import { migratedSchema } from '../../support/stores.js';
import { liveServerOptions, startLiveSim } from '../../support/ccxt-sim.js';
import { until } from '../../support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;
type Rest<T extends unknown[]> = T extends [unknown, ...infer R] ? R : never;

/**
 * Issue 15, live accounts: `kairos serve --venue binance --exchange-url <simulator>` with a
 * trader's live account bound to their stored key (ccxt's real `binance` class against the
 * simulator), next to their paper account. Orders on the live account reach the venue; its
 * balances and positions are the venue's, with when they were confirmed; bad input is refused
 * with a stable code and nothing is stored; a venue that bans the key puts the account DOWN
 * (no new order there, the paper account trades on) until it answers again; a restart recovers
 * the account from the venue before it trades.
 */
describe.each(['PGlite', 'Postgres'])('live accounts in kairos serve (%s)', (dialect) => {
  const schema = `kairos_live_${process.pid}_${randomBytes(4).toString('hex')}`;
  let sim: BinanceSim;
  let t: TestServer;
  let server: RunningServer;
  let tom: string;
  let tina: { id: string; token: string };
  let keys = 0;
  const ids = { live: '', paper: '', tomKey: '', tinaKey: '', tinaBadKey: '' };

  beforeAll(async () => {
    sim = await startLiveSim();
    // The schema as every migration leaves it, from the global setup's script (`migratedSchema`):
    // the server's open then applies none (each migration's DDL on a new schema: CPU of the
    // worker and of Postgres for nothing this file tests).
    if (dialect === 'Postgres') await migratedSchema(schema);
    t = await startTestServer({
      ...liveServerOptions(sim),
      ...(dialect === 'Postgres' ? { postgresSchema: schema } : { store: 'pglite' as const }),
    });
    server = t.server;
    tom = t.token;
    tina = await secondTrader(t);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await sim?.close();
    if (dialect === 'Postgres') await dropTestSchema(schema);
  });

  /**
   * `kairos_live_accounts{venue="binance", state}` of each state, from one render of the
   * server's registry (rendered and parsed once a poll, not once a state).
   */
  const liveGauges = async (states: readonly string[]) => {
    const samples = parsePrometheus(await server.metrics!.text());
    return states.map((state) =>
      sampleValue(samples, 'kairos_live_accounts', { venue: 'binance', state }),
    );
  };
  const gaugeShows = (state: string) => {
    const states = ['UP', 'DOWN', 'DISABLED'];
    return until(
      async () =>
        (await liveGauges(states)).join() === states.map((s) => (s === state ? 1 : 0)).join(),
      10_000,
      `kairos_live_accounts: the one live account ${state}, no other`,
    );
  };

  /** A request to the server running now. */
  const call = (...args: Rest<Parameters<typeof apiCall>>) => apiCall(server.url, ...args);
  const order = (token: string, body: Record<string, unknown>) =>
    call('POST', '/orders', {
      token,
      body: { side: 'BUY', type: 'MARKET', ...body },
      headers: { 'idempotency-key': `live-${keys++}` },
    });
  const storeKey = async (token: string, label: string, apiKey: string, secret: string) => {
    const r = await call('POST', '/credentials', {
      token,
      body: { venue: 'binance', label, apiKey, secret },
    });
    expect(r.status).toBe(201);
    return r.json.id as string;
  };
  /** A new order on the live account is refused with `code`; the paper account trades on. */
  const onlyLiveRefused = async (status: number, code: string) => {
    const refused = await order(tom, {
      accountId: ids.live,
      instrumentId: 'BTC/USDT',
      quantity: '0.01',
    });
    expect([refused.status, refused.json.code]).toEqual([status, code]);
    const paper = await order(tom, { accountId: ids.paper, instrumentId: 'BTC/X', quantity: '1' });
    expect(paper.status).toBe(201);
  };
  const accountsOf = async (token: string) =>
    (await call('GET', '/accounts', { token })).json.accounts as Json[];
  const statusOf = async (token: string, id: string) =>
    (await call('GET', `/accounts/${id}`, { token })).json.venueStatus;

  it('opens a live account on a stored key; refuses bad input with a stable code, storing nothing', async () => {
    ids.tomKey = await storeKey(tom, 'sim', sim.apiKey, sim.secret);
    ids.tinaKey = await storeKey(tina.token, 'sim', sim.apiKey, sim.secret);
    ids.tinaBadKey = await storeKey(tina.token, 'revoked', 'not-a-key-the-venue-knows', 'x');
    const paper = await call('POST', '/accounts', {
      token: tom,
      body: { name: 'practice', startingCash: '1000' },
    });
    expect(paper.status).toBe(201);
    ids.paper = paper.json.id;

    const live = (body: Json) => ({ name: 'real', mode: 'live', venue: 'binance', ...body });
    const cases: [string, Json, number, string, string][] = [
      // Another user's credential answers as an unknown one.
      [tina.token, live({ credentialId: ids.tomKey }), 404, 'CREDENTIAL_NOT_FOUND', ids.tomKey],
      [tom, live({ credentialId: 'nope' }), 404, 'CREDENTIAL_NOT_FOUND', 'nope'],
      [
        tom,
        live({ venue: 'kraken', credentialId: ids.tomKey }),
        422,
        'VENUE_NOT_CONFIGURED',
        'kraken',
      ],
      [
        tom,
        live({ credentialId: ids.tomKey, startingCash: '5' }),
        400,
        'ACCOUNT_INVALID',
        'startingCash',
      ],
      [tom, live({ credentialId: undefined }), 400, 'ACCOUNT_INVALID', 'credentialId'],
      [tom, live({ venue: undefined, credentialId: ids.tomKey }), 400, 'ACCOUNT_INVALID', 'venue'],
      // The venue refuses the key: nothing is stored.
      [tina.token, live({ credentialId: ids.tinaBadKey }), 422, 'CREDENTIAL_REFUSED', 'refused'],
    ];
    for (const [token, body, status, code, named] of cases) {
      const r = await call('POST', '/accounts', { token, body });
      expect([r.status, r.json.code, body]).toEqual([status, code, body]);
      expect(r.json.detail).toContain(named);
    }
    expect((await accountsOf(tina.token)).filter((a) => !a.shared)).toEqual([]);
    expect((await accountsOf(tom)).map((a) => a.id)).toEqual(['desk', ids.paper]);

    const r = await call('POST', '/accounts', {
      token: tom,
      body: live({ credentialId: ids.tomKey }),
    });
    expect(r.status).toBe(201);
    expect(r.json).toEqual({
      id: expect.any(String),
      ownerUserId: t.users.trader.id,
      name: 'real',
      mode: 'live',
      venue: 'binance',
      credentialId: ids.tomKey,
      currency: 'USDT',
      // The venue's balance when it was opened: the risk gate's cash.
      startingCash: '1000000',
      status: 'open',
      default: false,
      shared: false,
      createdAt: expect.any(Number),
      disabledAt: null,
      venueStatus: {
        venue: 'UP',
        reason: null,
        since: expect.any(Number),
        confirmedAt: expect.any(Number),
        retryAt: null,
      },
    });
    ids.live = r.json.id;
    expect(r.json.id).not.toBe(ids.paper);
    const read = await call('GET', `/accounts/${ids.live}`, { token: tom });
    expect({ status: read.status, body: read.json }).toEqual({
      status: 200,
      body: { ...r.json, venueStatus: { ...r.json.venueStatus, confirmedAt: expect.any(Number) } },
    });
    // Only the two accounts made were stored, each with its audit row.
    const rows = await call('GET', `/audit?from=0&to=${Date.now() + 60_000}&limit=1000`, {
      token: t.tokens.auditor,
    });
    const created = rows.json.rows.filter((x: Json) => x.action === 'account.created');
    expect(created.map((x: Json) => x.subject).sort()).toEqual([ids.live, ids.paper].sort());
  }, 60_000);

  it('sends a live account’s orders to the venue and reads its balances from there; the paper account stays apart', async () => {
    const before = sim.state.orders().length;
    // A live account trades what the venue lists, nothing else; the paper instrument neither.
    for (const instrumentId of ['ETH/USDT', 'BTC/X']) {
      const r = await order(tom, { accountId: ids.live, instrumentId, quantity: '0.01' });
      expect([r.status, r.json.code]).toEqual([422, 'UNKNOWN_INSTRUMENT']);
      expect(r.json.detail).toContain(instrumentId);
      expect(r.json.detail).toContain('binance lists no market');
    }
    // Refused before anything was written: no order on the account, none at the venue.
    expect(
      (await call('GET', `/orders?accountId=${ids.live}`, { token: tom })).json.orders,
    ).toEqual([]);
    expect(sim.state.orders()).toHaveLength(before);
    // The venue's market reaches the account's core: a market order has a reference price.
    let placed: Answer | null = null;
    await until(
      async () => {
        placed = await order(tom, {
          accountId: ids.live,
          instrumentId: 'BTC/USDT',
          quantity: '0.01',
        });
        return placed.status === 201;
      },
      20_000,
      'a market order accepted on the live account',
    );
    const id = placed!.json.clientOrderId as string;
    expect(placed!.json.accountId).toBe(ids.live);
    await until(
      async () =>
        (await call('GET', `/orders/${id}`, { token: tom })).json.order?.status === 'FILLED',
      20_000,
      'the live order filled at the venue',
    );
    // At the venue, by its client order id, exactly once.
    const atVenue = sim.state.orders().slice(before);
    expect(atVenue.map((o) => o.clientOrderId)).toEqual([id]);
    // Its fill, once stored (the order's state is the OMS's, its fills the journal's).
    let fills: Json[] = [];
    await until(
      async () => {
        fills = (await call('GET', `/fills?accountId=${ids.live}`, { token: tom })).json.fills;
        return fills.length > 0;
      },
      10_000,
      'the live fill stored',
    );
    expect(fills.map((f: Json) => f.clientOrderId)).toEqual([id]);
    // Balances: the venue's, confirmed once it holds the BTC bought.
    let balances: Json[] = [];
    await until(
      async () => {
        balances = (await call('GET', `/balances?accountId=${ids.live}`, { token: tom })).json
          .balances;
        return balances.some((b) => b.currency === 'BTC' && typeof b.confirmedAt === 'number');
      },
      20_000,
      'the venue confirmed the BTC bought',
    );
    const venue = new Map(sim.state.balances().map((b) => [b.asset, b]));
    for (const b of balances) {
      expect(b).toMatchObject({ accountId: ids.live, source: 'venue' });
      const v = venue.get(b.currency)!;
      expect(toDecimal(b.cash).eq(toDecimal(v.free).plus(v.locked))).toBe(true);
    }
    const positions = (await call('GET', `/positions?accountId=${ids.live}`, { token: tom })).json
      .positions;
    expect(positions).toHaveLength(1);
    expect(positions[0]).toMatchObject({ instrumentId: 'BTC/USDT', source: 'venue' });
    expect(toDecimal(positions[0].quantity).eq(toDecimal(venue.get('BTC')!.free))).toBe(true);
    // When the venue last confirmed it: a time, moved on by the next confirmation.
    const confirmed = positions[0].confirmedAt as number;
    expect(confirmed).toBeGreaterThanOrEqual(balances[0].confirmedAt);
    await until(
      async () =>
        (await call('GET', `/positions?accountId=${ids.live}`, { token: tom })).json.positions[0]
          .confirmedAt > confirmed,
      10_000,
      'the position confirmed again by the venue',
    );
    // The paper account saw none of it: its own cash, no position, no fill.
    const paper = (await call('GET', `/balances?accountId=${ids.paper}`, { token: tom })).json
      .balances;
    expect(paper).toEqual([
      expect.objectContaining({ cash: '1000', source: 'ledger', confirmedAt: null }),
    ]);
    expect((await call('GET', `/fills?accountId=${ids.paper}`, { token: tom })).json.fills).toEqual(
      [],
    );
    // Tina reads none of tom's live account.
    for (const url of [`/balances?accountId=${ids.live}`, `/fills?accountId=${ids.live}`]) {
      const r = await call('GET', url, { token: tina.token });
      expect([r.status, r.json.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    }
  }, 60_000);

  it('puts only the account on a venue that bans the key DOWN, with the reason, until it answers', async () => {
    // The venue refuses the account's reads (429, then an 418 ban of 1.5 s): orders pass.
    sim.faults.set({ rateLimit: { after: 0, tooMany: 1, banMs: 1_500, readsOnly: true } });
    try {
      await until(
        async () => (await statusOf(tom, ids.live))?.venue === 'DOWN',
        10_000,
        'the live account DOWN',
      );
      const down = await statusOf(tom, ids.live);
      expect(down.reason).toMatch(/binance/);
      await gaugeShows('DOWN');
      await onlyLiveRefused(503, 'ACCOUNT_VENUE_DOWN');
    } finally {
      sim.faults.set({ rateLimit: null });
    }
    await until(
      async () => (await statusOf(tom, ids.live))?.venue === 'UP',
      20_000,
      'the live account UP again',
    );
    await gaugeShows('UP');
  }, 60_000);

  it('any order body on a live account: accepted or refused with a stable code, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          instrumentId: fc.constantFrom('BTC/USDT', 'ETH/USDT', 'BTC/X', 'btc/usdt'),
          quantity: fc.constantFrom('0', '0.00000001', '0.001', '-1', '1e3'),
          side: fc.constantFrom('BUY', 'SELL'),
        }),
        async (body) => {
          const r = await order(tom, {
            accountId: ids.live,
            type: 'LIMIT',
            price: '1000',
            ...body,
          });
          expect(r.status).toBeLessThan(500);
          if (r.status >= 400) expect(typeof r.json.code).toBe('string');
        },
      ),
      { numRuns: 15 },
    );
  }, 60_000);

  it('recovers the live account from the venue on restart, before it trades', async () => {
    const fillsBefore = (await call('GET', `/fills?accountId=${ids.live}`, { token: tom })).json
      .fills;
    server = await t.restart();
    const status = await statusOf(tom, ids.live);
    expect(status.venue).toBe('UP');
    const fills = (await call('GET', `/fills?accountId=${ids.live}`, { token: tom })).json.fills;
    expect(fills).toEqual(fillsBefore);
    // Its ledger is rebuilt from its fills: the risk gate sees the BTC it holds.
    const positions = (await call('GET', `/positions?accountId=${ids.live}`, { token: tom })).json
      .positions;
    expect(positions.map((p: Json) => p.instrumentId)).toEqual(['BTC/USDT']);
  }, 60_000);

  it('disables only the account whose key the venue revokes: alerted, audited, its orders refused', async () => {
    // Binance answers a revoked key with -2015, as it does a short ban of a key that worked:
    // several confirmations in a row must meet it before the account is disabled.
    sim.faults.set({ keyRevoked: true });
    try {
      await until(
        async () => (await statusOf(tom, ids.live))?.venue === 'DISABLED',
        15_000,
        'the live account DISABLED',
      );
      expect((await statusOf(tom, ids.live)).reason).toMatch(/key refused by the venue.*-2015/);
      await gaugeShows('DISABLED');
      await onlyLiveRefused(409, 'ACCOUNT_CREDENTIAL_REFUSED');
      const rows = await call('GET', `/audit?from=0&to=${Date.now() + 60_000}&limit=1000`, {
        token: t.tokens.auditor,
      });
      const audited = rows.json.rows.filter((x: Json) => x.action === 'account.credential_refused');
      expect(audited.map((x: Json) => x.subject)).toEqual([ids.live]);
      expect(t.logs.some((l) => l.includes('ACCOUNT_CREDENTIAL_REFUSED'))).toBe(true);
    } finally {
      sim.faults.set({ keyRevoked: false });
    }
  }, 60_000);
});
