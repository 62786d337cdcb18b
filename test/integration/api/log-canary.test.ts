import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { apiCall, type Answer } from '../../support/api-call.js';
import { replayPriced, startTestServer, type TestServer } from '../../support/api-server.js';
import { canaryCredential } from '../../support/canary.js';
import { until } from '../../support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON log lines, checked field by field
type Json = any;

/**
 * Issue 14's canary: the server logs at `debug` (test/support/api-server.ts) while a user is made,
 * logs in with password and TOTP, refreshes, stores a venue credential, trades, and the kill
 * switch is hit; secrets sent in headers, bodies and query strings are canaries. No log line may
 * hold one, and the lines an operator needs are there.
 */
describe('logs: no secret reaches a log line, and an operator can follow what happened', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ speed: 300, bars: 3000 });
    await replayPriced(t);
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
  });
  const call = (
    method: string,
    url: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> => apiCall(t.server.url, method, url, opts);
  const lines = (): Json[] => t.logs.map((l) => JSON.parse(l) as Json);

  it('logs login, MFA, refresh, a credential, an order and the kill switch with no secret', async () => {
    const canary = `CANARY${randomBytes(8).toString('hex')}`;
    const secrets: string[] = [canary];
    // A user whose password is a canary; the answer shows the TOTP secret once.
    const username = `c${randomBytes(4).toString('hex')}`;
    const password = `${canary} password`;
    const made = await call('POST', '/users', {
      token: t.tokens.admin,
      body: { username, password, role: 'trader' },
    });
    expect(made.status).toBe(201);
    const totpSecret = made.json.secret as string;
    secrets.push(totpSecret);

    // A wrong password, then the right one and the second factor.
    const wrong = await call('POST', '/auth/login', {
      body: { username, password: `${canary} wrong password` },
    });
    expect(wrong.status).toBe(401);
    const first = await call('POST', '/auth/login', { body: { username, password } });
    expect(first.status).toBe(200);
    const challenge = first.json.challenge as string;
    secrets.push(challenge);
    const code = await generate({ secret: totpSecret, epoch: Math.floor(Date.now() / 1000) });
    const mfa = await call('POST', '/auth/mfa', { body: { challenge, code } });
    expect(mfa.status).toBe(200);
    const { accessToken, refreshToken } = mfa.json as { accessToken: string; refreshToken: string };
    const refreshed = await call('POST', '/auth/refresh', { body: { refreshToken } });
    expect(refreshed.status).toBe(200);
    const token = refreshed.json.accessToken as string;
    secrets.push(accessToken, refreshToken, token, refreshed.json.refreshToken as string);

    // A venue credential (API key, secret, passphrase: canaries).
    const cred = await call('POST', '/credentials', {
      token: t.tokens.admin,
      body: canaryCredential(canary),
    });
    expect(cred.status).toBe(201);

    // Secrets where a client should not put them: a forged bearer, a query, an unknown route.
    expect((await call('GET', '/orders', { token: `${canary}.forged.token` })).status).toBe(401);
    await call('GET', `/orders?apiKey=${canary}&password=${canary}`, { token });
    await call('POST', `/no-such-route/${canary}`, { body: { password: canary } });

    // An order that fills, then the kill switch and an order it denies.
    const order = await call('POST', '/orders', {
      token,
      body: { instrumentId: 'BTC/X', side: 'BUY', type: 'MARKET', quantity: '0.001' },
      headers: { 'idempotency-key': `canary-${canary}` },
    });
    expect(order.status).toBe(201);
    const clientOrderId = order.json.clientOrderId as string;
    await until(
      async () =>
        (await call('GET', `/orders/${clientOrderId}`, { token })).json.order.status === 'FILLED',
      30_000,
      'the order to fill',
    );
    const halt = await call('POST', '/risk/halt', {
      token: t.tokens.risk,
      body: { reason: 'canary test' },
    });
    expect(halt.status).toBe(200);
    const denied = await call('POST', '/orders', {
      token,
      body: { instrumentId: 'BTC/X', side: 'BUY', type: 'MARKET', quantity: '0.001' },
      headers: { 'idempotency-key': `canary-denied-${canary}` },
    });
    expect([denied.status, denied.json.code]).toEqual([422, 'TRADING_HALTED']);
    expect((await call('POST', '/risk/resume', { token: t.tokens.risk })).status).toBe(200);
    await until(
      () => t.logs.some((l) => l.includes('"message":"trading state ACTIVE"')),
      10_000,
      `the resume to be logged:\n${t.logs
        .filter((l) => !l.includes('"http"'))
        .slice(-15)
        .join('\n')}`,
    );

    // 1. No secret in any line, at debug; the TOTP code not as a number of its own either.
    expect(t.logs.length).toBeGreaterThan(20);
    const all = t.logs.join('\n');
    for (const s of secrets) expect({ s, found: all.includes(s) }).toEqual({ s, found: false });
    expect(all).not.toMatch(new RegExp(`(?<![0-9])${code}(?![0-9])`));

    // 2. What an operator reads: every request with its id, route template, status, duration…
    const requests = lines().filter((l) => l.component === 'http');
    const login = requests.filter((l) => l.route === '/auth/login');
    expect(login.map((l) => l.status)).toEqual(expect.arrayContaining([401, 200]));
    for (const l of requests) {
      expect(l).toMatchObject({ level: expect.any(String), message: 'request' });
      expect(typeof l.requestId).toBe('string');
      expect(typeof l.durationMs).toBe('number');
      expect(Object.keys(l)).not.toContain('body');
    }
    expect(requests.find((l) => l.route === '/orders' && l.method === 'POST')).toMatchObject({
      status: 201,
      userId: made.json.user.id,
    });
    expect(requests.find((l) => l.status === 404)).toMatchObject({ route: '(no route)' });
    // … each order state change with its ids, the denial with its reason, the kill switch.
    const orderLines = lines().filter((l) => l.clientOrderId === clientOrderId);
    expect(orderLines.map((l) => l.message)).toEqual(
      expect.arrayContaining([
        'order initialized',
        'order submitted',
        'order accepted',
        'order filled',
      ]),
    );
    expect(orderLines.every((l) => l.venue === 'PAPER' && l.component === 'orders')).toBe(true);
    expect(lines().find((l) => l.message === 'kill switch engaged: trading halted')).toMatchObject({
      component: 'risk',
      state: 'HALTED',
      scope: 'GLOBAL',
    });
    expect(
      lines().some((l) => l.message === 'order denied by risk' && l.reason === 'TRADING_HALTED'),
    ).toBe(true);
  }, 90_000);
});
