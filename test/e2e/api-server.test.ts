import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { generate } from 'otplib';
import WebSocket from 'ws';
import { AuditRepository } from '../../src/store/audit-repository.js';
import { openStore } from '../../src/store/open-store.js';
import { btcSlice } from '../support/paper-args.js';
import { ROOT, runCli, KAIROS_ARGV } from '../support/run-cli.js';
import { until } from '../support/until.js';
import { pgliteTemplate } from '../support/stores.js';
import { tempDir } from '../support/temp-dir.js';

describe('kairos serve: log in with TOTP, place and cancel orders, see them pushed', () => {
  const dir = tempDir('kairos-api-');
  const home = path.join(dir, 'home');
  const data = btcSlice(path.join(dir, 'BTC-1m.json'), 3000);
  const env = { KAIROS_HOME: home };
  let server: ChildProcess;
  let base = '';
  const secrets: Record<string, string> = {};
  const passwords = {
    rita: 'a long admin passphrase 1',
    tom: 'trader passphrase number 2',
    tina: 'another trader passphrase 3',
  };

  beforeAll(async () => {
    const admin = runCli(['user', 'create-admin', 'rita'], {
      ...env,
      KAIROS_ADMIN_PASSWORD: passwords.rita,
    });
    expect(admin.code).toBe(0);
    secrets.rita = /secret: (\S+)/.exec(admin.stdout)![1]!;
    for (const name of ['tom', 'tina'] as const) {
      const trader = runCli(['user', 'create', name, '--role', 'trader'], {
        ...env,
        KAIROS_USER_PASSWORD: passwords[name],
      });
      expect(trader.code).toBe(0);
      secrets[name] = /secret: (\S+)/.exec(trader.stdout)![1]!;
    }
    server = spawn(
      process.execPath,
      [
        ...KAIROS_ARGV,
        'serve',
        '--data',
        data,
        '--symbol',
        'BTC/X',
        '--lot',
        '0.001',
        '--cash',
        '1000',
        '--speed',
        '3000',
        '--port',
        '0',
      ],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    server.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    server.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    base = await until(() => /listening on (http:\/\/\S+)/.exec(out)?.[1], 60_000);
  }, 120_000);

  const stop = async () => {
    if (server.exitCode !== null) return;
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  };
  afterAll(stop);

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  // A TOTP code is accepted once: each user logs in once and the session is reused.
  const sessions: Record<string, { accessToken: string; refreshToken: string }> = {};
  async function login(
    user: 'rita' | 'tom' | 'tina',
  ): Promise<{ accessToken: string; refreshToken: string }> {
    if (sessions[user]) return sessions[user];
    const first = await post('/auth/login', { username: user, password: passwords[user] });
    expect(first.status).toBe(200);
    const { challenge } = (await first.json()) as { challenge: string };
    const code = await generate({ secret: secrets[user]! });
    const second = await post('/auth/mfa', { challenge, code });
    expect(second.status).toBe(200);
    // The same code again is a replay.
    const replay = await post('/auth/login', { username: user, password: passwords[user] });
    const { challenge: c2 } = (await replay.json()) as { challenge: string };
    expect((await post('/auth/mfa', { challenge: c2, code })).status).toBe(401);
    return (sessions[user] = (await second.json()) as {
      accessToken: string;
      refreshToken: string;
    });
  }

  it('answers the load balancer: live, and ready on the embedded install', async () => {
    const live = await fetch(`${base}/health/live`);
    expect([live.status, await live.json()]).toEqual([200, { status: 'pass' }]);
    const ready = await fetch(`${base}/health/ready`);
    const body = (await ready.json()) as {
      status: string;
      checks: { name: string; status: string }[];
    };
    expect([ready.status, body.status]).toEqual([200, 'pass']);
    expect(body.checks.map((c) => [c.name, c.status])).toEqual([
      ['database', 'pass'],
      ['venue', 'pass'],
      ['unresolved-orders', 'pass'],
      ['draining', 'pass'],
      ['ownership', 'pass'],
    ]);
  });

  it('refuses a wrong password and an unknown user alike, as problem+json', async () => {
    const wrong = await post('/auth/login', { username: 'tom', password: 'not the password' });
    const unknown = await post('/auth/login', { username: 'nobody', password: 'whatever it is' });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await wrong.json()).toMatchObject({ code: 'AUTH_FAILED' });
    expect(await unknown.json()).toMatchObject({ code: 'AUTH_FAILED' });
  });

  it('a trader places an order once per Idempotency-Key, sees it fill over WebSocket, cancels another', async () => {
    const { accessToken } = await login('tom');
    const auth = { authorization: `Bearer ${accessToken}` };
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`);
    const messages: {
      type: string;
      kind?: string;
      order?: { clientOrderId: string; status: string };
    }[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m)) as (typeof messages)[number]));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'auth', token: accessToken }));
    ws.send(JSON.stringify({ type: 'subscribe', channel: 'orders' }));
    await until(() => messages.find((m) => m.type === 'subscribed'), 10_000);

    const order = { instrumentId: 'BTC/X', side: 'BUY', quantity: '1' };
    const placed = await post('/orders', order, { ...auth, 'idempotency-key': 'buy-1' });
    expect(placed.status).toBe(201);
    const body = (await placed.json()) as { clientOrderId: string; status: string };
    expect(['SUBMITTED', 'ACCEPTED', 'FILLED']).toContain(body.status);
    const again = await post('/orders', order, { ...auth, 'idempotency-key': 'buy-1' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { clientOrderId: string }).clientOrderId).toBe(
      body.clientOrderId,
    );

    // The market order fills on the next bar of the replay, and the fill is pushed.
    await until(
      () =>
        messages.find(
          (m) =>
            m.type === 'fill' ||
            (m.order?.status === 'FILLED' && m.order.clientOrderId === body.clientOrderId),
        ),
      30_000,
    );
    const listed = (await (await fetch(`${base}/orders?limit=10`, { headers: auth })).json()) as {
      orders: { clientOrderId: string }[];
    };
    expect(listed.orders.map((o) => o.clientOrderId)).toEqual([body.clientOrderId]);

    const resting = await post(
      '/orders',
      { instrumentId: 'BTC/X', side: 'BUY', type: 'LIMIT', quantity: '1', price: '0.0001' },
      { ...auth, 'idempotency-key': 'rest-1' },
    );
    expect(resting.status).toBe(201);
    const restId = ((await resting.json()) as { clientOrderId: string }).clientOrderId;
    const canceled = await fetch(`${base}/orders/${restId}`, { method: 'DELETE', headers: auth });
    expect(canceled.status).toBe(202);
    await until(
      () =>
        messages.find((m) => m.order?.clientOrderId === restId && m.order.status === 'CANCELED'),
      30_000,
    );
    ws.close();
  }, 60_000);

  it('refuses bad input with a problem naming the field, other users’ orders and roles without the right', async () => {
    const tom = await login('tom');
    const auth = { authorization: `Bearer ${tom.accessToken}` };
    const extra = await post(
      '/orders',
      { instrumentId: 'BTC/X', side: 'BUY', quantity: '1', status: 'FILLED' },
      { ...auth, 'idempotency-key': 'x-1' },
    );
    expect(extra.status).toBe(400);
    expect(await extra.json()).toMatchObject({
      code: 'VALIDATION',
      detail: expect.stringMatching(/status/),
    });
    const negative = await post(
      '/orders',
      { instrumentId: 'BTC/X', side: 'BUY', quantity: '-1' },
      { ...auth, 'idempotency-key': 'x-2' },
    );
    expect(negative.status).toBe(400);
    expect(await negative.json()).toMatchObject({ detail: expect.stringMatching(/quantity/) });
    const noKey = await post(
      '/orders',
      { instrumentId: 'BTC/X', side: 'BUY', quantity: '1' },
      auth,
    );
    expect(noKey.status).toBe(400);

    const rita = await login('rita');
    const adminOrder = await post(
      '/orders',
      { instrumentId: 'BTC/X', side: 'BUY', quantity: '1' },
      { authorization: `Bearer ${rita.accessToken}`, 'idempotency-key': 'a-1' },
    );
    expect(adminOrder.status).toBe(403);
    const mine = (await (await fetch(`${base}/orders`, { headers: auth })).json()) as {
      orders: { clientOrderId: string }[];
    };
    // Another trader's order is not found, for reading and for canceling.
    const tina = { authorization: `Bearer ${(await login('tina')).accessToken}` };
    const theirs = `${base}/orders/${mine.orders[0]!.clientOrderId}`;
    expect((await fetch(theirs, { headers: tina })).status).toBe(404);
    expect((await fetch(theirs, { method: 'DELETE', headers: tina })).status).toBe(404);
    expect((await fetch(theirs, { headers: auth })).status).toBe(200);
    const forged = await fetch(`${base}/orders`, {
      headers: { authorization: `Bearer ${tom.accessToken.slice(0, -4)}AAAA` },
    });
    expect(forged.status).toBe(401);
    expect((await fetch(`${base}/docs/json`)).status).toBe(200);
  }, 60_000);

  it('rate-limits password guessing per address with a 429 problem and Retry-After', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 40; i++) {
      last = await post('/auth/login', { username: 'tom', password: `guess number ${i}` });
      if (last.status === 429) break;
    }
    expect(last!.status).toBe(429);
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await last!.json()).toMatchObject({ code: 'RATE_LIMITED' });
  }, 60_000);

  it('has audited every login, failure and order event (read after a clean stop)', async () => {
    await stop();
    expect(server.exitCode).toBe(0);
    const store = await openStore({ ...pgliteTemplate(), dataDir: path.join(home, 'db') });
    try {
      const rows = await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER);
      const actions = rows.map((r) => r.action);
      expect(actions).toContain('auth.login');
      expect(actions).toContain('auth.login_failed');
      expect(actions).toContain('auth.mfa_failed');
      expect(actions).toContain('order.created');
      expect(actions).toContain('order.filled');
      expect(actions).toContain('order.canceled');
      // No secret ever reaches the log.
      const text = JSON.stringify(rows);
      for (const secret of [...Object.values(passwords), ...Object.values(secrets)])
        expect(text).not.toContain(secret);
      expect(rows.map((r) => r.prevHash).slice(1)).toEqual(rows.map((r) => r.hash).slice(0, -1));
    } finally {
      await store.close();
    }
  });
});
