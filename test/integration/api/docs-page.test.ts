import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { routeMethodsOf } from '../../../src/api/app.js';
import {
  DECIMAL_PATTERN,
  DECIMAL_RULE,
  INTEGER_PATTERN,
  INTEGER_RULE,
} from '../../../src/api/number-grammar.js';
import {
  ROLE_PERMISSIONS,
  ROLES,
  type Permission,
} from '../../../src/security/roles/permissions.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { isDecimal, isInteger, nearNumbers } from '../../support/near-numbers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document, walked by key
type Json = any;

/** A number field of a request, as `/docs/json` declares it. */
interface NumberField {
  readonly op: string;
  readonly where: 'body' | 'querystring' | 'params';
  readonly name: string;
  readonly pattern: string;
}

/** Every string field of every request part in the document, with its pattern. */
function patternedFields(doc: Json): NumberField[] {
  const out: NumberField[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item as Record<string, Json>)) {
      // A HEAD has its GET's query, validated by the same schema.
      if (method === 'head') continue;
      const at = `${method.toUpperCase()} ${path}`;
      const body = op.requestBody?.content?.['application/json']?.schema?.properties ?? {};
      for (const [name, s] of Object.entries(body as Record<string, Json>))
        if (typeof s.pattern === 'string')
          out.push({ op: at, where: 'body', name, pattern: s.pattern });
      for (const p of (op.parameters ?? []) as Json[]) {
        const where = p.in === 'query' ? 'querystring' : p.in === 'path' ? 'params' : null;
        if (where && typeof p.schema?.pattern === 'string')
          out.push({ op: at, where, name: p.name, pattern: p.schema.pattern });
      }
    }
  }
  return out;
}

/**
 * A request of each operation with a number field that changes nothing whatever the field's
 * value: another part of it is refused after the body is read (a missing Idempotency-Key, an
 * account not found, a data file that does not exist, a live account on no venue).
 */
const HARMLESS: Record<string, { url: string; body?: Record<string, unknown>; perm: Permission }> =
  {
    'POST /orders': {
      url: '/orders',
      body: { instrumentId: 'BTC/X', side: 'BUY', type: 'LIMIT', quantity: '1', price: '0.0016' },
      perm: 'orders:write',
    },
    'POST /accounts': {
      url: '/accounts',
      body: { name: 'grammar', mode: 'live', venue: 'nowhere' },
      perm: 'accounts:write',
    },
    'PUT /risk/limits/{name}': {
      url: '/risk/limits/maxOrderQty',
      body: { value: '1', accountId: 'no-such-account' },
      perm: 'risk:write',
    },
    'POST /backtests': {
      url: '/backtests',
      body: { strategy: 'sma-cross', data: 'no/such-file.json' },
      perm: 'backtests:run',
    },
    'GET /audit': { url: '/audit', perm: 'audit:read' },
  };

