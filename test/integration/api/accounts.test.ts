import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { toDecimal, type Decimal } from '../../../src/trading/core/decimal.js';
import { apiCall, type Answer } from '../../support/api-call.js';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { secondTrader, startTestServer, type TestServer } from '../../support/api-server.js';
import { dropTestSchema } from '../../support/postgres.js';
import { addToCatalog } from '../../support/strategy-catalog.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

interface Frame {
  readonly type: string;
  readonly accountId?: string;
  readonly order?: { readonly clientOrderId: string; readonly accountId: string };
  readonly fill?: { readonly clientOrderId: string; readonly accountId: string };
  readonly position?: { readonly accountId: string; readonly quantity: string };
  readonly balance?: { readonly accountId: string; readonly cash: string };
}

/** A `/ws` client subscribed to orders, positions and balances, keeping every frame. */
const socket = (url: string, token: string) =>
  subscribedSocket<Frame>(url, token, ['orders', 'positions', 'balances']);

/**
 * Issue 15, first slice: every user's own paper accounts in `kairos serve`, each on its own
 * trading core. Two traders with two accounts each: orders, fills, cash and positions never
 * cross between users or accounts; another's account is not found; closing needs a flat account
 * with no open order; the kill switch per account; the WebSocket per account; a strategy on its
 * starter's account.
 */
