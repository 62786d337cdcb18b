import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { apiCall, type Answer } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { liveServerOptions, startLiveSim } from '../../support/ccxt-sim.js';
import { openLiveAccount } from '../../support/live-account.js';
import { dropTestSchema } from '../../support/postgres.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from '../scalability/services.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;
type Name = 'live' | 'paper';
type Op =
  | { readonly k: 'place' | 'cancel' | 'close' | 'reopen'; readonly a: Name }
  | { readonly k: 'read'; readonly a: Name; readonly what: 'positions' | 'balances' }
  | { readonly k: 'readAll'; readonly what: 'positions' | 'balances' };

/** An `after` past anything the log holds: the resume falls back to a snapshot. */
const PAST = 1_000_000_000;

/**
 * Closing (`DELETE /accounts/{id}`) and opening again (`POST /accounts/{id}/reopen`) a live
 * account on the Binance simulator, next to a paper account on the same venue's market
 * (`docs/decisions/accounts.md`, "Closing and reopening"). Closed, an account takes no order and
 * no cancel (409 `ACCOUNT_DISABLED`); a live one's core and venue connection are closed with it
 * (no core, no private stream, no `venueStatus`), so its positions and balances are refused 409
 * `ACCOUNT_DISABLED` on every path (REST, a WebSocket snapshot), never its last view shown as
 * current nor an empty list read as flat; a closed paper account's frozen core answers them (its
 * state cannot change). Reopened, it is recovered and reconciled before it trades again. Real
 * Postgres (leases: the owner's paths) and ccxt's binance against the simulator.
 */
