import path from 'node:path';
import WebSocket from 'ws';
import { ROLES, can, type Role } from '../../../src/security/roles/permissions.js';
import { CHANNEL_PERMISSION } from '../../../src/api/ws-channels.js';
import { DUPLICATE_KEY_RULE } from '../../../src/api/duplicate-keys.js';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { addToCatalog } from '../../support/strategy-catalog.js';
import { until } from '../../support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

const ORDER = { instrumentId: 'BTC/X', side: 'BUY', type: 'LIMIT', quantity: '1', price: '0.0016' };

/** A socket that collects every message; `next(pred)` waits for a new one matching. */
async function openSocket(url: string) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
  const messages: Json[] = [];
  let closed: number | null = null;
  ws.on('message', (m) => messages.push(JSON.parse(String(m))));
  ws.on('close', (code) => (closed = code));
  await new Promise((r) => ws.once('open', r));
  return {
    ws,
    messages,
    closed: () => closed,
    /** Sends `frame` and answers the first message after it (snapshots are state, not answers). */
    async ask(frame: string | Buffer, binary = false): Promise<Json> {
      const from = messages.length;
      ws.send(frame, { binary });
      return until(
        () => messages.slice(from).find((m) => (m as { type?: unknown }).type !== 'snapshot'),
        10_000,
      );
    },
  };
}

