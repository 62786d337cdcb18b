import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { until } from '../../support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

const PER_MINUTE = 300;

/** Research test T21 (API4, unrestricted resource consumption), over real HTTP and WebSocket. */
describe('T21: bodies, pages, socket messages and request rates are bounded', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ speed: 300, bars: 3000, rateLimitPerMinute: PER_MINUTE });
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
  });

  const call = async (method: string, url: string, token: string, body?: string) => {
    const res = await fetch(`${t.server.url}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined
          ? {}
          : { 'content-type': 'application/json', 'idempotency-key': 'k1' }),
      },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      json: (text ? JSON.parse(text) : null) as Json,
    };
  };

  it('refuses a 10 MB body and one just over 64 KiB with 413, and stays up', async () => {
    for (const size of [10 * 1024 * 1024, 64 * 1024 + 1]) {
      const body = JSON.stringify({ instrumentId: 'BTC/X', pad: 'x'.repeat(size) });
      const r = await call('POST', '/orders', t.token, body);
      expect([size, r.status, r.json?.code]).toEqual([size, 413, 'BODY_TOO_LARGE']);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect(t.server.core.unresolved()).toBe(false);
    expect((await call('GET', '/orders?limit=500', t.token)).status).toBe(200);
  });

  it('caps pages: limit=1e6 and 501 refused naming the field, 500 served', async () => {
    for (const url of ['/orders?limit=1000000', '/orders?limit=501', '/fills?limit=1e6']) {
      const r = await call('GET', url, t.token);
      expect([url, r.status, r.json.code]).toEqual([url, 400, 'VALIDATION']);
      expect(r.json.detail).toMatch(/limit/);
    }
    const ok = await call('GET', '/fills?limit=500', t.token);
    expect(ok.status).toBe(200);
  });

  it('10,000 subscriptions on one socket keep one subscription: each bar arrives once', async () => {
    const ws = new WebSocket(`${t.server.url.replace('http', 'ws')}/ws`);
    const messages: Json[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m))));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'auth', token: t.token }));
    for (let i = 0; i < 10_000; i++)
      ws.send(JSON.stringify({ type: 'subscribe', channel: 'bars' }));
    await until(() => messages.filter((m) => m.type === 'subscribed').length === 10_000, 60_000);
    const from = messages.length;
    await until(() => messages.slice(from).filter((m) => m.type === 'bar').length >= 3, 30_000);
    const bars = messages.slice(from).filter((m) => m.type === 'bar');
    const times = bars.map((b) => JSON.stringify(b));
    expect(new Set(times).size).toBe(times.length);

    // A message over 64 KiB closes the socket (1009, message too big).
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('x'.repeat(64 * 1024 + 1));
    expect(await closed).toBe(1009);
  }, 120_000);

  it('an abusive user is rate-limited (429 with Retry-After); another user is still served', async () => {
    const answers = await Promise.all(
      Array.from({ length: PER_MINUTE + 100 }, () => call('GET', '/risk', t.tokens.quant)),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(100);
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(PER_MINUTE);
    expect(limited[0]!.json.code).toBe('RATE_LIMITED');
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call('GET', '/risk', t.tokens.risk)).status).toBe(200);
  }, 120_000);

  it('never limits the health routes: an old client probing /health past the limit gets 200', async () => {
    for (const route of ['/health', '/health/live', '/health/ready']) {
      const answers = await Promise.all(
        Array.from({ length: PER_MINUTE + 50 }, () => fetch(`${t.server.url}${route}`)),
      );
      const statuses = new Set(answers.map((a) => a.status));
      expect([route, [...statuses]]).toEqual([route, [200]]);
      await Promise.all(answers.map((a) => a.arrayBuffer()));
    }
  }, 120_000);
});