describe('closing and reopening accounts (kairos serve, the Binance simulator, Postgres)', () => {
  const schema = `kairos_reopen_${process.pid}_${randomBytes(4).toString('hex')}`;
  let sim: BinanceSim;
  let t: TestServer;
  let server: RunningServer;
  const ids: Record<Name, string> = { live: '', paper: '' };
  let keys = 0;
  const prefix = uniquePrefix();
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ cleanup } = await testRedis(prefix));
    sim = await startLiveSim();
    t = await startTestServer({
      ...liveServerOptions(sim),
      postgresSchema: schema,
      env: { REDIS_URL: TEST_REDIS_URL, KAIROS_REDIS_PREFIX: prefix },
    });
    server = t.server;
    const { credential, account: live } = await openLiveAccount(call, sim);
    expect([credential.status, live.status]).toEqual([201, 201]);
    ids.live = live.json.id;
    const paper = await call('POST', '/accounts', {
      name: 'practice',
      venue: 'binance',
      startingCash: '100000',
    });
    expect(paper.status).toBe(201);
    ids.paper = paper.json.id;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await sim?.close();
    await dropTestSchema(schema);
    await cleanup?.();
  });

  const call = (method: string, route: string, body?: unknown, on = server): Promise<Answer> =>
    apiCall(on.url, method, route, {
      token: t.token,
      ...(body === undefined ? {} : { body }),
      ...(method === 'POST' && route === '/orders'
        ? { headers: { 'idempotency-key': `reopen-${keys++}` } }
        : {}),
    });
  /** A buy far below the market: it rests at the venue (or the paper venue) until canceled. */
  const place = (a: Name) =>
    call('POST', '/orders', {
      accountId: ids[a],
      instrumentId: 'BTC/USDT',
      side: 'BUY',
      type: 'LIMIT',
      price: '1000',
      quantity: '0.02',
    });
  const statusOf = async (id: string) => (await call('GET', `/orders/${id}`)).json.order?.status;
  const listeners = () => sim.state.userDataListeners();

  it('a closed live account has no core, no venue stream and no state shown as current; reopened, it trades', async () => {
    const placed = await place('live');
    expect(placed.status).toBe(201);
    const id = placed.json.clientOrderId as string;
    await until(async () => (await statusOf(id)) === 'ACCEPTED', 20_000, 'resting');
    expect((await call('DELETE', `/accounts/${ids.live}`)).json.code).toBe(
      'ACCOUNT_HAS_OPEN_ORDERS',
    );
    expect((await call('DELETE', `/orders/${id}`)).status).toBe(202);
    await until(async () => (await statusOf(id)) === 'CANCELED', 20_000, 'canceled');
    expect(listeners()).toBeGreaterThan(0);

    const closed = await call('DELETE', `/accounts/${ids.live}`);
    expect([closed.status, closed.json.status]).toEqual([200, 'closed']);
    // Its positions and balances: refused, saying it is closed, on REST and on the WebSocket
    // (before: its core's view, as if nothing changed).
    for (const what of ['positions', 'balances']) {
      const r = await call('GET', `/${what}?accountId=${ids.live}`);
      expect([r.status, r.json.code]).toEqual([409, 'ACCOUNT_DISABLED']);
      expect(r.json.detail).toContain('is closed');
      const ws = await subscribedSocket<Json>(server.url, t.token, [what], {
        [ids.live]: PAST,
        [ids.paper]: PAST,
      });
      try {
        const told = ws.frames.filter((f) => f.type === 'error');
        expect(told.map((f) => [f.code, f.accountId, f.retrying])).toEqual([
          ['ACCOUNT_DISABLED', ids.live, false],
        ]);
        expect(ws.frames.some((f) => f.type === 'snapshot' && f.accountId === ids.paper)).toBe(
          true,
        );
      } finally {
        ws.close();
      }
    }
    // Its core and its private stream at the venue are closed with it: no venue link.
    expect(closed.json.venueStatus).toBeNull();
    expect(server.accountCore(ids.live)).toBeUndefined();
    await until(() => listeners() === 0, 10_000, 'the private stream closed');
    // Its orders stay readable, from the store; a cancel says it is closed, never "not found".
    expect(await statusOf(id)).toBe('CANCELED');
    const cancel = await call('DELETE', `/orders/${id}`);
    expect([cancel.status, cancel.json.code]).toEqual([409, 'ACCOUNT_DISABLED']);

    // A venue that refuses the key as it reopens: refused saying so, and it stays closed.
    sim.faults.set({ keyRevoked: true });
    const refused = await call('POST', `/accounts/${ids.live}/reopen`);
    sim.faults.set({ keyRevoked: false });
    expect([refused.status, refused.json.code]).toEqual([422, 'CREDENTIAL_REFUSED']);
    const still = (await call('GET', `/accounts/${ids.live}`)).json;
    expect([still.status, still.venueStatus]).toEqual(['closed', null]);
    expect(server.accountCore(ids.live)).toBeUndefined();

    const reopened = await call('POST', `/accounts/${ids.live}/reopen`);
    expect([reopened.status, reopened.json.status, reopened.json.venueStatus?.venue]).toEqual([
      200,
      'open',
      'UP',
    ]);
    expect(server.accountCore(ids.live)).toBeDefined();
    const balances = await call('GET', `/balances?accountId=${ids.live}`);
    expect(balances.status).toBe(200);
    expect(balances.json.balances.length).toBeGreaterThan(0);
    const again = await place('live');
    expect(again.status).toBe(201);
    await until(
      async () => (await statusOf(again.json.clientOrderId)) === 'ACCEPTED',
      20_000,
      'resting again',
    );
    await until(() => listeners() > 0, 10_000, 'the private stream open again');
    expect((await call('DELETE', `/orders/${again.json.clientOrderId}`)).status).toBe(202);
    await until(
      async () => (await statusOf(again.json.clientOrderId)) === 'CANCELED',
      20_000,
      'canceled again',
    );
  }, 120_000);

  it('any sequence of place, cancel, close, reopen and reads over a live and a paper account answers as the model says', async () => {
    /** The model: closed or not, and each account's resting orders (newest last) and all orders. */
    const model = {
      closed: { live: false, paper: false } as Record<Name, boolean>,
      open: { live: [], paper: [] } as Record<Name, string[]>,
      all: { live: [], paper: [] } as Record<Name, string[]>,
    };
    const name = fc.constantFrom<Name>('live', 'paper');
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ k: fc.constantFrom('place', 'cancel', 'close', 'reopen' as const), a: name }),
      fc.record({
        k: fc.constant('read' as const),
        a: name,
        what: fc.constantFrom('positions', 'balances' as const),
      }),
      fc.record({
        k: fc.constant('readAll' as const),
        what: fc.constantFrom('positions', 'balances' as const),
      }),
    );
    const step = async (o: Op) => {
      if (o.k === 'readAll') {
        // Every account seen: answered; a closed live account has no rows (it trades no more).
        const r = await call('GET', `/${o.what}`);
        expect(r.status).toBe(200);
        const of = (id: string) => r.json[o.what].some((row: Json) => row.accountId === id);
        if (model.closed.live) expect(of(ids.live)).toBe(false);
        if (o.what === 'balances') {
          expect(of(ids.paper)).toBe(true);
          if (!model.closed.live) expect(of(ids.live)).toBe(true);
        }
        return;
      }
      const { a } = o;
      const closed = model.closed[a];
      const refusedClosed = (r: Answer) =>
        expect([r.status, r.json.code]).toEqual([409, 'ACCOUNT_DISABLED']);
      switch (o.k) {
        case 'place': {
          const r = await place(a);
          if (closed) return refusedClosed(r);
          expect(r.status).toBe(201);
          model.open[a].push(r.json.clientOrderId);
          model.all[a].push(r.json.clientOrderId);
          return;
        }
        case 'cancel': {
          const id = model.open[a].at(-1) ?? model.all[a].at(-1);
          if (id === undefined) return;
          // Resting (or already done) before it is canceled: the cancel meets a settled order.
          await until(
            async () => (await statusOf(id)) !== 'PENDING_NEW',
            20_000,
            `${id} at the venue`,
          );
          const r = await call('DELETE', `/orders/${id}`);
          if (closed) return refusedClosed(r);
          if (!model.open[a].includes(id))
            return expect([r.status, r.json.code]).toEqual([409, 'ORDER_NOT_OPEN']);
          expect(r.status).toBe(202);
          await until(async () => (await statusOf(id)) === 'CANCELED', 20_000, `${id} canceled`);
          model.open[a] = model.open[a].filter((x) => x !== id);
          return;
        }
        case 'close': {
          const r = await call('DELETE', `/accounts/${ids[a]}`);
          if (!closed && model.open[a].length > 0)
            return expect([r.status, r.json.code]).toEqual([409, 'ACCOUNT_HAS_OPEN_ORDERS']);
          expect([r.status, r.json.status]).toEqual([200, 'closed']);
          model.closed[a] = true;
          return;
        }
        case 'reopen': {
          const r = await call('POST', `/accounts/${ids[a]}/reopen`);
          expect([r.status, r.json.status]).toEqual([200, 'open']);
          model.closed[a] = false;
          return;
        }
        case 'read': {
          const r = await call('GET', `/${o.what}?accountId=${ids[a]}`);
          // A closed live account's state is not watched: refused, never shown as current.
          if (closed && a === 'live') return refusedClosed(r);
          expect(r.status).toBe(200);
          // Nothing ever filled: flat, and the paper account's cash is its starting cash.
          if (o.what === 'positions')
            expect(r.json.positions.filter((p: Json) => Number(p.quantity) !== 0)).toEqual([]);
          else if (a === 'paper')
            expect(r.json.balances.map((b: Json) => [b.currency, b.cash])).toEqual([
              ['USDT', '100000'],
            ]);
          else expect(r.json.balances.length).toBeGreaterThan(0);
          return;
        }
      }
    };
    /** After each step: the account's view, its core and its venue link follow the model. */
    const agrees = async () => {
      for (const a of ['live', 'paper'] as const) {
        const view = (await call('GET', `/accounts/${ids[a]}`)).json;
        expect(view.status).toBe(model.closed[a] ? 'closed' : 'open');
        if (a === 'live') {
          expect(view.venueStatus?.venue ?? null).toBe(model.closed[a] ? null : 'UP');
          expect(server.accountCore(ids[a]) !== undefined).toBe(!model.closed[a]);
        }
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 8 }), async (ops) => {
        for (const o of ops) {
          await step(o);
          await agrees();
        }
        // Left clean for the next run: nothing resting, both open.
        for (const a of ['live', 'paper'] as const) {
          if (model.closed[a]) await step({ k: 'reopen', a });
          while (model.open[a].length > 0) await step({ k: 'cancel', a });
        }
      }),
      { numRuns: 10 },
    );
  }, 240_000);
  it('a paper account reopened while another of its name is open: ACCOUNT_NAME_TAKEN, nothing changes', async () => {
    expect((await call('DELETE', `/accounts/${ids.paper}`)).status).toBe(200);
    const twin = await call('POST', '/accounts', { name: 'Practice', startingCash: '5' });
    expect(twin.status).toBe(201);
    const taken = await call('POST', `/accounts/${ids.paper}/reopen`);
    expect([taken.status, taken.json.code]).toEqual([409, 'ACCOUNT_NAME_TAKEN']);
    expect((await call('GET', `/accounts/${ids.paper}`)).json.status).toBe('closed');
    expect((await call('DELETE', `/accounts/${twin.json.id}`)).status).toBe(200);
    const reopened = await call('POST', `/accounts/${ids.paper}/reopen`);
    expect([reopened.status, reopened.json.status]).toEqual([200, 'open']);
  }, 60_000);

  it('a restart opens no core and no venue connection for a closed live account; reopened after it, it trades', async () => {
    expect((await call('DELETE', `/accounts/${ids.live}`)).json.status).toBe('closed');
    await until(() => listeners() === 0, 10_000, 'the private stream closed');
    server = await t.restart();
    await until(() => server.ownership.owns(ids.live), 30_000, 'the closed account held again');
    const view = (await call('GET', `/accounts/${ids.live}`)).json;
    expect([view.status, view.venueStatus]).toEqual(['closed', null]);
    expect(server.accountCore(ids.live)).toBeUndefined();
    expect(listeners()).toBe(0);
    const read = await call('GET', `/positions?accountId=${ids.live}`);
    expect([read.status, read.json.code]).toEqual([409, 'ACCOUNT_DISABLED']);
    const reopened = await call('POST', `/accounts/${ids.live}/reopen`);
    expect([reopened.status, reopened.json.venueStatus?.venue]).toEqual([200, 'UP']);
    expect(server.accountCore(ids.live)).toBeDefined();
  }, 120_000);

  it('another instance: the owner answers for a closed account (reads and orders handed to it), and only the owner reopens it', async () => {
    const other = await t.another();
    try {
      // Three accounts (the shared one, the live one, the paper one) split 2/1 once the second
      // instance is seen; then the live account's owner stays.
      // Settled: each account held by exactly one instance, each instance holding one or more.
      const all = [ids.live, ids.paper, 'desk'];
      await until(
        () =>
          all.every((id) => server.ownership.owns(id) !== other.ownership.owns(id)) &&
          all.some((id) => other.ownership.owns(id)) &&
          all.some((id) => server.ownership.owns(id)),
        60_000,
        'the accounts split between the instances',
      );
      const owner = server.ownership.owns(ids.live) ? server : other;
      const away = owner === server ? other : server;
      expect(away.ownership.owns(ids.live)).toBe(false);
      // A hand-over still under way (the new owner's core opening) answers 503, which a client
      // retries (every 503 of the API is transient).
      const closed = await until(
        async () => {
          const a = await call('DELETE', `/accounts/${ids.live}`, undefined, owner);
          return a.status === 503 ? false : a;
        },
        20_000,
        'the owner answered the close',
      );
      expect([closed.status, closed.json.status]).toEqual([200, 'closed']);
      // Through the instance that does not own it: handed to the owner, which says it is closed.
      const read = await call('GET', `/balances?accountId=${ids.live}`, undefined, away);
      expect([read.status, read.json.code]).toEqual([409, 'ACCOUNT_DISABLED']);
      const order = await call(
        'POST',
        '/orders',
        {
          accountId: ids.live,
          instrumentId: 'BTC/USDT',
          side: 'BUY',
          type: 'LIMIT',
          price: '1000',
          quantity: '0.02',
        },
        away,
      );
      expect([order.status, order.json.code]).toEqual([409, 'ACCOUNT_DISABLED']);
      const elsewhere = await call('POST', `/accounts/${ids.live}/reopen`, undefined, away);
      expect([elsewhere.status, elsewhere.json.code]).toEqual([503, 'ACCOUNT_OWNER_UNAVAILABLE']);
      const reopened = await call('POST', `/accounts/${ids.live}/reopen`, undefined, owner);
      expect([reopened.status, reopened.json.status]).toEqual([200, 'open']);
      const again = await call('GET', `/balances?accountId=${ids.live}`, undefined, away);
      expect(again.status).toBe(200);
      expect(again.json.balances.length).toBeGreaterThan(0);

      // Its venue status: the owner's on both instances (one account and the list), within a
      // moment of each change (before: null on the instance that does not hold it).
      const statusOn = async (on: RunningServer) => {
        const one = (await call('GET', `/accounts/${ids.live}`, undefined, on)).json.venueStatus;
        const listed = (await call('GET', '/accounts', undefined, on)).json.accounts.find(
          (a: Json) => a.id === ids.live,
        )?.venueStatus;
        // `confirmedAt` moves at each confirmation (every 150 ms here): the rest must agree.
        const seen = [one, listed].map((v: Json) => v && [v.venue, v.reason, v.since, v.retryAt]);
        return JSON.stringify(seen[0]) === JSON.stringify(seen[1]) ? seen[0] : 'list differs';
      };
      /** Both instances show the live account's status as `venue`, the same: that status. */
      const agreeOn = (venue: string) =>
        until(
          async () => {
            const mine = await statusOn(owner);
            if (mine?.[0] !== venue) return false;
            const theirs = await statusOn(away);
            return JSON.stringify(mine) === JSON.stringify(theirs) && mine;
          },
          20_000,
          `both instances show the live account ${venue}`,
        );
      await agreeOn('UP');
      // The venue refuses the account's reads (429 on each, a pause of a second): DOWN at the
      // owner, with the reason, and the same on the other instance.
      sim.faults.set({ rateLimit: { after: 0, tooMany: 1e9, banMs: 1, readsOnly: true } });
      try {
        const down = await agreeOn('DOWN');
        expect(down[1]).toMatch(/^binance: .*(429|rate limited until)/);
        // The ban's end as the owner knows it, on both (null when the venue did not say one).
        expect(down[3] === null || typeof down[3] === 'number').toBe(true);
      } finally {
        sim.faults.set({ rateLimit: null });
      }
      await agreeOn('UP');
    } finally {
      await other.close();
    }
  }, 120_000);
});
