import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { API_ERRORS } from '../../../src/api/error-catalogue.js';
import { verifyExport } from '../../../src/security/audit/verify.js';
import type { Role } from '../../../src/security/roles/permissions.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document and JSON answers, walked by key
type Json = any;

/**
 * The server as an outside fuzzer sees it (the input space `api-fuzz`, `order-fuzz` and
 * `hostile-input` leave out): every documented operation with unexpected methods, repeated and
 * prototype-named query keys, Content-Type and Authorization variants, numbers JSON.parse bends
 * (1e309, -0, 9007199254740993), duplicate keys, big arrays; as a trader, an auditor, an admin
 * and nobody. Each answer must be a status the document gives the operation, every error a
 * problem whose code the catalogue lists; afterwards the orders in the store are exactly those
 * answered 2xx, the audit chain verifies, a valid order still goes through and nothing was
 * logged as an internal error.
 */

const ORDER = { instrumentId: 'BTC/X', side: 'BUY', type: 'LIMIT', quantity: '1', price: '0.0016' };
const CODES = new Set(Object.keys(API_ERRORS));

/** Query values and keys no route expects. */
const queryValue = fc.constantFrom(
  '1',
  '1e3',
  '-0',
  '99999999999999999999999',
  'NaN',
  '%00',
  '%ED%A0%80',
  '%F0%9F%98%80',
  'x'.repeat(3000),
  '',
  'desk',
  'BTC/X',
  '__proto__',
);
const queryKey = fc.constantFrom(
  'limit',
  'before',
  'after',
  'from',
  'to',
  'accountId',
  'instrumentId',
  'status',
  'venue',
  'function',
  '__proto__',
  'constructor',
  'a[b]',
  '__proto__[x]',
  'limit[]',
);
const query = fc
  .array(fc.tuple(queryKey, queryValue), { maxLength: 4 })
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));

/** Path parameter values: real ones, prototype names, unicode, overlong. */
const param = fc.constantFrom(
  'desk',
  'x',
  '__proto__',
  'constructor',
  'toString',
  'sma-cross',
  '%F0%9F%98%80',
  '%C3%A9',
  '..',
  'a'.repeat(101),
  '0',
  '-1',
  '1e309',
);

/** Body texts: what JSON.parse bends, and what it refuses. */
const rawBody = fc.oneof(
  fc.constantFrom(
    '1e309',
    '-0',
    '"NaN"',
    '{"instrumentId":"BTC/X","side":"BUY","side":"SELL","type":"LIMIT","quantity":"1","price":"0.0016"}',
    `{"tag":[${Array(10_000).fill(0).join(',')}]}`,
    `{"a":${'['.repeat(40)}${']'.repeat(40)}}`,
    '{"constructor":{"prototype":{"x":1}}}',
    '{"__proto__":{"admin":true}}',
    '\ufeff{}',
    '{}',
    '[]',
    'null',
  ),
  fc
    .constantFrom('1e3', '1E+0', '0.1e1', '-0', '1e-400', '9007199254740993', '1.0', '01', '１')
    .chain((q) =>
      fc.constantFrom(
        JSON.stringify({ ...ORDER, quantity: q }),
        JSON.stringify({ ...ORDER, price: q }),
        `{"value":"${q}"}`,
        `{"from":0,"to":${q}}`,
        `{"strategy":"sma-cross","slippageBps":${q}}`,
        `{"params":{"fast":${q}}}`,
      ),
    ),
  fc.constant(JSON.stringify(ORDER)),
  fc.constant(JSON.stringify({ ...ORDER, side: 'SELL', quantity: '0.5' })),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json;',
  'application/problem+json',
  'application/json, text/plain',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  undefined,
);

/** What goes in Authorization: the role's token, or a mangled one. */
const authKind = fc.constantFrom(
  'token',
  'token',
  'token',
  'none',
  'lowercase',
  'twice',
  'trailing',
  'basic',
  'empty',
);
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;