describe.each(['PGlite', 'Postgres'])('accounts in kairos serve (%s)', (dialect) => {
  const schema = `kairos_acct_${process.pid}_${randomBytes(4).toString('hex')}`;
  let t: TestServer;
  /** The server running now (the last test restarts it). */
  let server: RunningServer;
  let tom: string;
  let tina: { id: string; token: string };
  const acc: Record<'A1' | 'A2' | 'B1' | 'B2', string> = { A1: '', A2: '', B1: '', B2: '' };
  let keys = 0;

  beforeAll(async () => {
    // Bars move (10 a second) so market orders fill at the next bar.
    t = await startTestServer({
      speed: 600,
      bars: 3000,
      ...(dialect === 'Postgres' ? { postgresSchema: schema } : { store: 'pglite' as const }),
    });
    server = t.server;
    tom = t.token;
    tina = await secondTrader(t);
    addToCatalog(path.join(t.home, 'strategies'), 'examples/strategies/sma-cross.ts', 'sma-cross');
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (dialect === 'Postgres') await dropTestSchema(schema);
  });

  const call = (
    method: string,
    url: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> => apiCall(server.url, method, url, opts);
  const order = (token: string, body: Record<string, unknown>) =>
    call('POST', '/orders', {
      token,
      headers: { 'idempotency-key': `acct-${keys++}` },
      body: { instrumentId: 'BTC/X', side: 'BUY', type: 'MARKET', quantity: '1', ...body },
    });
  const positionOf = async (token: string, accountId: string): Promise<Decimal> => {
    const r = await call('GET', `/positions?accountId=${accountId}`, { token });
    expect(r.status).toBe(200);
    const p = r.json.positions.find((x: Json) => x.instrumentId === 'BTC/X');
    return toDecimal(p?.quantity ?? '0');
  };
  const balanceOf = async (token: string, accountId: string): Promise<Json> => {
    const r = await call('GET', `/balances?accountId=${accountId}`, { token });
    expect(r.status).toBe(200);
    expect(r.json.balances).toHaveLength(1);
    return r.json.balances[0];
  };
  const fillsOf = async (token: string, accountId: string): Promise<Json[]> => {
    const r = await call('GET', `/fills?accountId=${accountId}&limit=500`, { token });
    expect(r.status).toBe(200);
    return r.json.fills;
  };
  /**
   * An account's paper venue on disk (its state and op log), to see whether it took an op; a
   * lease holder's fence line (written when an instance opens it) is no op.
   */
  const venueFiles = (accountId: string): string =>
    ['venue.json', 'venue.json.log']
      .map((f) => path.join(t.home, 'paper', accountId, f))
      .map((f) => (existsSync(f) ? readFileSync(f, 'latin1') : '-'))
      .map((text) => text.split('\n').filter((line) => !line.includes('"op":"fence"')))
      .join('\n--\n');
  /** Waits until `n` more bars reached an open account's paper venue (it logs each). */
  const barsPass = async (accountId: string, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const seen = venueFiles(accountId);
      await until(() => venueFiles(accountId) !== seen, 30_000, `a bar to ${accountId}`);
    }
  };
  /** The account the close test closes. */
  let closedAccount = '';

  /** Waits until every order id given is FILLED. */
  const filled = (token: string, ids: readonly string[], ms = 60_000) =>
    until(
      async () => {
        for (const id of ids) {
          const r = await call('GET', `/orders/${id}`, { token });
          if (r.json?.order?.status !== 'FILLED') return false;
        }
        return true;
      },
      ms,
      `orders ${ids.join(', ')} filled`,
    );

  it('opens paper accounts: the first is the default; names, cash and live are checked; another’s is not found', async () => {
    /**
     * Opens one, checks the answer field by field against the request (a client keeps the id
     * and shows the rest), and that a read right after answers the same account.
     */
    const open = async (
      token: string,
      owner: string,
      body: { name: string; startingCash: string; default?: boolean },
      isDefault: boolean,
    ) => {
      const r = await call('POST', '/accounts', { token, body });
      expect(r.status).toBe(201);
      expect(r.json).toEqual({
        id: expect.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]*$/),
        ownerUserId: owner,
        name: body.name,
        mode: 'paper',
        venue: 'PAPER',
        credentialId: null,
        startingCash: body.startingCash,
        currency: 'X',
        status: 'open',
        default: isDefault,
        shared: false,
        createdAt: expect.any(Number),
        disabledAt: null,
        venueStatus: null,
      });
      expect(r.headers.location).toBe(`/accounts/${r.json.id}`);
      const read = await call('GET', `/accounts/${r.json.id}`, { token });
      expect({ status: read.status, body: read.json }).toEqual({ status: 200, body: r.json });
      return r.json;
    };
    const a1 = await open(tom, t.users.trader.id, { name: 'main', startingCash: '10' }, true);
    const a2 = await open(tom, t.users.trader.id, { name: 'second', startingCash: '20.5' }, false);
    const b1 = await open(tina.token, tina.id, { name: 'main', startingCash: '30' }, true);
    const b2 = await open(
      tina.token,
      tina.id,
      { name: 'other', startingCash: '40', default: true },
      true,
    );
    expect(new Set([a1.id, a2.id, b1.id, b2.id, 'desk']).size).toBe(5);
    Object.assign(acc, { A1: a1.id, A2: a2.id, B1: b1.id, B2: b2.id });

    const mine = await call('GET', '/accounts', { token: tom });
    expect(mine.json.accounts.map((a: Json) => a.id)).toEqual(['desk', a1.id, a2.id]);
    expect(mine.json.accounts[0]).toMatchObject({ shared: true, ownerUserId: null });
    const hers = await call('GET', '/accounts', { token: tina.token });
    expect(hers.json.accounts.filter((a: Json) => a.default).map((a: Json) => a.id)).toEqual([
      b2.id,
    ]);
    // An admin (and the other oversight roles) sees every account.
    const all = await call('GET', '/accounts', { token: t.tokens.admin });
    expect(all.json.accounts.map((a: Json) => a.id)).toEqual(
      expect.arrayContaining([a1.id, a2.id, b1.id, b2.id]),
    );

    // Another user's account answers exactly as one that does not exist.
    for (const url of [`/accounts/${b1.id}`, '/accounts/acc-0000000000000000']) {
      const r = await call('GET', url, { token: tom });
      expect([r.status, r.json.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    }
    expect((await call('GET', `/accounts/${a1.id}`, { token: tom })).json.id).toBe(a1.id);

    const cases: [Json, number, string][] = [
      [{ name: 'MAIN', startingCash: '1' }, 409, 'ACCOUNT_NAME_TAKEN'],
      [{ name: 'zero', startingCash: '0' }, 400, 'ACCOUNT_INVALID'],
      [{ name: 'nocash' }, 400, 'ACCOUNT_INVALID'],
      [{ name: 'neg', startingCash: '-1' }, 400, 'VALIDATION'],
      [{ name: 'key', startingCash: '1', credentialId: 'c1' }, 400, 'ACCOUNT_INVALID'],
      [{ name: 'real', mode: 'live', credentialId: 'c1' }, 400, 'ACCOUNT_INVALID'],
      // This server has no venue (no --venue): a live account is refused naming the venue.
      [
        { name: 'real', mode: 'live', venue: 'binance', credentialId: 'c1' },
        422,
        'VENUE_NOT_CONFIGURED',
      ],
      // A paper account on a venue's live market: the same, for the same reason.
      [{ name: 'pv', startingCash: '1', venue: 'binance' }, 422, 'VENUE_NOT_CONFIGURED'],
      [{ name: 'x', startingCash: '1', ownerUserId: tina.id }, 400, 'VALIDATION'],
    ];
    for (const [body, status, code] of cases) {
      const r = await call('POST', '/accounts', { token: tom, body });
      expect([r.status, r.json.code, body]).toEqual([status, code, body]);
    }
    // Auditors and admins read accounts; they do not open them.
    const denied = await call('POST', '/accounts', {
      token: t.tokens.auditor,
      body: { name: 'a', startingCash: '1' },
    });
    expect(denied.status).toBe(403);
    // Only the accounts made above were stored, each with its audit row.
    const rows = await call('GET', `/audit?from=0&to=${Date.now() + 60_000}&limit=1000`, {
      token: t.tokens.auditor,
    });
    const created = rows.json.rows.filter((r: Json) => r.action === 'account.created');
    expect(created.map((r: Json) => r.subject).sort()).toEqual([a1.id, a2.id, b1.id, b2.id].sort());
  }, 60_000);

  it('keeps orders, fills, cash and positions of each account apart; another’s account is not found', async () => {
    const placed = {
      A1: await order(tom, { accountId: acc.A1, quantity: '1' }),
      // No account named: tom's default (A1).
      A1d: await order(tom, { quantity: '2' }),
      A2: await order(tom, { accountId: acc.A2, quantity: '4' }),
      B1: await order(tina.token, { accountId: acc.B1, quantity: '8' }),
    };
    for (const r of Object.values(placed)) expect(r.status).toBe(201);
    expect(placed.A1d.json.accountId).toBe(acc.A1);
    expect(placed.B1.json.accountId).toBe(acc.B1);
    // Another's account, an unknown one: the same 404, and nothing is made.
    for (const accountId of [acc.A1, 'acc-ffffffffffffffff']) {
      const r = await order(tina.token, { accountId });
      expect([r.status, r.json.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    }
    await filled(
      tom,
      [placed.A1.json, placed.A1d.json, placed.A2.json].map((o) => o.clientOrderId),
    );
    await filled(tina.token, [placed.B1.json.clientOrderId]);

    expect((await positionOf(tom, acc.A1)).toFixed()).toBe('3');
    expect((await positionOf(tom, acc.A2)).toFixed()).toBe('4');
    expect((await positionOf(tina.token, acc.B1)).toFixed()).toBe('8');
    expect((await positionOf(tina.token, acc.B2)).toFixed()).toBe('0');
    // Cash: each account's starting cash less its own fills, exactly.
    for (const [token, id, start] of [
      [tom, acc.A1, '10'],
      [tom, acc.A2, '20.5'],
      [tina.token, acc.B1, '30'],
      [tina.token, acc.B2, '40'],
    ] as const) {
      const fills = await fillsOf(token, id);
      expect(fills.every((f: Json) => f.accountId === id)).toBe(true);
      const spent = fills.reduce(
        (s: Decimal, f: Json) => s.plus(toDecimal(f.price).times(f.quantity)).plus(f.fee),
        toDecimal(0),
      );
      expect((await balanceOf(token, id)).cash).toBe(toDecimal(start).minus(spent).toFixed());
    }
    // The shared account saw none of it.
    expect(server.core.exec.allOrders().some((o) => o.accountId !== 'desk')).toBe(false);
    expect(
      server
        .accountCore(acc.B1)!
        .exec.allOrders()
        .map((o) => o.strategyId),
    ).toEqual([`user:${tina.id}`]);

    // Reading another's account: 404 on every read route; lists show only one's own.
    for (const url of [
      `/orders?accountId=${acc.A1}`,
      `/fills?accountId=${acc.A1}`,
      `/positions?accountId=${acc.A1}`,
      `/balances?accountId=${acc.A1}`,
    ]) {
      const r = await call('GET', url, { token: tina.token });
      expect([url, r.status, r.json.code]).toEqual([url, 404, 'ACCOUNT_NOT_FOUND']);
    }
    const hers = await call('GET', '/orders?limit=500', { token: tina.token });
    expect(new Set(hers.json.orders.map((o: Json) => o.accountId))).toEqual(new Set([acc.B1]));
    const theirPositions = await call('GET', '/positions', { token: tina.token });
    expect(
      theirPositions.json.positions.every((p: Json) =>
        [acc.B1, acc.B2, 'desk'].includes(p.accountId),
      ),
    ).toBe(true);
    const cancel = await call('DELETE', `/orders/${placed.A2.json.clientOrderId}`, {
      token: tina.token,
    });
    expect([cancel.status, cancel.json.code]).toEqual([404, 'NOT_FOUND']);
    // The risk role oversees every account.
    const risk = await call('GET', `/orders?accountId=${acc.A2}`, { token: t.tokens.risk });
    expect(risk.json.orders.map((o: Json) => o.clientOrderId)).toEqual([
      placed.A2.json.clientOrderId,
    ]);
  }, 90_000);

  it('a fast-check sequence of orders across the four accounts lands each on its own account only', async () => {
    const owners = { A1: tom, A2: tom, B1: tina.token, B2: tina.token } as const;
    const names = Object.keys(owners) as (keyof typeof owners)[];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            account: fc.constantFrom(...names),
            lots: fc.integer({ min: 1, max: 5 }),
            named: fc.boolean(),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        async (steps) => {
          const before = new Map<string, Decimal>();
          for (const n of names) before.set(n, await positionOf(owners[n], acc[n]));
          const made: { account: string; id: string }[] = [];
          for (const s of steps) {
            // The default account when none is named: A1 for tom, B2 for tina.
            const named = s.named || (s.account !== 'A1' && s.account !== 'B2');
            const r = await order(owners[s.account], {
              quantity: String(s.lots),
              ...(named ? { accountId: acc[s.account] } : {}),
            });
            expect(r.status).toBe(201);
            expect(r.json.accountId).toBe(acc[s.account]);
            made.push({ account: s.account, id: r.json.clientOrderId });
          }
          for (const n of names)
            await filled(
              owners[n],
              made.filter((m) => m.account === n).map((m) => m.id),
            );
          for (const n of names) {
            const bought = steps.filter((s) => s.account === n).reduce((q, s) => q + s.lots, 0);
            expect((await positionOf(owners[n], acc[n])).minus(before.get(n)!).toFixed()).toBe(
              String(bought),
            );
            // The account's core holds no other account's order. (Its own filled ones it may
            // have released already: closed orders are kept 10 minutes of the market's clock,
            // 1 s of wall time at this replay's 600x, and a loaded machine takes longer.)
            const core = server.accountCore(acc[n])!;
            expect(
              made.filter((m) => m.account !== n && core.exec.order(m.id) !== undefined),
            ).toEqual([]);
          }
        },
      ),
      { numRuns: 3, endOnFailure: true },
    );
  }, 120_000);

  it('closes only a flat account with no open order; a closed account takes no order', async () => {
    // A fresh account, made her default, with an open order far from the market: refused.
    const made = await call('POST', '/accounts', {
      token: tina.token,
      body: { name: 'spare', startingCash: '1', default: true },
    });
    expect(made.json.default).toBe(true);
    const b3 = made.json.id as string;
    const resting = await order(tina.token, { type: 'LIMIT', price: '0.0001' });
    expect([resting.status, resting.json.accountId]).toEqual([201, b3]);
    const busy = await call('DELETE', `/accounts/${b3}`, { token: tina.token });
    expect([busy.status, busy.json.code]).toEqual([409, 'ACCOUNT_HAS_OPEN_ORDERS']);
    // A position: refused (B1 holds BTC).
    const held = await call('DELETE', `/accounts/${acc.B1}`, { token: tina.token });
    expect([held.status, held.json.code]).toEqual([409, 'ACCOUNT_NOT_FLAT']);
    // Another's: not found.
    const theirs = await call('DELETE', `/accounts/${b3}`, { token: tom });
    expect([theirs.status, theirs.json.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);

    expect(
      (await call('DELETE', `/orders/${resting.json.clientOrderId}`, { token: tina.token })).status,
    ).toBe(202);
    await until(
      async () =>
        (await call('GET', `/orders/${resting.json.clientOrderId}`, { token: tina.token })).json
          .order.status === 'CANCELED',
      10_000,
      'canceled',
    );
    const closed = await call('DELETE', `/accounts/${b3}`, { token: tina.token });
    expect(closed.status).toBe(200);
    expect(closed.json).toMatchObject({ id: b3, status: 'closed', default: false });
    closedAccount = b3;
    // Closed, its paper venue takes no more bars (nor anything else) while the others do.
    const atClose = venueFiles(b3);
    await barsPass(acc.B1, 3);
    expect(venueFiles(b3)).toBe(atClose);
    // Her default moved to her oldest open account.
    const list = await call('GET', '/accounts', { token: tina.token });
    expect(list.json.accounts.find((a: Json) => a.default)?.id).toBe(acc.B1);
    const late = await order(tina.token, { accountId: b3 });
    expect([late.status, late.json.code]).toEqual([409, 'ACCOUNT_DISABLED']);
    const back = await call('PUT', '/users/me/default-account', {
      token: tina.token,
      body: { accountId: b3 },
    });
    expect([back.status, back.json.code]).toEqual([409, 'ACCOUNT_DISABLED']);
    // Its orders stay readable.
    const history = await call('GET', `/orders?accountId=${b3}`, { token: tina.token });
    expect(history.json.orders.map((o: Json) => o.clientOrderId)).toEqual([
      resting.json.clientOrderId,
    ]);
    const def = await call('PUT', '/users/me/default-account', {
      token: tom,
      body: { accountId: acc.A2 },
    });
    expect([def.status, def.json.id, def.json.default]).toEqual([200, acc.A2, true]);
    const notMine = await call('PUT', '/users/me/default-account', {
      token: tom,
      body: { accountId: acc.B1 },
    });
    expect([notMine.status, notMine.json.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
  }, 60_000);

  it('halts one account: a trader their own only, the risk role and an admin any; others keep trading', async () => {
    const halt = await call('POST', '/risk/halt', {
      token: tom,
      body: { accountId: acc.A2, reason: 'my own account only' },
    });
    expect(halt.status).toBe(200);
    expect(halt.json.states).toMatchObject({ global: 'ACTIVE', accounts: { [acc.A2]: 'HALTED' } });
    const stopped = await order(tom, { accountId: acc.A2 });
    expect([stopped.status, stopped.json.code]).toEqual([422, 'TRADING_HALTED']);
    expect((await order(tom, { accountId: acc.A1 })).status).toBe(201);
    expect((await order(tina.token, { accountId: acc.B1 })).status).toBe(201);
    // Tina sees nothing of tom's halt.
    const hers = await call('GET', '/risk', { token: tina.token });
    expect(hers.json.states.accounts).toEqual({});
    // A trader cannot halt another's account (not found) nor the shared one alone.
    const other = await call('POST', '/risk/halt', {
      token: tina.token,
      body: { accountId: acc.A1, reason: 'not mine' },
    });
    expect([other.status, other.json.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    const shared = await call('POST', '/risk/halt', {
      token: tina.token,
      body: { accountId: 'desk', reason: 'shared' },
    });
    expect([shared.status, shared.json.code]).toEqual([403, 'FORBIDDEN']);
    // The risk role acts on any account: halts tina's, resumes tom's.
    expect(
      (
        await call('POST', '/risk/halt', {
          token: t.tokens.risk,
          body: { accountId: acc.B1, reason: 'oversight' },
        })
      ).status,
    ).toBe(200);
    expect((await order(tina.token, { accountId: acc.B1 })).json.code).toBe('TRADING_HALTED');
    // An admin halts any account too (tom's A1); only the risk role resumes it.
    const byAdmin = await call('POST', '/risk/halt', {
      token: t.tokens.admin,
      body: { accountId: acc.A1, reason: 'admin stop' },
    });
    expect([byAdmin.status, byAdmin.json.states.accounts[acc.A1]]).toEqual([200, 'HALTED']);
    expect((await order(tom, { accountId: acc.A1 })).json.code).toBe('TRADING_HALTED');
    for (const id of [acc.A1, acc.A2, acc.B1]) {
      const r = await call('POST', '/risk/resume', {
        token: t.tokens.risk,
        body: { accountId: id },
      });
      expect(r.status).toBe(200);
    }
    expect((await order(tom, { accountId: acc.A2 })).status).toBe(201);
  }, 60_000);

  it('pushes order, fill, position and balance frames of an account to its owner only, each naming it', async () => {
    const tomWs = await socket(server.url, tom);
    const tinaWs = await socket(server.url, tina.token);
    try {
      const a = await order(tom, { accountId: acc.A2, quantity: '3' });
      const b = await order(tina.token, { accountId: acc.B1, quantity: '5' });
      await filled(tom, [a.json.clientOrderId]);
      await filled(tina.token, [b.json.clientOrderId]);
      const got = (ws: { frames: Frame[] }, type: string, id: string) =>
        until(
          () => ws.frames.some((f) => f.type === type && f.accountId === id),
          20_000,
          `${type} of ${id}`,
        );
      for (const type of ['order', 'fill', 'position', 'balance']) {
        await got(tomWs, type, acc.A2);
        await got(tinaWs, type, acc.B1);
      }
      const accountsOf = (frames: Frame[]) =>
        new Set(
          frames
            .filter((f) => ['order', 'fill', 'position', 'balance'].includes(f.type))
            .map((f) => f.accountId),
        );
      expect([...accountsOf(tomWs.frames)].every((id) => [acc.A1, acc.A2].includes(id!))).toBe(
        true,
      );
      expect([...accountsOf(tinaWs.frames)].every((id) => [acc.B1].includes(id!))).toBe(true);
      const pos = tomWs.frames
        .filter((f) => f.type === 'position' && f.accountId === acc.A2)
        .at(-1);
      expect(pos?.position?.quantity).toBe((await positionOf(tom, acc.A2)).toFixed());
      const fill = tinaWs.frames.find((f) => f.type === 'fill');
      expect(fill?.fill?.accountId).toBe(acc.B1);
    } finally {
      tomWs.close();
      tinaWs.close();
    }
  }, 60_000);

  // sma-cross at 1 and 2 bars: its first cross up comes a few bars after it starts (each bar it
  // waits for is 0.1 s of this test).
  it("runs a strategy started on the API on its starter's account, its orders on that account only", async () => {
    const quant = t.tokens.quant;
    const q = await call('POST', '/accounts', {
      token: quant,
      body: { name: 'quant', startingCash: '5' },
    });
    expect(q.status).toBe(201);
    const notHers = await call('POST', '/strategies/sma-cross/start', {
      token: quant,
      body: { params: { fast: 1, slow: 2, size: '1' }, accountId: acc.A1 },
    });
    expect([notHers.status, notHers.json.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    const ws = await socket(server.url, quant);
    try {
      // No account named: the quant's default (their only one).
      const started = await call('POST', '/strategies/sma-cross/start', {
        token: quant,
        body: { params: { fast: 1, slow: 2, size: '1' } },
      });
      expect(started.status).toBe(201);
      expect(started.json.accountId).toBe(q.json.id);
      const id = started.json.id as string;
      const core = server.accountCore(q.json.id)!;
      const made = await until(
        () => {
          const ids = core.exec
            .allOrders()
            .filter((o) => o.strategyId === id)
            .map((o) => o.clientOrderId);
          return ids.length > 0 && ids;
        },
        60_000,
        'the strategy places orders on its account',
      );
      expect(server.core.exec.allOrders().some((o) => o.strategyId === id)).toBe(false);
      await until(
        () => ws.frames.some((f) => f.type === 'order' && f.order?.clientOrderId === made[0]),
        20_000,
        "the strategy's order on its starter's socket",
      );
      // The account is in use while it runs.
      const busy = await call('DELETE', `/accounts/${q.json.id}`, { token: quant });
      expect(busy.status).toBe(409);
      expect(
        (await call('POST', `/strategies/instances/${id}/stop`, { token: quant, body: {} })).status,
      ).toBe(200);
    } finally {
      ws.close();
    }
  }, 120_000);

  it('recovers every account at a restart: accounts, defaults, cash and positions as they were; each trades again', async () => {
    const before = new Map<string, [string, string]>();
    for (const [token, id] of [
      [tom, acc.A1],
      [tom, acc.A2],
      [tina.token, acc.B1],
    ] as const)
      before.set(id, [(await positionOf(token, id)).toFixed(), (await balanceOf(token, id)).cash]);
    const listed = (await call('GET', '/accounts', { token: tom })).json.accounts;
    const closedVenue = venueFiles(closedAccount);
    // Ten times faster after the restart: the replay starts again from its first bar, and the
    // cores fill nothing until it passes the bars they saw before (5 s at 600, each dialect).
    server = await t.restart({ speed: 6000 });
    expect((await call('GET', '/accounts', { token: tom })).json.accounts).toEqual(listed);
    for (const [token, id] of [
      [tom, acc.A1],
      [tom, acc.A2],
      [tina.token, acc.B1],
    ] as const) {
      expect([(await positionOf(token, id)).toFixed(), (await balanceOf(token, id)).cash]).toEqual(
        before.get(id),
      );
    }
    // Tom's default (A2, set above) holds; his order with no account lands and fills there, a
    // market order once the account's core has a reference price again: the replay starts again
    // from its first bar, and a core takes no bar older than what it has seen (until then the
    // gate denies it, NO_REFERENCE_PRICE, and nothing is sent).
    const again = await until(
      async () => {
        const r = await order(tom, { quantity: '1' });
        if (r.status === 422 && r.json.code === 'NO_REFERENCE_PRICE') return false;
        return r;
      },
      100_000,
      "a reference price on the account's core after the restart",
    );
    expect([again.status, again.json.accountId]).toEqual([201, acc.A2]);
    await filled(tom, [again.json.clientOrderId]);
    expect((await positionOf(tom, acc.A2)).toFixed()).toBe(
      toDecimal(before.get(acc.A2)![0]).plus(1).toFixed(),
    );
    // The closed account was recovered (its orders readable) but its venue took no op since.
    await barsPass(acc.B1, 2);
    expect(venueFiles(closedAccount)).toBe(closedVenue);
    const history = await call('GET', `/orders?accountId=${closedAccount}`, { token: tina.token });
    expect([history.status, history.json.orders.length]).toEqual([200, 1]);
  }, 240_000);
});
