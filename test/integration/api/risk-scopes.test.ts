import { apiCall, type Answer } from '../../support/api-call.js';
import { secondTrader, startTestServer, type TestServer } from '../../support/api-server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;
type Rest<T extends unknown[]> = T extends [unknown, ...infer R] ? R : never;

/**
 * Issue 15, risk: limits per account as well as for every account, and the kill switch per
 * user (every account they own, and their own orders on the shared account) beside the ones per
 * account and global. A trader halts only themselves; the risk role and an admin anyone; only
 * the risk role resumes or sets limits.
 */
describe('risk scopes: one account’s limits, one user’s kill switch', () => {
  let t: TestServer;
  let tom: string;
  let tina: { id: string; token: string };
  const acc = { A1: '', A2: '', B1: '' };
  let keys = 0;

  beforeAll(async () => {
    t = await startTestServer({ speed: 300, bars: 3000 });
    tom = t.token;
    tina = await secondTrader(t);
    const open = async (token: string, name: string) => {
      const r = await call('POST', '/accounts', { token, body: { name, startingCash: '1000' } });
      expect(r.status).toBe(201);
      return r.json.id as string;
    };
    acc.A1 = await open(tom, 'one');
    acc.A2 = await open(tom, 'two');
    acc.B1 = await open(tina.token, 'hers');
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
  });

  /** A request to the server. */
  const call = (...args: Rest<Parameters<typeof apiCall>>) => apiCall(t.server.url, ...args);
  const order = (token: string, accountId: string, quantity = '1') =>
    call('POST', '/orders', {
      token,
      headers: { 'idempotency-key': `scope-${keys++}` },
      body: {
        accountId,
        instrumentId: 'BTC/X',
        side: 'BUY',
        type: 'LIMIT',
        price: '1',
        quantity,
      },
    });
  const codeOf = (r: Answer) => [r.status, r.json.code];

  it('one account’s limit applies to it beside every account’s; others trade on', async () => {
    const set = await call('PUT', '/risk/limits/maxOrderQuantity', {
      token: t.tokens.risk,
      body: { value: '2', accountId: acc.A1 },
    });
    expect(set.status).toBe(200);
    expect(set.json.limits.accounts).toEqual({ [acc.A1]: { maxOrderQuantity: '2' } });
    expect(set.json.limits.global).toEqual({});
    expect(codeOf(await order(tom, acc.A1, '3'))).toEqual([422, 'ORDER_QUANTITY_LIMIT']);
    expect((await order(tom, acc.A1, '2')).status).toBe(201);
    expect((await order(tom, acc.A2, '3')).status).toBe(201);
    expect((await order(tina.token, acc.B1, '3')).status).toBe(201);
    // Every account's limit still applies to A1 where it is the stricter one.
    await call('PUT', '/risk/limits/maxOrderQuantity', {
      token: t.tokens.risk,
      body: { value: '1' },
    });
    expect(codeOf(await order(tom, acc.A1, '2'))).toEqual([422, 'ORDER_QUANTITY_LIMIT']);
    expect(codeOf(await order(tom, acc.A2, '2'))).toEqual([422, 'ORDER_QUANTITY_LIMIT']);
    await call('PUT', '/risk/limits/maxOrderQuantity', {
      token: t.tokens.risk,
      body: { value: '100' },
    });
    // Tina sees no limit of tom's account; tom does.
    expect((await call('GET', '/risk', { token: tina.token })).json.limits.accounts).toEqual({});
    expect((await call('GET', '/risk', { token: tom })).json.limits.accounts).toEqual({
      [acc.A1]: { maxOrderQuantity: '2' },
    });
    // Only the risk role sets limits; an account it does not know is named.
    const trader = await call('PUT', '/risk/limits/maxOrderQuantity', {
      token: tom,
      body: { value: '9', accountId: acc.A1 },
    });
    expect(trader.status).toBe(403);
    const unknown = await call('PUT', '/risk/limits/maxOrderQuantity', {
      token: t.tokens.risk,
      body: { value: '9', accountId: 'acc-0000000000000000' },
    });
    expect(codeOf(unknown)).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    expect(unknown.json.detail).toContain('body.accountId');
    const two = await call('PUT', '/risk/limits/maxOrderQuantity', {
      token: t.tokens.risk,
      body: { value: '9', accountId: acc.A1, strategyId: 'sma' },
    });
    expect(codeOf(two)).toEqual([400, 'RISK_LIMIT_INVALID']);
  }, 60_000);

  it('a user’s kill switch stops every account they own and their orders on the shared one', async () => {
    const halt = await call('POST', '/risk/halt', {
      token: tom,
      body: { userId: t.users.trader.id, reason: 'stepping away' },
    });
    expect(halt.status).toBe(200);
    expect(halt.json.states).toMatchObject({
      global: 'ACTIVE',
      users: { [t.users.trader.id]: 'HALTED' },
    });
    for (const id of [acc.A1, acc.A2, 'desk'])
      expect(codeOf(await order(tom, id))).toEqual([422, 'TRADING_HALTED']);
    // Tina trades on, on her account and on the shared one, and sees nothing of tom's switch.
    expect((await order(tina.token, acc.B1)).status).toBe(201);
    expect((await order(tina.token, 'desk')).status).toBe(201);
    expect((await call('GET', '/risk', { token: tina.token })).json.states.users).toEqual({});
    expect((await call('GET', '/risk', { token: t.tokens.risk })).json.states.users).toEqual({
      [t.users.trader.id]: 'HALTED',
    });

    // A trader halts only themselves; the risk role and an admin anyone who exists.
    const other = await call('POST', '/risk/halt', {
      token: tina.token,
      body: { userId: t.users.trader.id, reason: 'not me' },
    });
    expect(codeOf(other)).toEqual([403, 'FORBIDDEN']);
    expect(other.json.detail).toContain('body.userId');
    const nobody = await call('POST', '/risk/halt', {
      token: t.tokens.admin,
      body: { userId: 'no-such-user', reason: 'typo' },
    });
    expect(codeOf(nobody)).toEqual([404, 'NOT_FOUND']);
    const both = await call('POST', '/risk/halt', {
      token: tina.token,
      body: { userId: tina.id, accountId: acc.B1, reason: 'two scopes' },
    });
    expect(codeOf(both)).toEqual([400, 'VALIDATION']);
    const byAdmin = await call('POST', '/risk/halt', {
      token: t.tokens.admin,
      body: { userId: tina.id, reason: 'incident' },
    });
    expect(byAdmin.status).toBe(200);
    expect(codeOf(await order(tina.token, acc.B1))).toEqual([422, 'TRADING_HALTED']);

    // Only the risk role resumes; then both trade again.
    const selfResume = await call('POST', '/risk/resume', {
      token: tom,
      body: { userId: t.users.trader.id },
    });
    expect(selfResume.status).toBe(403);
    for (const id of [t.users.trader.id, tina.id])
      expect(
        (await call('POST', '/risk/resume', { token: t.tokens.risk, body: { userId: id } })).status,
      ).toBe(200);
    for (const id of [acc.A1, acc.A2, 'desk']) expect((await order(tom, id)).status).toBe(201);
    expect((await order(tina.token, acc.B1)).status).toBe(201);

    // Each switch is in the audit log with who set it.
    const audit = await call('GET', '/audit?limit=500', { token: t.tokens.auditor });
    const halts = audit.json.rows.filter(
      (r: Json) => r.action === 'risk.halted' && r.payload?.scope === 'USER',
    );
    expect(halts.map((r: Json) => r.payload.scope_id)).toEqual([t.users.trader.id, tina.id]);
  }, 60_000);
});