describe('GET /docs: a browsable OpenAPI page served with its assets, no CDN', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
  });

  const get = (url: string) => fetch(`${t.server.url}${url}`);

  it('answers an HTML page whose scripts and styles all come from this server', async () => {
    const res = await get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await res.text();
    expect(html).toContain('<div id="swagger-ui">');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs).toEqual(
      expect.arrayContaining([
        '/docs/static/swagger-ui.css',
        '/docs/static/swagger-ui-bundle.js',
        '/docs/static/swagger-ui-standalone-preset.js',
        '/docs/static/swagger-initializer.js',
      ]),
    );
    expect(refs.every((r) => r.startsWith('/docs/static/'))).toBe(true);
    expect(html).not.toMatch(/<script>|https?:\/\//);
  });

  it('serves every asset the page names, with its type', async () => {
    const html = await (await get('/docs')).text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    for (const ref of refs) {
      const res = await get(ref);
      expect([ref, res.status]).toEqual([ref, 200]);
      const type = res.headers.get('content-type') ?? '';
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.length).toBeGreaterThan(0);
      if (ref.endsWith('.js')) expect(type).toMatch(/^application\/javascript/);
      if (ref.endsWith('.css')) expect(type).toMatch(/^text\/css/);
      if (ref.endsWith('.png')) expect(type).toBe('image/png');
    }
    const bundle = await (await get('/docs/static/swagger-ui-bundle.js')).text();
    expect(bundle).toContain('SwaggerUIBundle');
    const init = await (await get('/docs/static/swagger-initializer.js')).text();
    expect(init).toContain("url: '/docs/json'");
  });

  it('serves nothing else from the package folder', async () => {
    for (const url of [
      '/docs/static/package.json',
      '/docs/static/..%2Fpackage.json',
      '/docs/static/swagger-ui.js.map',
    ]) {
      const res = await get(url);
      expect([url, res.status]).toEqual([url, 404]);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('every number in a request has one spelling: JSON numbers without sign or exponent', async () => {
    const doc = (await (await get('/docs/json')).json()) as Json;
    const fields = patternedFields(doc);
    const numbers = fields.filter(
      (f) => f.pattern === DECIMAL_PATTERN || f.pattern === INTEGER_PATTERN,
    );
    expect(numbers.map((f) => `${f.op} ${f.where}.${f.name}`).sort()).toEqual(
      [
        ...['quantity', 'price', 'triggerPrice'].map((n) => `POST /orders body.${n}`),
        'POST /accounts body.startingCash',
        'PUT /risk/limits/{name} body.value',
        ...[
          'cash',
          'tick',
          'lot',
          'minQty',
          'minNotional',
          'commission',
          'makerFee',
          'takerFee',
        ].map((n) => `POST /backtests body.${n}`),
        ...['from', 'to', 'after'].map((n) => `GET /audit querystring.${n}`),
      ].sort(),
    );
    // No other pattern takes a number in another spelling (a TOTP code is digits, not a number).
    const numeric = (p: string) => new RegExp(p, 'u').test('1') && !new RegExp(p, 'u').test('a');
    const loose = fields.filter(
      (f) =>
        numeric(f.pattern) &&
        !(f.op === 'POST /auth/mfa' && f.name === 'code') &&
        ['01', '00', '-0', '+1', '1e3', ' 1', '1.', '.5'].some((v) =>
          new RegExp(f.pattern, 'u').test(v),
        ),
    );
    expect(loose).toEqual([]);

    const tokenOf = (perm: Permission) =>
      t.tokens[ROLES.find((r) => ROLE_PERMISSIONS[r].includes(perm))!];
    const send = async (f: NumberField, v: string) => {
      const h = HARMLESS[f.op]!;
      const query = f.where === 'querystring' ? `?${f.name}=${encodeURIComponent(v)}` : '';
      const res = await fetch(`${t.server.url}${h.url}${query}`, {
        method: f.op.split(' ')[0],
        headers: {
          authorization: `Bearer ${tokenOf(h.perm)}`,
          ...(h.body ? { 'content-type': 'application/json' } : {}),
        },
        ...(h.body ? { body: JSON.stringify({ ...h.body, [f.name]: v }) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
    for (const f of numbers) {
      const [valid, rule] =
        f.pattern === DECIMAL_PATTERN ? [isDecimal, DECIMAL_RULE] : [isInteger, INTEGER_RULE];
      await fc.assert(
        fc.asyncProperty(nearNumbers, async (v) => {
          const { status, body } = await send(f, v);
          const mine = String(body.detail ?? '').startsWith(`${f.where}.${f.name}:`);
          if (valid(v)) expect([f.name, v, mine]).toEqual([f.name, v, false]);
          else
            expect([f.name, v, status, body.code, body.detail]).toEqual([
              f.name,
              v,
              400,
              'VALIDATION',
              `${f.where}.${f.name}: must be ${rule}`,
            ]);
        }),
        { numRuns: 15, seed: 3 },
      );
    }
  }, 60_000);

  it('answers exactly the paths and methods /docs/json declares: HEAD with each GET, 405 naming Allow else', async () => {
    const doc = (await (await get('/docs/json')).json()) as Json;
    const declared = new Map(
      Object.entries(doc.paths as Record<string, Json>).map(([p, item]) => [
        p,
        Object.keys(item)
          .map((m) => m.toUpperCase())
          .sort(),
      ]),
    );
    // The server's routes (Fastify's `:id` as the document's `{id}`), but the page and the socket.
    const hidden = [
      '/docs',
      '/docs/json',
      '/docs/static/:file',
      '/docs/static/swagger-initializer.js',
      '/ws',
    ];
    const served = new Map(
      [...routeMethodsOf(t.server.app)]
        .filter(([url]) => !hidden.includes(url))
        .map(([url, ms]) => [url.replace(/:([A-Za-z]+)/g, '{$1}'), [...ms].sort()]),
    );
    expect(Object.fromEntries(served)).toEqual(Object.fromEntries(declared));
    for (const [p, ms] of declared)
      if (ms.includes('GET')) expect([p, ms]).toContainEqual(expect.arrayContaining(['HEAD']));
    // What Node answers before any route, every operation can get, so every one declares it: a
    // slow client's 408 and a too-large head's 431 (with 400, 429 and 500).
    for (const [p, item] of Object.entries(doc.paths as Record<string, Json>))
      for (const [m, op] of Object.entries(item as Record<string, Json>))
        expect([p, m, Object.keys(op.responses)]).toEqual([
          p,
          m,
          expect.arrayContaining(['400', '408', '429', '431', '500']),
        ]);

    // Every method on every documented path, without a token: a declared one answers one of its
    // declared statuses; any other is 405, a problem whose Allow is the document's methods.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const { hostname, port } = new URL(t.server.url);
    const send = (method: string, path: string) =>
      new Promise<{ status: number; allow: string | undefined; type: string; body: string }>(
        (resolve, reject) => {
          const req = request({ hostname, port, path, method, agent }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                allow: res.headers.allow,
                type: String(res.headers['content-type'] ?? ''),
                body,
              }),
            );
          });
          req.on('error', reject);
          req.end();
        },
      );
    const wrong: string[] = [];
    for (const [p, ms] of declared) {
      const url = p.replace(/\{[^}]+\}/g, 'x');
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE']) {
        if (p === '/auth/logout' && method === 'POST') continue;
        const res = await send(method, url);
        const at = `${method} ${url} → ${res.status}`;
        if (ms.includes(method)) {
          const statuses = Object.keys(doc.paths[p][method.toLowerCase()].responses).map(Number);
          if (!statuses.includes(res.status)) wrong.push(`${at}: not declared (${statuses})`);
        } else if (
          res.status !== 405 ||
          !res.type.startsWith('application/problem+json') ||
          (res.allow ?? '').split(', ').sort().join() !== ms.join() ||
          // (A HEAD answer has no body.)
          (method !== 'HEAD' && (JSON.parse(res.body) as Json).code !== 'METHOD_NOT_ALLOWED')
        )
          wrong.push(`${at}: allow ${res.allow} (${ms}) ${res.body.slice(0, 120)}`);
      }
    }
    agent.destroy();
    expect(wrong).toEqual([]);
    // A path no route has is still not found.
    expect((await send('PUT', '/no-such-path')).status).toBe(404);
  }, 60_000);

  it('/docs/json is the OpenAPI document of the routes', async () => {
    const res = await get('/docs/json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/auth/login', '/orders', '/credentials']),
    );
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/docs'))).toBe(false);
  });
});