describe('hostile input: refused at the edge, never a 500, never an exit', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    addToCatalog(path.join(t.home, 'strategies'), 'examples/strategies/sma-cross.ts', 'sma-cross');
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
  });
  const call = (method: string, url: string, body?: unknown, token = t.token, headers = {}) =>
    apiCall(t.server.url, method, url, { token, body, headers });

  it('every frame shape is validated: JSON null, scalars, arrays, binary, bad UTF-8, NUL, lone surrogates, deep nesting', async () => {
    const s = await openSocket(t.server.url);
    const frames: [string | Buffer, boolean, RegExp][] = [
      ['null', false, /message: must be a JSON object/],
      ['1e400', false, /message: must be a JSON object/],
      ['"auth"', false, /message: must be a JSON object/],
      ['[]', false, /message: must be a JSON object/],
      ['true', false, /message: must be a JSON object/],
      ['{', false, /not JSON/],
      ['{}', false, /type: must be one of auth, subscribe, unsubscribe/],
      ['{"type":null}', false, /type: must be one of/],
      ['{"type":"auth"}', false, /message: /],
      ['{"type":"auth","token":7}', false, /message.token/],
      ['{"type":"auth","token":{"a":1}}', false, /message.token/],
      ['{"type":"subscribe","channel":"x\\u0000"}', false, /message.channel: must not contain NUL/],
      ['{"type":"auth","token":"\\ud800"}', false, /message.token: must be well-formed Unicode/],
      ['{"\\udc00":1,"type":"auth"}', false, /must be well-formed Unicode/],
      [`{"type":"auth","token":${'['.repeat(5000)}${']'.repeat(5000)}}`, false, /nest deeper/],
      [Buffer.from([0x7b, 0x7d]), true, /must be a text frame/],
      ['{"type":"constructor"}', false, /type: must be one of/],
      ['{"type":"__proto__"}', false, /type: must be one of/],
    ];
    for (const [frame, binary, detail] of frames) {
      const answer = await s.ask(frame, binary);
      expect([String(frame).slice(0, 40), answer.type, answer.code]).toEqual([
        String(frame).slice(0, 40),
        'error',
        'WS_BAD_MESSAGE',
      ]);
      expect(answer.detail).toMatch(detail);
    }
    // Still the same socket, still working.
    expect(s.closed()).toBeNull();
    expect(await s.ask(JSON.stringify({ type: 'auth', token: t.token }))).toMatchObject({
      type: 'authenticated',
    });
    // Invalid UTF-8 in a text frame closes this socket (1007), not the server.
    const bad = await openSocket(t.server.url);
    bad.ws.send(Buffer.from([0x22, 0xff, 0x22]), { binary: false });
    await until(() => bad.closed() !== null, 10_000);
    expect(bad.closed()).toBe(1007);
    expect((await call('GET', '/health')).status).toBe(200);
    s.ws.close();
  });

  it('a frame whose object repeats a key (plain or escaped): WS_BAD_MESSAGE naming it, nothing done', async () => {
    const s = await openSocket(t.server.url);
    // The last token is the valid one (JSON.parse keeps it): still refused, not authenticated.
    const auth = await s.ask(`{"type":"auth","token":"nope","\\u0074oken":"${t.token}"}`);
    expect(auth).toMatchObject({ type: 'error', code: 'WS_BAD_MESSAGE' });
    expect(auth.detail).toMatch(/^message\.token: must not repeat a key/);
    expect(await s.ask('{"type":"subscribe","channel":"orders"}')).toMatchObject({
      code: 'AUTH_REQUIRED',
    });
    await s.ask(JSON.stringify({ type: 'auth', token: t.token }));
    for (const [frame, field] of [
      ['{"type":"subscribe","channel":"risk","channel":"orders"}', 'message.channel'],
      [
        '{"type":"subscribe","channel":"bars","after":{"BTC/X":1,"BTC/X":2}}',
        'message.after.BTC/X',
      ],
      ['{"type":"unsubscribe","type":"subscribe","channel":"orders"}', 'message.type'],
    ]) {
      const answer = await s.ask(frame!);
      expect([frame, answer.type, answer.code]).toEqual([frame, 'error', 'WS_BAD_MESSAGE']);
      expect(answer.detail).toBe(`${field}: ${DUPLICATE_KEY_RULE}`);
    }
    // Still the same socket, still working.
    expect(await s.ask('{"type":"subscribe","channel":"orders"}')).toMatchObject({
      type: 'subscribed',
    });
    s.ws.close();
  });

  it('socket × role: each channel needs the permission its routes need', async () => {
    for (const role of ROLES as readonly Role[]) {
      const s = await openSocket(t.server.url);
      await s.ask(JSON.stringify({ type: 'auth', token: t.tokens[role] }));
      for (const [channel, permission] of Object.entries(CHANNEL_PERMISSION)) {
        const answer = await s.ask(JSON.stringify({ type: 'subscribe', channel }));
        // `trades` and `book` name their instruments (none on this server: refused, once allowed).
        const expected = !can(role, permission)
          ? 'FORBIDDEN'
          : channel === 'trades' || channel === 'book'
            ? 'WS_BAD_MESSAGE'
            : 'subscribed';
        expect([role, channel, answer.type === 'error' ? answer.code : answer.type]).toEqual([
          role,
          channel,
          expected,
        ]);
      }
      s.ws.close();
    }
    // An admin and an auditor hold no market-data:read.
    expect(can('admin', CHANNEL_PERMISSION.bars)).toBe(false);
    expect(can('auditor', CHANNEL_PERMISSION.bars)).toBe(false);
  });

  it('NUL and lone surrogates in a body, path, query or header: 400 naming the field; orders keep committing', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/orders', { ...ORDER, tag: 'a\u0000b' }, 'body.tag'],
      ['POST', '/orders', { ...ORDER, tag: '\ud800x' }, 'body.tag'],
      ['POST', '/orders', { ...ORDER, tag: 'x\udfff' }, 'body.tag'],
      ['GET', '/orders/a%00b', undefined, 'params.id'],
      ['DELETE', '/orders/a%00b', undefined, 'params.id'],
      ['GET', '/orders?instrumentId=a%00', undefined, 'query.instrumentId'],
      ['GET', '/fills?before=x%00', undefined, 'query.before'],
      ['POST', '/risk/halt', { reason: 'x\u0000' }, 'body.reason'],
      ['POST', '/risk/halt', { reason: '\udc00' }, 'body.reason'],
      ['GET', '/strategies/instances/a%00/state', undefined, 'params.id'],
      ['POST', '/strategies/a%00/start', {}, 'params.name'],
    ];
    let n = 0;
    for (const [method, url, body, field] of cases) {
      const r = await call(
        method,
        url,
        body,
        method === 'POST' && url.startsWith('/strategies')
          ? t.tokens.quant
          : method === 'POST' && url.startsWith('/risk')
            ? t.tokens.risk
            : t.token,
        { 'idempotency-key': `hostile-${n++}` },
      );
      expect([method, url, r.status, r.json?.code]).toEqual([method, url, 400, 'VALIDATION']);
      expect(r.type).toMatch(/^application\/problem\+json/);
      expect(r.json.detail).toContain(field);
    }
    // The journal is intact: a valid order commits and the core is not failed closed.
    const ok = await call('POST', '/orders', ORDER, t.token, {
      'idempotency-key': 'after-hostile',
    });
    expect(ok.status).toBe(201);
    expect(t.server.core.journal.failure).toBeNull();
  });

  it('a body whose object repeats a key (at any depth, escaped or not): 400 BAD_REQUEST naming it; nothing stored or audited', async () => {
    const audited = async () =>
      (
        await call(
          'GET',
          `/audit?from=0&to=${Date.now() + 60_000}&limit=1000`,
          undefined,
          t.tokens.auditor,
        )
      ).json.rows.length as number;
    const orders = async () => (await call('GET', '/orders')).json as Json;
    const [ordersBefore, auditBefore] = [await orders(), await audited()];
    const order =
      '{"instrumentId":"BTC/X","side":"BUY","type":"LIMIT","quantity":"1","price":"0.0016"';
    const cases: [string, string, string, string][] = [
      ['/orders', t.token, `${order},"side":"SELL"}`, 'body.side'],
      ['/orders', t.token, `${order},"\\u0073ide":"SELL"}`, 'body.side'],
      ['/orders', t.token, `${order},"tag":"a","t\\u0061g":"b"}`, 'body.tag'],
      ['/risk/halt', t.tokens.risk, '{"reason":"a","reason":"b"}', 'body.reason'],
      [
        '/strategies/sma-cross/start',
        t.tokens.quant,
        '{"params":{"fast":3,"fast":4}}',
        'body.params.fast',
      ],
      ['/auth/login', '', '{"username":"tom","username":"rita","password":"x"}', 'body.username'],
    ];
    let n = 0;
    for (const [url, token, body, field] of cases) {
      const res = await fetch(`${t.server.url}${url}`, {
        method: 'POST',
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          'content-type': 'application/json',
          'idempotency-key': `dup-${n++}`,
        },
        body,
      });
      const json = (await res.json()) as Json;
      expect([body, res.status, json.code]).toEqual([body, 400, 'BAD_REQUEST']);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(json.detail).toBe(`${field}: ${DUPLICATE_KEY_RULE}`);
    }
    expect(await orders()).toEqual(ordersBefore);
    expect(await audited()).toBe(auditBefore);
    expect(t.server.core.journal.failure).toBeNull();
  });

  it('strategy params that break their declared rules: 400 PARAM_INVALID naming the param', async () => {
    for (const [params, name] of [
      [{ fast: 1e308 }, 'fast'],
      [{ size: '1e400' }, 'size'],
      [{ fast: 40, slow: 30 }, 'fast'],
      [{ slow: 1e308 }, 'slow'],
    ] as const) {
      const r = await call('POST', '/strategies/sma-cross/start', { params }, t.tokens.quant);
      expect([params, r.status, r.json.code]).toEqual([params, 400, 'PARAM_INVALID']);
      expect(r.json.detail).toContain(`param "${name}"`);
    }
  });

  it('router and parser errors are problems with listed codes', async () => {
    const cases: [string, string, Record<string, string>, string | undefined, number, string][] = [
      ['GET', '/orders/%E0%A4%A', {}, undefined, 400, 'BAD_URL'],
      ['GET', `/orders/${'x'.repeat(200)}`, {}, undefined, 414, 'URL_TOO_LONG'],
      [
        'POST',
        '/orders',
        { 'content-type': 'application/xml', 'idempotency-key': 'a' },
        'x',
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'POST',
        '/orders',
        { 'content-type': 'application/json', 'idempotency-key': 'a' },
        '{',
        400,
        'MALFORMED_BODY',
      ],
      [
        'POST',
        '/orders',
        { 'content-type': 'application/json', 'idempotency-key': 'a' },
        '',
        400,
        'MALFORMED_BODY',
      ],
    ];
    for (const [method, url, headers, body, status, code] of cases) {
      const res = await fetch(`${t.server.url}${url}`, {
        method,
        headers: { authorization: `Bearer ${t.token}`, ...headers },
        ...(body === undefined ? {} : { body }),
      });
      const json = (await res.json()) as Json;
      expect([url.slice(0, 30), res.status, json.code]).toEqual([url.slice(0, 30), status, code]);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    // Headers over Node's limit: 431 as a problem.
    const big = await fetch(`${t.server.url}/health`, { headers: { 'x-pad': 'x'.repeat(20_000) } });
    expect([big.status, big.headers.get('content-type')]).toEqual([
      431,
      'application/problem+json',
    ]);
    expect(((await big.json()) as Json).code).toBe('HEADERS_TOO_LARGE');
  });

  // The server's own request hooks (callbacks, not async functions, since issue 18) on every
  // kind of answer: the request id echoed and logged once, hostile input refused before validation.
  it('each answer carries its request id, logged on exactly one request line with its status and route', async () => {
    const key = (n: number) => ({ 'idempotency-key': `hooks-${n}` });
    const answers = await Promise.all([
      apiCall(t.server.url, 'POST', '/orders', { token: t.token, body: ORDER, headers: key(1) }),
      apiCall(t.server.url, 'POST', '/orders', { token: t.token, body: ORDER, headers: key(1) }),
      apiCall(t.server.url, 'POST', '/orders', {
        token: t.token,
        body: { ...ORDER, instrumentId: 'BTC\u0000X' },
        headers: key(2),
      }),
      apiCall(t.server.url, 'POST', '/orders', { body: ORDER, headers: key(3) }),
      apiCall(t.server.url, 'GET', '/no-such-route', { token: t.token }),
      apiCall(t.server.url, 'GET', '/orders', {
        token: t.token,
        headers: { 'x-request-id': 'client-chosen-1' },
      }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 201, 200, 400, 401, 404].sort());
    const hostile = answers[2]!;
    expect(hostile.json).toMatchObject({ code: 'VALIDATION' });
    expect(String(hostile.json.detail)).toMatch(/^body\.instrumentId: /);
    expect(answers[5]!.headers['x-request-id']).toBe('client-chosen-1');
    const ids = answers.map((a) => a.headers['x-request-id']);
    expect(new Set(ids).size).toBe(answers.length);
    const lines = () =>
      t.logs
        .map((l) => JSON.parse(l) as Json)
        .filter(
          (l) => l.component === 'http' && l.message === 'request' && ids.includes(l.requestId),
        );
    // The line is written once the answer is sent: wait for all of them.
    await until(() => lines().length >= answers.length || undefined, 10_000);
    expect(lines()).toHaveLength(answers.length);
    for (const a of answers) {
      const line = lines().find((l) => l.requestId === a.headers['x-request-id']);
      expect(line).toMatchObject({ status: a.status, method: expect.any(String) });
      expect(typeof line.durationMs).toBe('number');
    }
    expect(lines().find((l) => l.status === 404).route).toBe('(no route)');
    expect(lines().filter((l) => l.route === '/orders').length).toBe(5);
  });
});