describe('fuzz: methods, queries, headers and bodies over every operation, as each role', () => {
  let t: TestServer;
  let doc: Json;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    t = await startTestServer();
    doc = await (await fetch(`${t.server.url}/docs/json`)).json();
  }, 120_000);
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await t?.server.close();
  });

  it('answers each request with a documented status and problem, and leaves nothing half-written', async () => {
    const ops: { path: string; methods: Map<string, Json> }[] = [];
    for (const [p, item] of Object.entries(doc.paths as Record<string, Json>)) {
      // Logging out ends the session the other requests use.
      if (p === '/auth/logout') continue;
      ops.push({
        path: p,
        methods: new Map(Object.entries(item).map(([m, op]) => [m.toUpperCase(), op])),
      });
    }
    expect(ops.length).toBeGreaterThan(30);
    // Mostly a plausible request with a hostile part or two, so that many reach the handlers.
    const often = <T>(usual: T, other: fc.Arbitrary<T>) =>
      fc.oneof({ arbitrary: fc.constant(usual), weight: 2 }, { arbitrary: other, weight: 1 });
    // POST /orders a quarter of the time, so that orders are placed (and checked below) whatever
    // the document's paths and their order.
    const orders = ops.find((o) => o.path === '/orders')!;
    const request = fc.record({
      op: fc.oneof(
        { arbitrary: fc.constant(orders), weight: 1 },
        { arbitrary: fc.constantFrom(...ops), weight: 3 },
      ),
      method: often<string>('DOC', fc.constantFrom(...METHODS)),
      params: fc.array(often('desk', param), { minLength: 3, maxLength: 3 }),
      query: often('', query),
      body: often(JSON.stringify(ORDER), rawBody),
      contentType: often<string | undefined>('application/json', contentType),
      auth: often('token', authKind),
      key: fc.oneof(
        fc.nat({ max: 1_000_000 }).map((n) => `k-${n}`),
        fc.constantFrom('k-1', '', 'x'.repeat(300)),
      ),
    });
    const failures: string[] = [];
    const placed = new Map<string, string>(); // clientOrderId → accountId, of every 2xx POST /orders
    const denied = new Set<string>();
    const statuses = new Map<number, number>();
    let sent = 0;
    for (const role of ['trader', 'auditor', 'admin', null] as (Role | null)[]) {
      const token = role ? t.tokens[role] : 'not-a-token';
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const docMethods = [...r.op.methods.keys()];
          const method = r.method === 'DOC' ? docMethods[sent % docMethods.length]! : r.method;
          let i = 0;
          const url = r.op.path.replace(/\{[^}]+\}/g, () => r.params[i++]!) + r.query;
          const headers: Record<string, string> = { 'idempotency-key': r.key };
          const auth = {
            token: `Bearer ${token}`,
            none: undefined,
            lowercase: `bearer ${token}`,
            twice: `Bearer ${token}, Bearer ${token}`,
            trailing: `Bearer ${token}.x`,
            basic: 'Basic dG9tOnBhc3N3b3Jk',
            empty: 'Bearer ',
          }[r.auth];
          if (auth !== undefined) headers.authorization = auth;
          const withBody = method !== 'GET' && method !== 'HEAD';
          if (withBody && r.contentType !== undefined) headers['content-type'] = r.contentType;
          const res = await fetch(`${t.server.url}${url}`, {
            method,
            headers,
            ...(withBody ? { body: r.body } : {}),
          });
          const text = await res.text();
          sent++;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const op = r.op.methods.get(method);
          const why = checkAnswer(op, method, res, text);
          if (why)
            failures.push(`${role} ${method} ${url.slice(0, 100)} ${r.body.slice(0, 80)}: ${why}`);
          if (method === 'POST' && r.op.path === '/orders' && res.status < 300) {
            const o = JSON.parse(text) as Json;
            placed.set(o.clientOrderId, o.accountId);
          }
          const deniedId = /^order (\S+) denied/.exec(
            res.status === 422 ? String(JSON.parse(text).detail) : '',
          );
          if (deniedId) denied.add(deniedId[1]!);
          return true;
        }),
        {
          numRuns: Number(process.env.FUZZ_RUNS ?? 150),
          seed: Number(process.env.FUZZ_SEED ?? 11),
        },
      );
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(500);
    // Several kinds of answers, not only refusals at the door.
    expect([...statuses.keys()].filter((s) => s < 300).length).toBeGreaterThan(1);
    expect(placed.size).toBeGreaterThan(0);

    // Nothing half-written: the store holds exactly the orders answered 2xx (and those denied
    // at the gate, as denied), on the accounts the answers named.
    const release = await call('POST', '/risk/resume', t.tokens.risk, {});
    expect(release.status).toBe(200);
    const stored = t.server.core.exec.allOrders();
    for (const [id, account] of placed) {
      const o = t.server
        .accountCore(account)
        ?.exec.allOrders()
        .find((x) => x.clientOrderId === id);
      expect([id, o?.status === 'DENIED']).toEqual([id, false]);
    }
    expect(
      stored
        .filter((o) => o.status !== 'DENIED')
        .map((o) => o.clientOrderId)
        .sort(),
    ).toEqual(
      [...placed]
        .filter(([, a]) => a === 'desk')
        .map(([id]) => id)
        .sort(),
    );
    for (const id of denied) {
      expect([id, stored.find((o) => o.clientOrderId === id)?.status]).toEqual([id, 'DENIED']);
    }
    expect(t.server.core.journal.failure).toBeNull();
    // The audit chain verifies, as an export of it.
    const exp = await call('POST', '/audit/exports', t.tokens.auditor, {
      from: 0,
      to: Date.now() + 1,
    });
    expect(exp.status).toBe(201);
    const pem = readFileSync(path.join(t.home, 'keys', 'audit-signing.pub'), 'utf8');
    expect((await verifyExport(path.join(t.home, 'exports', exp.json.id), pem)).ok).toBe(true);
    // A valid request still succeeds; nothing was a bug.
    const ok = await call('POST', '/orders', t.token, ORDER, { 'idempotency-key': 'after-fuzz' });
    expect([ok.status, ok.json.code]).toEqual([201, undefined]);
    expect(internalErrors(t)).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 240_000);

  /** Why an answer is not one the document allows `op` (undefined: it is), or null when it is. */
  function checkAnswer(op: Json, method: string, res: Response, text: string): string | null {
    // A method the path lacks: 405 naming the path's methods (`Allow`), or the request refused
    // before it was routed (a bad URL, a path parameter made another path).
    const declared = op ? Object.keys(op.responses).map(Number) : [400, 404, 405, 414];
    if (!declared.includes(res.status)) return `status ${res.status} not declared (${declared})`;
    if (res.status === 405 && !res.headers.get('allow')) return '405 without Allow';
    if (res.status >= 500 && res.status !== 503) return `status ${res.status}`;
    if (res.status < 400 || method === 'HEAD') return null;
    const type = res.headers.get('content-type') ?? '';
    if (!type.startsWith('application/problem+json')) return `content type ${type}`;
    const body = JSON.parse(text) as Json;
    if (!CODES.has(body.code)) return `code ${body.code} not in the catalogue`;
    if (body.status !== res.status) return `body status ${body.status}`;
    return null;
  }

  const call = async (
    method: string,
    url: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(`${t.server.url}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Json };
  };
});

/** Lines the server logged as a bug: an internal error of a route or of the socket handler. */
function internalErrors(t: TestServer): string[] {
  return t.logs.filter((l) => /"level":"error"/.test(l));
}
