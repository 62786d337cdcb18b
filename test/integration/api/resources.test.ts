import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compileSchemasNow } from '../../../src/api/app.js';
import { clientOrderIdFor } from '../../../src/api/order-commands.js';
import { verifyExport } from '../../../src/security/audit/verify.js';
import { can, ROLES, type Permission, type Role } from '../../../src/security/roles/permissions.js';
import { toDecimal, type Decimal } from '../../../src/trading/core/decimal.js';
import { apiCall, type Answer } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { canaryCredential } from '../../support/canary.js';
import { until } from '../../support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

describe('API resources: portfolio, market data, risk, users, credentials, audit', () => {
  let t: TestServer;
  /** Every response body this file received (the canary test greps them). */
  const bodies: string[] = [];

  beforeAll(async () => {
    // Bars move (5 a second) so orders fill; 3000 bars outlast the file. On PGlite, in the home:
    // the whole API as `kairos serve` with no environment serves it (docs/testing.md, "Test
    // suite time": which test servers keep the embedded store).
    t = await startTestServer({ speed: 300, bars: 3000, store: 'pglite' });
    // A strategy in the server's catalog (the matrix starts it).
    mkdirSync(path.join(t.home, 'strategies'));
    writeFileSync(
      path.join(t.home, 'strategies', 'matrix.ts'),
      "import { defineStrategy } from 'kairos/sdk';\nexport default defineStrategy({ name: 'matrix' });\n",
    );
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
  });

  async function call(
    method: string,
    url: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const answer = await apiCall(t.server.url, method, url, opts);
    bodies.push(answer.text);
    return answer;
  }

  let keys = 0;
  /** The idempotency key of the last order placed. */
  let lastKey = '';
  const placeOrder = (token: string, order: Record<string, unknown>) =>
    call('POST', '/orders', {
      token,
      body: { instrumentId: 'BTC/X', side: 'BUY', quantity: '1', ...order },
      headers: { 'idempotency-key': (lastKey = `key-${keys++}`) },
    });
  /**
   * The trader's order just placed (`lastKey`) on the shared account as the API must show it:
   * its id derived from the user and the key, every field as asked, open and unfilled.
   */
  const orderAsAsked = (o: { type: string; quantity: string; price?: string }) => ({
    clientOrderId: clientOrderIdFor(t.users.trader.id, lastKey),
    accountId: 'desk',
    instrumentId: 'BTC/X',
    side: 'BUY',
    type: o.type,
    timeInForce: 'GTC',
    quantity: o.quantity,
    price: o.price ?? null,
    triggerPrice: null,
    postOnly: false,
    reduceOnly: false,
    status: expect.stringMatching(/^(SUBMITTED|ACCEPTED)$/),
    filledQuantity: '0',
    averagePrice: null,
    reason: null,
    createdAt: expect.any(Number),
    updatedAt: expect.any(Number),
    tag: null,
  });

  /** An admin creates a user; the new user logs in with the second factor the answer showed. */
  async function newUser(role: Role, password = 'a fresh user passphrase 42') {
    const username = `u${randomBytes(4).toString('hex')}`;
    const made = await call('POST', '/users', {
      token: t.tokens.admin,
      body: { username, password, role },
    });
    expect(made.status).toBe(201);
    const token = await t.login(username, password, made.json.secret);
    return { id: made.json.user.id as string, username, token, made };
  }

  async function auditRows(): Promise<Json[]> {
    const rows: Json[] = [];
    let after = 0;
    for (;;) {
      const page = await call('GET', `/audit?limit=1000&after=${after}`, {
        token: t.tokens.auditor,
      });
      expect(page.status).toBe(200);
      rows.push(...page.json.rows);
      if (page.json.next === null) return rows;
      after = page.json.next;
    }
  }

  it('instruments and candles: the traded grid and the last bars of the feed, oldest first', async () => {
    const inst = await call('GET', '/instruments', { token: t.token });
    expect(inst.status).toBe(200);
    expect(inst.json.instruments).toEqual([
      expect.objectContaining({ id: 'BTC/X', base: 'BTC', quote: 'X', lotSize: '0.001' }),
    ]);
    const candles = await until(async () => {
      const c = await call('GET', '/candles?instrumentId=BTC/X&limit=3', { token: t.token });
      expect(c.status).toBe(200);
      return c.json.candles.length >= 2 ? c.json : undefined;
    }, 30_000);
    expect(candles.candles.length).toBeLessThanOrEqual(3);
    const times = candles.candles.map((c: Json) => c.openTime);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(candles.candles[0]).toEqual({
      openTime: expect.any(Number),
      closeTime: expect.any(Number),
      open: expect.any(Number),
      high: expect.any(Number),
      low: expect.any(Number),
      close: expect.any(Number),
      volume: expect.any(Number),
    });

    const openapi = await call('GET', '/docs/json');
    expect(Object.keys(openapi.json.paths)).toEqual(
      expect.arrayContaining([
        '/positions',
        '/risk/halt',
        '/users/{id}/disable',
        '/audit/exports',
        '/strategies/{name}/start',
        '/backtests/{id}/report',
      ]),
    );
    const unknown = await call('GET', '/candles?instrumentId=NOPE/X', { token: t.token });
    expect([unknown.status, unknown.json.code]).toEqual([422, 'UNKNOWN_INSTRUMENT']);
    const missing = await call('GET', '/candles', { token: t.token });
    expect(missing.status).toBe(400);
    expect(missing.json.detail).toMatch(/instrumentId/);
    const tooMany = await call('GET', '/candles?instrumentId=BTC/X&limit=1001', {
      token: t.token,
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.detail).toMatch(/limit/);
  }, 60_000);

  it('positions, balances and fills: a trader’s market orders fill and show up; fills are owner-scoped and paged', async () => {
    const placed: Json[] = [];
    for (const key of ['a', 'b']) {
      const r = await placeOrder(t.token, { type: 'MARKET' });
      expect(r.status).toBe(201);
      // The answer is the order as asked: a client keeps its id and shows the rest.
      expect(r.json).toEqual(orderAsAsked({ type: 'MARKET', quantity: '1' }));
      placed.push(r.json);
      void key;
    }
    expect(placed[0].clientOrderId).not.toBe(placed[1].clientOrderId);
    const fills = await until(async () => {
      const f = await call('GET', '/fills', { token: t.token });
      expect(f.status).toBe(200);
      return f.json.fills.length >= 2 ? f.json.fills : undefined;
    }, 30_000);
    expect(fills[0]).toMatchObject({
      instrumentId: 'BTC/X',
      side: 'BUY',
      quantity: '1',
      feeCurrency: 'X',
      clientOrderId: expect.stringMatching(/^k/),
    });
    expect(fills[0].ts).toBeGreaterThanOrEqual(fills[1].ts);
    // The fills are those of the orders placed, and each order reads back FILLED at its fill.
    expect(fills.map((f: Json) => f.clientOrderId).sort()).toEqual(
      placed.map((o) => o.clientOrderId).sort(),
    );
    for (const o of placed) {
      const fill = fills.find((f: Json) => f.clientOrderId === o.clientOrderId);
      const read = await call('GET', `/orders/${o.clientOrderId}`, { token: t.token });
      expect(read.status).toBe(200);
      expect(read.json.order).toEqual({
        ...o,
        status: 'FILLED',
        filledQuantity: '1',
        averagePrice: fill.price,
        updatedAt: expect.any(Number),
      });
    }

    // Cursor pages: one fill each, no overlap, then the end.
    const first = await call('GET', '/fills?limit=1', { token: t.token });
    expect(first.json.fills).toHaveLength(1);
    expect(first.json.next).toEqual(expect.any(String));
    const second = await call('GET', `/fills?limit=1&before=${first.json.next}`, {
      token: t.token,
    });
    expect(second.json.fills).toHaveLength(1);
    expect(second.json.fills[0].tradeId).not.toBe(first.json.fills[0].tradeId);
    const bad = await call('GET', '/fills?before=garbage', { token: t.token });
    expect([bad.status, bad.json.code]).toEqual([400, 'CURSOR_INVALID']);

    const positions = await call('GET', '/positions', { token: t.token });
    expect(positions.status).toBe(200);
    const btc = positions.json.positions.find((p: Json) => p.instrumentId === 'BTC/X');
    // Every figure a client shows, from the two fills: exact decimals.
    const sum = (f: (x: Json) => Decimal) =>
      fills.reduce((a: Decimal, x: Json) => a.plus(f(x)), toDecimal(0));
    const average = sum((f) => toDecimal(f.price).times(f.quantity)).div(2);
    expect(btc).toEqual({
      accountId: placed[0].accountId,
      instrumentId: 'BTC/X',
      quantity: '2',
      averagePrice: average.toFixed(),
      lastPrice: expect.stringMatching(/^\d+(\.\d+)?$/),
      unrealizedPnl: toDecimal(btc.lastPrice).minus(average).times(2).toFixed(),
      realizedPnl: '0',
      fees: sum((f) => toDecimal(f.fee)).toFixed(),
      openedAt: expect.any(Number),
      source: 'ledger',
      confirmedAt: null,
    });

    const balances = await call('GET', '/balances', { token: t.token });
    expect(balances.status).toBe(200);
    const [x] = balances.json.balances;
    expect(x).toMatchObject({ currency: 'X', startingCash: '1000' });
    const spent = fills.reduce(
      (sum: number, f: Json) => sum + Number(f.price) * Number(f.quantity) + Number(f.fee),
      0,
    );
    expect(Number(x.cash)).toBeCloseTo(1000 - spent, 10);

    // A filled order cannot be canceled: 409 with its status, as a problem with a listed code.
    const cancel = await call('DELETE', `/orders/${fills[0].clientOrderId}`, { token: t.token });
    expect([cancel.status, cancel.json.code]).toEqual([409, 'ORDER_NOT_OPEN']);
    expect(cancel.json.detail).toMatch(/is FILLED: only an open order can be canceled/);

    // An open order is canceled: 202 with that order, then it reads back CANCELED.
    const resting = await placeOrder(t.token, { type: 'LIMIT', price: '0.0001' });
    expect(resting.status).toBe(201);
    expect(resting.json).toEqual(orderAsAsked({ type: 'LIMIT', quantity: '1', price: '0.0001' }));
    const canceled = await call('DELETE', `/orders/${resting.json.clientOrderId}`, {
      token: t.token,
    });
    expect(canceled.status).toBe(202);
    // The venue may have answered already (CANCELED, with why) or not yet (PENDING_CANCEL).
    const done = canceled.json.status === 'CANCELED';
    expect(canceled.json).toEqual({
      ...resting.json,
      status: done ? 'CANCELED' : 'PENDING_CANCEL',
      reason: done ? 'CANCELED_BY_USER' : null,
      updatedAt: expect.any(Number),
    });
    const gone = await until(async () => {
      const r = await call('GET', `/orders/${resting.json.clientOrderId}`, { token: t.token });
      return r.json?.order?.status === 'CANCELED' ? r.json.order : undefined;
    }, 30_000);
    expect(gone).toEqual({
      ...resting.json,
      status: 'CANCELED',
      reason: 'CANCELED_BY_USER',
      updatedAt: expect.any(Number),
    });

    // Another trader sees none of these fills.
    const other = await newUser('trader');
    const theirs = await call('GET', '/fills', { token: other.token });
    expect([theirs.status, theirs.json.fills]).toEqual([200, []]);
  }, 60_000);

  it('risk: a limit applies at once; the kill switch cancels open orders before it answers; only risk resumes', async () => {
    const limit = await call('PUT', '/risk/limits/maxOrderQuantity', {
      token: t.tokens.risk,
      body: { value: '5' },
    });
    expect(limit.status).toBe(200);
    expect(limit.json.limits.global).toMatchObject({ maxOrderQuantity: '5' });
    const big = await placeOrder(t.token, { quantity: '6' });
    expect([big.status, big.json.code]).toEqual([422, 'ORDER_QUANTITY_LIMIT']);
    const unknown = await call('PUT', '/risk/limits/maxFun', {
      token: t.tokens.risk,
      body: { value: '1' },
    });
    expect([unknown.status, unknown.json.code]).toEqual([400, 'RISK_LIMIT_INVALID']);
    const scoped = await call('PUT', '/risk/limits/maxPosition', {
      token: t.tokens.risk,
      body: { value: '100', instrumentId: 'BTC/X' },
    });
    expect(scoped.json.limits.instruments['BTC/X']).toEqual({ maxPosition: '100' });

    const resting = await placeOrder(t.token, { type: 'LIMIT', price: '0.0001' });
    expect(resting.status).toBe(201);
    const id = resting.json.clientOrderId;
    const halted = await call('POST', '/risk/halt', {
      token: t.tokens.risk,
      body: { reason: 'runaway test' },
    });
    expect(halted.status).toBe(200);
    expect(halted.json.states.global).toBe('HALTED');
    // Canceled within the call: no waiting.
    const after = await call('GET', `/orders/${id}`, { token: t.token });
    expect(after.json.order.status).toBe('CANCELED');
    const denied = await placeOrder(t.token, { type: 'LIMIT', price: '0.0001' });
    expect([denied.status, denied.json.code]).toEqual([422, 'TRADING_HALTED']);

    const traderResume = await call('POST', '/risk/resume', { token: t.token, body: {} });
    expect([traderResume.status, traderResume.json.code]).toEqual([403, 'FORBIDDEN']);
    // No body at all is an empty one.
    const resumed = await call('POST', '/risk/resume', { token: t.tokens.risk });
    expect(resumed.json.states.global).toBe('ACTIVE');
    expect((await placeOrder(t.token, { type: 'LIMIT', price: '0.0001' })).status).toBe(201);

    // A trader may hit the kill switch (their own strategy scope here), not release it.
    const owner = `user:${t.users.trader.id}`;
    const own = await call('POST', '/risk/reduce', {
      token: t.token,
      body: { reason: 'flatten', strategyId: owner },
    });
    expect(own.json.states.strategies[owner]).toBe('REDUCING');
    await call('POST', '/risk/resume', { token: t.tokens.risk, body: { strategyId: owner } });
    await call('PUT', '/risk/limits/maxOrderQuantity', {
      token: t.tokens.risk,
      body: { value: '1000000' },
    });

    const view = await call('GET', '/risk', { token: t.tokens.auditor });
    expect(view.json.states).toEqual({
      global: 'ACTIVE',
      strategies: { [owner]: 'ACTIVE' },
      accounts: {},
      users: {},
    });
    const rows = await auditRows();
    const rick = `user:${t.users.risk.id}`;
    const mine = rows.filter((r) => r.actor === rick).map((r) => `${r.role}:${r.action}`);
    expect(mine).toEqual(
      expect.arrayContaining(['risk:risk.limit_changed', 'risk:risk.halted', 'risk:risk.resumed']),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({ actor: owner, role: 'trader', action: 'risk.reduced' }),
    );
  }, 60_000);

  it('users: created with a second factor shown once, listed without secrets, disabled with sessions revoked at once', async () => {
    const tina = await newUser('trader');
    // The whole answer, as asked: the admin's client shows it and keeps the id.
    expect(tina.made.json).toEqual({
      user: {
        id: expect.any(String),
        username: tina.username,
        role: 'trader',
        status: 'active',
        mfa: 'pending',
        createdAt: expect.any(Number),
        disabledAt: null,
      },
      otpauthUri: expect.stringMatching(new RegExp(`^otpauth://totp/Kairos:${tina.username}\\?`)),
      secret: expect.stringMatching(/^[A-Z2-7]+$/),
      recoveryCodes: expect.any(Array),
    });
    expect(new Set(tina.made.json.recoveryCodes).size).toBe(10);
    // The id answered is the user who logs in (the token's subject).
    const claims = JSON.parse(Buffer.from(tina.token.split('.')[1]!, 'base64url').toString());
    expect(claims.sub).toBe(tina.id);

    const list = await call('GET', '/users', { token: t.tokens.admin });
    expect(list.status).toBe(200);
    expect(list.json.users.filter((u: Json) => u.id === tina.id)).toEqual([
      { ...tina.made.json.user, mfa: 'confirmed' },
    ]);
    expect(list.text).not.toMatch(/argon2|kx1\.|passwordHash|secret/i);

    const taken = await call('POST', '/users', {
      token: t.tokens.admin,
      body: {
        username: tina.username.toUpperCase(),
        password: 'another long passphrase',
        role: 'quant',
      },
    });
    expect([taken.status, taken.json.code]).toEqual([409, 'USER_EXISTS']);
    const weak = await call('POST', '/users', {
      token: t.tokens.admin,
      body: { username: 'weakling', password: 'short', role: 'quant' },
    });
    expect([weak.status, weak.json.code]).toEqual([400, 'PASSWORD_WEAK']);
    expect(weak.json.detail).toMatch(/^password: /);
    const role = await call('POST', '/users', {
      token: t.tokens.admin,
      body: { username: 'godlike', password: 'a long enough passphrase', role: 'root' },
    });
    expect(role.status).toBe(400);
    expect(role.json.detail).toMatch(/body\.role/);

    expect((await placeOrder(tina.token, { type: 'LIMIT', price: '0.0001' })).status).toBe(201);
    const disabled = await call('POST', `/users/${tina.id}/disable`, {
      token: t.tokens.admin,
      body: { reason: 'left the desk' },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.json.user.status).toBe('disabled');
    expect(disabled.json.sessionsRevoked).toBeGreaterThanOrEqual(1);
    const blocked = await placeOrder(tina.token, { type: 'LIMIT', price: '0.0001' });
    expect([blocked.status, blocked.json.code]).toEqual([401, 'AUTH_SESSION_REVOKED']);
    const relogin = await call('POST', '/auth/login', {
      body: { username: tina.username, password: 'a fresh user passphrase 42' },
    });
    expect(relogin.status).toBe(401);

    const nobody = await call('POST', '/users/no-such-user/disable', {
      token: t.tokens.admin,
      body: {},
    });
    expect([nobody.status, nobody.json.code]).toEqual([404, 'USER_NOT_FOUND']);
    const self = await call('POST', `/users/${t.users.admin.id}/disable`, {
      token: t.tokens.admin,
    });
    expect([self.status, self.json.code]).toEqual([409, 'USER_SELF_DISABLE']);

    const rows = await auditRows();
    const rita = `user:${t.users.admin.id}`;
    expect(rows).toContainEqual(
      expect.objectContaining({
        actor: rita,
        role: 'admin',
        action: 'user.created',
        subject: tina.id,
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({ actor: rita, action: 'user.disabled', subject: tina.id }),
    );
  }, 60_000);

  it('credentials: write-only, listed as metadata, another user’s is 404', async () => {
    const made = await call('POST', '/credentials', {
      token: t.tokens.admin,
      body: { venue: 'binance', label: 'main', apiKey: 'ak-1', secret: 'sk-1', passphrase: 'pp' },
    });
    expect(made.status).toBe(201);
    expect(made.json).toEqual({
      id: expect.any(String),
      venue: 'binance',
      label: 'main',
      hasPassphrase: true,
      createdAt: expect.any(Number),
    });
    const list = await call('GET', '/credentials', { token: t.tokens.admin });
    expect(list.json.credentials).toEqual([made.json]);
    const again = await call('POST', '/credentials', {
      token: t.tokens.admin,
      body: { venue: 'binance', label: 'main', apiKey: 'ak-2', secret: 'sk-2' },
    });
    expect([again.status, again.json.code]).toEqual([409, 'CREDENTIAL_EXISTS']);
    const badVenue = await call('POST', '/credentials', {
      token: t.tokens.admin,
      body: { venue: 'Bin Ance', label: 'x', apiKey: 'ak-3', secret: 'sk-3' },
    });
    expect([badVenue.status, badVenue.json.code]).toEqual([400, 'CREDENTIAL_INVALID']);
    expect(badVenue.json.detail).toMatch(/^venue: /);

    // Another admin neither sees nor deletes it.
    const ada = await newUser('admin');
    const theirs = await call('GET', '/credentials', { token: ada.token });
    expect(theirs.json.credentials).toEqual([]);
    const steal = await call('DELETE', `/credentials/${made.json.id}`, { token: ada.token });
    expect([steal.status, steal.json.code]).toEqual([404, 'NOT_FOUND']);
    expect(
      (await call('GET', '/credentials', { token: t.tokens.admin })).json.credentials,
    ).toHaveLength(1);

    const gone = await call('DELETE', `/credentials/${made.json.id}`, { token: t.tokens.admin });
    expect(gone.status).toBe(204);
    const twice = await call('DELETE', `/credentials/${made.json.id}`, { token: t.tokens.admin });
    expect(twice.status).toBe(404);
    const actions = (await auditRows())
      .filter((r) => r.subject === made.json.id)
      .map((r) => r.action);
    expect(actions).toEqual(['credential.created', 'credential.deleted']);
  }, 60_000);

  it('audit: pages of rows in seq order with their chain; an export of a range that verifies', async () => {
    const first = await call('GET', '/audit?limit=5', { token: t.tokens.auditor });
    expect(first.status).toBe(200);
    const rows = first.json.rows;
    expect(rows.map((r: Json) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    for (let i = 1; i < rows.length; i++) expect(rows[i].prevHash).toBe(rows[i - 1].hash);
    // Each row shows when the log wrote it (wall time) beside the time its writer stamped.
    for (const r of rows) expect(r).toMatchObject({ wallTs: expect.any(Number), hashVersion: 2 });
    expect(first.json.next).toBe(5);
    const next = await call('GET', '/audit?limit=1&after=5', { token: t.tokens.auditor });
    expect(next.json.rows[0]).toMatchObject({ seq: 6, prevHash: rows[4].hash });
    const none = await call('GET', '/audit?from=0&to=1', { token: t.tokens.auditor });
    expect(none.json).toEqual({ rows: [], next: null });

    const to = Date.now() + 1;
    const exp = await call('POST', '/audit/exports', {
      token: t.tokens.auditor,
      body: { from: 0, to },
    });
    expect(exp.status).toBe(201);
    expect(exp.json).toMatchObject({ id: expect.any(String), status: 'done' });
    expect(exp.json.manifest).toMatchObject({ format: 'kairos-audit-export', firstSeq: 1 });
    const folder = path.join(t.home, 'exports', exp.json.id);
    expect(readdirSync(folder)).toContain('manifest.json');
    const pem = readFileSync(path.join(t.home, 'keys', 'audit-signing.pub'), 'utf8');
    expect((await verifyExport(folder, pem)).ok).toBe(true);

    const backwards = await call('POST', '/audit/exports', {
      token: t.tokens.auditor,
      body: { from: 10, to: 10 },
    });
    expect(backwards.status).toBe(400);
    expect(backwards.json.detail).toMatch(/body\.to/);
    expect(await auditRows()).toContainEqual(
      expect.objectContaining({
        actor: `user:${t.users.auditor.id}`,
        role: 'auditor',
        action: 'audit.exported',
      }),
    );
  }, 60_000);

  /** Every route with a request that succeeds for a role holding its permission. */
  interface Route {
    readonly method: string;
    readonly url: string;
    readonly permission: Permission;
    readonly ok: number;
    /** The request, made fresh for each call (unique names, objects to act on). */
    readonly request?: (allowed: boolean, role: Role) => Promise<{ url?: string; body?: unknown }>;
    readonly headers?: () => Record<string, string>;
  }
  const scope = { strategyId: 'matrix' };
  const ROUTES: Route[] = [
    { method: 'GET', url: '/positions', permission: 'positions:read', ok: 200 },
    { method: 'GET', url: '/balances', permission: 'positions:read', ok: 200 },
    { method: 'GET', url: '/fills', permission: 'orders:read', ok: 200 },
    { method: 'GET', url: '/orders', permission: 'orders:read', ok: 200 },
    {
      method: 'POST',
      url: '/orders',
      permission: 'orders:write',
      ok: 201,
      request: async () => ({
        body: { instrumentId: 'BTC/X', side: 'BUY', type: 'LIMIT', quantity: '1', price: '0.0001' },
      }),
      headers: () => ({ 'idempotency-key': `matrix-${keys++}` }),
    },
    { method: 'GET', url: '/instruments', permission: 'market-data:read', ok: 200 },
    {
      method: 'GET',
      url: '/candles?instrumentId=BTC/X',
      permission: 'market-data:read',
      ok: 200,
    },
    { method: 'GET', url: '/risk', permission: 'risk:read', ok: 200 },
    {
      method: 'PUT',
      url: '/risk/limits/maxOpenOrders',
      permission: 'risk:write',
      ok: 200,
      request: async () => ({ body: { value: '1000', ...scope } }),
    },
    {
      method: 'POST',
      url: '/risk/halt',
      permission: 'risk:halt',
      ok: 200,
      request: async () => ({ body: { reason: 'matrix', ...scope } }),
    },
    {
      method: 'POST',
      url: '/risk/reduce',
      permission: 'risk:halt',
      ok: 200,
      request: async () => ({ body: { reason: 'matrix', ...scope } }),
    },
    {
      method: 'POST',
      url: '/risk/resume',
      permission: 'risk:resume',
      ok: 200,
      request: async () => ({ body: scope }),
    },
    { method: 'GET', url: '/users', permission: 'users:admin', ok: 200 },
    {
      method: 'POST',
      url: '/users',
      permission: 'users:admin',
      ok: 201,
      request: async () => ({
        body: {
          username: `m${randomBytes(4).toString('hex')}`,
          password: 'a matrix passphrase 7',
          role: 'quant',
        },
      }),
    },
    {
      method: 'POST',
      url: '/users/:id/disable',
      permission: 'users:admin',
      ok: 200,
      request: async (allowed) => {
        if (!allowed) return { url: '/users/someone/disable', body: {} };
        const victim = await call('POST', '/users', {
          token: t.tokens.admin,
          body: {
            username: `v${randomBytes(4).toString('hex')}`,
            password: 'a victim passphrase 8',
            role: 'quant',
          },
        });
        return { url: `/users/${victim.json.user.id}/disable`, body: {} };
      },
    },
    { method: 'GET', url: '/credentials', permission: 'credentials:read', ok: 200 },
    {
      method: 'POST',
      url: '/credentials',
      permission: 'credentials:write',
      ok: 201,
      request: async () => ({
        body: {
          venue: 'kraken',
          label: `m-${randomBytes(4).toString('hex')}`,
          apiKey: 'k',
          secret: 's',
        },
      }),
    },
    {
      method: 'DELETE',
      url: '/credentials/:id',
      permission: 'credentials:write',
      ok: 204,
      request: async (allowed, role) => {
        if (!allowed) return { url: '/credentials/someone' };
        // Credentials are their owner's: each role deletes one of its own.
        const c = await call('POST', '/credentials', {
          token: t.tokens[role],
          body: {
            venue: 'kraken',
            label: `d-${randomBytes(4).toString('hex')}`,
            apiKey: 'k',
            secret: 's',
          },
        });
        return { url: `/credentials/${c.json.id}` };
      },
    },
    { method: 'GET', url: '/audit', permission: 'audit:read', ok: 200 },
    {
      method: 'POST',
      url: '/audit/exports',
      permission: 'audit:export',
      ok: 201,
      request: async () => ({ body: { from: 0, to: Date.now() } }),
    },
    { method: 'GET', url: '/strategies', permission: 'strategies:read', ok: 200 },
    {
      method: 'POST',
      url: '/strategies/:name/start',
      permission: 'strategies:deploy',
      ok: 201,
      request: async () => ({ url: '/strategies/matrix/start', body: {} }),
    },
    {
      // Instances belong to who started them: a reader past the guard finds no such instance.
      method: 'GET',
      url: '/strategies/instances/:id/state',
      permission: 'strategies:read',
      ok: 404,
      request: async () => ({ url: '/strategies/instances/none/state' }),
    },
    {
      method: 'POST',
      url: '/strategies/instances/:id/stop',
      permission: 'strategies:deploy',
      ok: 200,
      request: async (allowed) => {
        if (!allowed) return { url: '/strategies/instances/none/stop', body: {} };
        const s = await call('POST', '/strategies/matrix/start', { token: t.tokens.quant });
        return { url: `/strategies/instances/${s.json.id}/stop`, body: {} };
      },
    },
    {
      method: 'POST',
      url: '/backtests',
      permission: 'backtests:run',
      ok: 202,
      request: async () => ({ body: { strategy: 'matrix', to: 1 } }),
    },
    { method: 'GET', url: '/backtests', permission: 'backtests:run', ok: 200 },
    { method: 'GET', url: '/backtests/data', permission: 'backtests:run', ok: 200 },
    {
      method: 'GET',
      url: '/backtests/:id',
      permission: 'backtests:run',
      ok: 200,
      request: async (allowed) => {
        if (!allowed) return { url: '/backtests/none' };
        const b = await call('POST', '/backtests', {
          token: t.tokens.quant,
          body: { strategy: 'matrix', to: 1 },
        });
        return { url: `/backtests/${b.json.id}` };
      },
    },
    {
      // Jobs belong to who submitted them: past the guard, an unknown id is not found.
      method: 'GET',
      url: '/backtests/:id/report',
      permission: 'backtests:run',
      ok: 404,
      request: async () => ({ url: '/backtests/none/report' }),
    },
  ];

  it.each(ROUTES.flatMap((r) => ROLES.map((role) => [r.method, r.url, role, r] as const)))(
    '%s %s as %s answers as permissions.ts says',
    async (method, _url, role, route) => {
      const allowed = can(role, route.permission);
      const req = (await route.request?.(allowed, role)) ?? {};
      const res = await call(method, req.url ?? route.url, {
        token: t.tokens[role],
        ...(req.body === undefined ? {} : { body: req.body }),
        headers: route.headers?.() ?? {},
      });
      if (allowed) expect([res.status, res.text]).toEqual([route.ok, expect.anything()]);
      else expect([res.status, res.json?.code]).toEqual([403, 'FORBIDDEN']);
    },
    30_000,
  );

  it('every route answers 401 without a token or with a forged one', async () => {
    const forged = `${t.token.slice(0, -4)}AAAA`;
    for (const r of ROUTES) {
      // A valid request (POST /orders checks its body before the token: see docs/api.md).
      const req = (await r.request?.(false, 'auditor')) ?? {};
      for (const token of [undefined, forged]) {
        const res = await call(r.method, req.url ?? r.url, {
          ...(token ? { token } : {}),
          ...(req.body === undefined ? {} : { body: req.body }),
          headers: r.headers?.() ?? {},
        });
        expect([r.url, res.status, res.json.code]).toEqual([
          r.url,
          401,
          token ? 'AUTH_INVALID_TOKEN' : 'AUTH_REQUIRED',
        ]);
      }
    }
  });

  it('refuses unknown fields (mass assignment) with 400 naming the field', async () => {
    const cases: [string, string, string, Record<string, unknown>, string][] = [
      [
        'admin',
        'POST',
        '/users',
        { username: 'mallory', password: 'a long passphrase 99', role: 'quant', disabled: false },
        'body.disabled',
      ],
      ['admin', 'POST', `/users/${t.users.quant.id}/disable`, { role: 'admin' }, 'body.role'],
      [
        'admin',
        'POST',
        '/credentials',
        { venue: 'binance', label: 'z', apiKey: 'k', secret: 's', ownerUserId: t.users.trader.id },
        'body.ownerUserId',
      ],
      ['risk', 'PUT', '/risk/limits/maxPosition', { value: '1', scope: 'GLOBAL' }, 'body.scope'],
      ['risk', 'POST', '/risk/halt', { reason: 'x', state: 'ACTIVE' }, 'body.state'],
      ['risk', 'POST', '/risk/resume', { status: 'HALTED' }, 'body.status'],
      ['auditor', 'POST', '/audit/exports', { from: 0, to: 1, out: '/tmp' }, 'body.out'],
      ['trader', 'GET', '/fills?owner=someone', {}, 'querystring.owner'],
      ['quant', 'POST', '/backtests', { strategy: 'matrix', out: '/tmp' }, 'body.out'],
      ['quant', 'POST', '/strategies/matrix/start', { owner: 'x' }, 'body.owner'],
    ];
    for (const [role, method, url, body, field] of cases) {
      const res = await call(method, url, {
        token: t.tokens[role as Role],
        ...(method === 'GET' ? {} : { body }),
      });
      expect([url, res.status, res.json.code]).toEqual([url, 400, 'VALIDATION']);
      expect(res.json.detail).toContain(field);
    }
    // Nothing was changed by the refused calls.
    const users = (await call('GET', '/users', { token: t.tokens.admin })).json.users;
    expect(users.map((u: Json) => u.username)).not.toContain('mallory');
    expect(users.find((u: Json) => u.id === t.users.quant.id).status).toBe('active');
  });

  it('canary: no secret or password ever appears in an answer, the audit log, an export or a log line', async () => {
    const canary = `CANARY${randomBytes(8).toString('hex')}`;
    const cred = await call('POST', '/credentials', {
      token: t.tokens.admin,
      body: canaryCredential(canary),
    });
    expect(cred.status).toBe(201);
    const user = await newUser('trader', `${canary} password`);
    await call('POST', '/auth/login', {
      body: { username: user.username, password: `${canary} wrong password` },
    });
    await call('GET', '/credentials', { token: t.tokens.admin });
    await call('DELETE', `/credentials/${cred.json.id}`, { token: t.tokens.admin });
    const exp = await call('POST', '/audit/exports', {
      token: t.tokens.auditor,
      body: { from: 0, to: Date.now() + 1 },
    });
    const folder = path.join(t.home, 'exports', exp.json.id);
    const exported = readdirSync(folder)
      .map((f) => readFileSync(path.join(folder, f), 'utf8'))
      .join('\n');
    const audit = JSON.stringify(await auditRows());
    expect(audit).toContain(cred.json.id); // the credential's rows are there, without the secret

    const hits = [...bodies, audit, exported, ...t.logs].filter((s) => s.includes(canary));
    expect(hits).toEqual([]);
    expect(bodies.length).toBeGreaterThan(20);
  }, 60_000);

  it("compiles every route's request and answer schemas (compiled at first use when served)", () => {
    expect(() => compileSchemasNow(t.server.app)).not.toThrow();
  });
});
