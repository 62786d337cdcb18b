import path from 'node:path';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { API_ERRORS } from '../../../src/api/error-catalogue.js';
import { LocalKeyring } from '../../../src/security/encryption/local-keyring.js';
import { ROLES, can, type Role } from '../../../src/security/roles/permissions.js';
import { openSigningKey } from '../../../src/security/tokens/signing-key-file.js';
import { apiCall } from '../../support/api-call.js';
import { secondTrader, startTestServer, type TestServer } from '../../support/api-server.js';
import { rawRequest, sendRaw, type RawAnswer } from '../../support/raw-http.js';
import { rawWs } from '../../support/raw-ws.js';
import { invalidFor, takes, validFor } from '../../support/schema-arbitraries.js';
import { until } from '../../support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document and JSON answers, walked by key
type Json = any;

const ORDER = { instrumentId: 'BTC/X', side: 'BUY', type: 'LIMIT', quantity: '1', price: '0.0016' };
const CODES = new Set(Object.keys(API_ERRORS));
/** Requests sent at once, as a fuzzer's workers do; the server's health is checked after each wave. */
const WAVE = 50;

/** One operation of the document. */
interface Op {
  readonly path: string;
  readonly method: string;
  readonly op: Json;
  readonly params: readonly Json[];
  readonly body: Json | undefined;
}

/** A request, each part as it goes on the wire. */
interface Req {
  readonly o: Op;
  /** What was broken (undefined: the request is one the document allows). */
  readonly broken?: string;
  readonly target: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Buffer | string;
}

/** %-encodes any string, a lone surrogate as the UTF-8 bytes one would be (never valid). */
function pct(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += ch.length === 1 && c >= 0xd800 && c <= 0xdfff ? '%ED%A0%80' : encodeURIComponent(ch);
  }
  return out;
}
/** A value as a query or path part: an array repeats its key (`?limit=1&limit=2`). */
const asText = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : v === null
      ? ''
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);
/** A header value as bytes a client can send: UTF-8 read as latin1, no CR or LF. */
const asHeader = (v: unknown) =>
  Buffer.from(asText(v), 'utf8')
    .toString('latin1')
    .replace(/[\r\n\0]/g, ' ');

/** Request bodies no schema takes, whatever the operation. */
const RAW_BODIES: readonly (readonly [string, string | Buffer | undefined, string | undefined])[] =
  [
    ['no body', undefined, undefined],
    ['JSON null', 'null', 'application/json'],
    [
      'nested 10,000 objects',
      `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
      'application/json',
    ],
    ['nested 30,000 arrays', `${'['.repeat(30_000)}${']'.repeat(30_000)}`, 'application/json'],
    [
      '__proto__ and constructor keys',
      '{"__proto__":{"a":1},"constructor":{"prototype":{"a":1}}}',
      'application/json',
    ],
    ['a repeated key', '{"a":1,"a":2}', 'application/json'],
    ['1e309', '1e309', 'application/json'],
    ['empty', '', 'application/json'],
    ['broken JSON', '{"a":', 'application/json'],
    ['1 MB', `{"a":"${'x'.repeat(1 << 20)}"}`, 'application/json'],
    ['JSON as text/plain', '{}', 'text/plain'],
    [
      'multipart',
      '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
      'multipart/form-data; boundary=x',
    ],
    ['a form', 'a=1', 'application/x-www-form-urlencoded'],
    [
      'UTF-16 with its charset',
      Buffer.from('{"a":1}', 'utf16le'),
      'application/json; charset=utf-16',
    ],
    [
      'bytes not UTF-8',
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      'application/json',
    ],
    ['no content type', '{}', undefined],
  ];

describe('fuzz: requests generated from /docs/json, valid and with one part broken, in waves', () => {
  let t: TestServer;
  let port: number;
  let ops: Op[];
  let known: string[];
  /** 2xx answers of POST /orders: the orders the store must hold, each with its audit rows. */
  const placed = new Set<string>();

  beforeAll(async () => {
    t = await startTestServer();
    port = Number(new URL(t.server.url).port);
    const doc = (await (await fetch(`${t.server.url}/docs/json`)).json()) as Json;
    ops = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(item as Record<string, Json>)) {
        // Logging out ends the session the other requests use; a HEAD is fuzzed as its GET.
        if (path === '/auth/logout' || method === 'head') continue;
        ops.push({
          path,
          method: method.toUpperCase(),
          op,
          params: (op.parameters ?? []) as Json[],
          body: op.requestBody?.content?.['application/json']?.schema,
        });
      }
    }
    const first = await apiCall(t.server.url, 'POST', '/orders', {
      token: t.token,
      body: ORDER,
      headers: { 'idempotency-key': 'known-1' },
    });
    expect(first.status).toBe(201);
    placed.add(first.json.clientOrderId);
    // Ids that exist, so that valid requests reach past the look-up (no user's: the fuzz would
    // disable the trader whose token the requests carry).
    known = ['desk', first.json.clientOrderId, 'sma-cross', 'maxOrderQty'];
  }, 120_000);
  afterAll(async () => {
    await t?.server.close();
  });

  /** The token of a role that holds the operation's permission (so the request reaches the handler). */
  const tokenFor = (o: Op): string => {
    const permission = o.op['x-permission'] as string | undefined;
    const role = permission && (ROLES as readonly Role[]).find((r) => can(r, permission));
    return role ? t.tokens[role] : t.token;
  };

  /** Valid values of each part of `o`, as named in the document (`path:id`, `query:limit`, `body`). */
  function validParts(o: Op): fc.Arbitrary<Record<string, unknown>> {
    const parts: Record<string, fc.Arbitrary<unknown>> = {};
    for (const p of o.params) {
      const v = validFor(p.schema);
      parts[`${p.in}:${p.name}`] =
        p.in === 'path'
          ? fc.oneof(v, fc.constantFrom(...known))
          : p.required
            ? v
            : fc.option(v, { nil: undefined });
    }
    if (o.body) parts.body = validFor(o.body);
    return fc.record(parts);
  }

  /** The request of `o` with these parts, `extra` headers and `raw` body instead of the JSON one. */
  function build(
    o: Op,
    parts: Record<string, unknown>,
    extra: {
      broken?: string;
      auth?: string | null;
      headers?: [string, string][];
      raw?: readonly [string | Buffer | undefined, string | undefined];
      target?: string;
    } = {},
  ): Req {
    let path = o.path;
    const query: string[] = [];
    const headers: [string, string][] = [];
    for (const p of o.params) {
      const v = parts[`${p.in}:${p.name}`];
      if (v === undefined) continue;
      if (p.in === 'path') path = path.replace(`{${p.name}}`, pct(asText(v)) || 'x');
      else if (p.in === 'query')
        for (const one of Array.isArray(v) && v.length > 0 ? v : [Array.isArray(v) ? '' : v])
          query.push(`${p.name}=${pct(asText(one))}`);
      else if (p.in === 'header') headers.push([p.name, asHeader(v)]);
    }
    if (extra.auth !== null) headers.push(['authorization', extra.auth ?? `Bearer ${tokenFor(o)}`]);
    headers.push(...(extra.headers ?? []));
    let body: string | Buffer | undefined;
    if (extra.raw) {
      body = extra.raw[0];
      if (extra.raw[1] !== undefined) headers.push(['content-type', extra.raw[1]]);
    } else if (o.body) {
      body = JSON.stringify(parts.body);
      headers.push(['content-type', 'application/json']);
    }
    return {
      o,
      ...(extra.broken === undefined ? {} : { broken: extra.broken }),
      target: extra.target ?? (query.length ? `${path}?${query.join('&')}` : path),
      headers,
      ...(body === undefined ? {} : { body }),
    };
  }

  /** Why an answer to `r` is not one the document allows, or null. */
  function wrong(r: Req, a: RawAnswer): string | null {
    const declared = Object.keys(r.o.op.responses as object).map(Number);
    if (a.status === 0) return `no answer within 10 s`;
    if (!declared.includes(a.status)) return `status ${a.status} not declared (${declared})`;
    if (a.status >= 500 && (a.status === 500 || a.status === 501)) return `status ${a.status}`;
    if (r.broken !== undefined && a.status < 400) return `${a.status}: ${r.broken} was taken`;
    if (a.status < 400) return null;
    if (!(a.headers['content-type'] ?? '').startsWith('application/problem+json'))
      return `content type ${a.headers['content-type']}`;
    let p: Json;
    try {
      p = JSON.parse(a.body);
    } catch {
      return `body not JSON: ${a.body.slice(0, 80)}`;
    }
    if (!CODES.has(p.code)) return `code ${p.code} not in docs/errors.md`;
    if (p.status !== a.status) return `problem status ${p.status}`;
    return null;
  }

  /**
   * Each run makes one request of every arbitrary in `arbs` and sends them `WAVE` at a time (a
   * fuzzer's workers); answers the mismatches. After each wave the server must still answer
   * `/health` and have logged no internal error.
   */
  async function sendWaves(arbs: fc.Arbitrary<Req>[], numRuns: number, seed: number) {
    const failures: string[] = [];
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.tuple(...arbs), async (requests) => {
        for (let from = 0; from < requests.length; from += WAVE) {
          const wave = requests.slice(from, from + WAVE);
          const answers = await Promise.all(
            wave.map((r) => sendRaw(port, rawRequest(r.o.method, r.target, r.headers, r.body))),
          );
          sent += wave.length;
          wave.forEach((r, i) => {
            const a = answers[i]!;
            const why = wrong(r, a);
            if (why)
              failures.push(
                `${r.o.method} ${r.target.slice(0, 100)} ${r.broken ?? ''} ${String(r.body ?? '').slice(0, 100)}: ${why} ${a.body.slice(0, 160)}`,
              );
            if (r.o.method === 'POST' && r.o.path === '/orders' && a.status < 300)
              placed.add((JSON.parse(a.body) as Json).clientOrderId);
          });
          // The server is still up, and nothing was a bug (an internal error is logged).
          expect((await apiCall(t.server.url, 'GET', '/health')).status).toBe(200);
          expect(t.logs.filter((l) => /"level":"error"/.test(l))).toEqual([]);
        }
      }),
      { numRuns, seed },
    );
    return { failures, sent };
  }

  it('takes the Bearer scheme in any case and after any number of spaces (RFC 9110); refuses it without a token', async () => {
    const read = async (authorization: string) =>
      (await fetch(`${t.server.url}/accounts`, { headers: { authorization } })).status;
    for (const scheme of ['Bearer ', 'bearer ', 'BEARER ', 'bEaReR   '])
      expect([scheme, await read(`${scheme}${t.token}`)]).toEqual([scheme, 200]);
    for (const bad of ['Bearer', 'Bearer    ', `Bearer${t.token}`, `Token ${t.token}`])
      expect([bad, await read(bad)]).toEqual([bad, 401]);
  });

  it('makes one order per Idempotency-Key however many requests carry it at once; a body other than the first is 422 IDEMPOTENCY_KEY_REUSED', async () => {
    // A trader of its own, before the fuzz below (which may disable tom or halt trading).
    const { token } = await secondTrader(t);
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b', 'c'),
            side: fc.constantFrom('BUY', 'SELL'),
            quantity: fc.constantFrom('1', '2'),
          }),
          { minLength: 40, maxLength: 40 },
        ),
        async (wave) => {
          round++;
          const answers = await Promise.all(
            wave.map((w) =>
              apiCall(t.server.url, 'POST', '/orders', {
                token,
                body: { ...ORDER, side: w.side, quantity: w.quantity },
                headers: { 'idempotency-key': `same-${round}-${w.key}` },
              }),
            ),
          );
          for (const key of new Set(wave.map((w) => w.key))) {
            const mine = wave.flatMap((w, i) => (w.key === key ? [{ w, a: answers[i]! }] : []));
            // The key names one order, made from the body that came first: 201 for it; the same
            // body again 200 with it; another body 422 IDEMPOTENCY_KEY_REUSED naming it. Or the
            // gate denied the first (recorded, never sent): 422 with its reason for that body.
            const made = mine.filter(({ a }) => a.status === 201);
            expect([key, made.length <= 1]).toEqual([key, true]);
            const first = made[0]?.a.json as Json | undefined;
            const idOf = ({ a }: (typeof mine)[number]): string | undefined =>
              a.status === 422
                ? (a.json.code === 'IDEMPOTENCY_KEY_REUSED'
                    ? /, (\S+)\); this request/.exec(String(a.json.detail))
                    : /^order (\S+) denied/.exec(String(a.json.detail)))?.[1]
                : (a.json.clientOrderId as string);
            for (const m of mine) {
              const same =
                first === undefined
                  ? m.a.json.code !== 'IDEMPOTENCY_KEY_REUSED'
                  : m.w.side === first.side && m.w.quantity === first.quantity;
              const want = first === undefined ? 422 : m.a === made[0]!.a ? 201 : same ? 200 : 422;
              expect([key, m.w, m.a.status]).toEqual([key, m.w, want]);
              if (!same) expect(m.a.json.code).toBe('IDEMPOTENCY_KEY_REUSED');
            }
            const ids = new Set(mine.map(idOf));
            expect(ids.size).toBe(1);
            expect([...ids][0]).toEqual(expect.any(String));
            placed.add([...ids][0]!);
          }
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 5), seed: Number(process.env.FUZZ_SEED ?? 24) },
    );
  });

  it('answers requests the document allows, on every operation, with a documented status and problems of listed codes', async () => {
    const arbs = ops.map((o) => validParts(o).map((parts) => build(o, parts)));
    // Not refused by the document, but odd: a body where none goes (GET, DELETE), a query
    // value with a bad %-escape (taken as the text it is, or refused): a declared status.
    for (const o of ops) {
      if (!o.body && o.method !== 'POST')
        arbs.push(
          fc
            .tuple(
              validParts(o),
              fc.constantFrom<[string, string]>(
                ['{"a":1}', 'application/json'],
                ['{"a":', 'application/json'],
                ['x', 'text/plain'],
              ),
            )
            .map(([parts, raw]) => build(o, parts, { raw })),
        );
      for (const q of o.params.filter((p) => p.in === 'query'))
        arbs.push(
          fc
            .tuple(validParts(o), fc.constantFrom('%E0%A4%A', '%', '%zz', '%00'))
            .map(([parts, bad]) => {
              const r = build(o, { ...parts, [`query:${q.name}`]: undefined });
              const sep = r.target.includes('?') ? '&' : '?';
              return { ...r, target: `${r.target}${sep}${q.name}=${bad}` };
            }),
        );
    }
    // 12 runs: every operation 12 times (600 requests, ~3 s); FUZZ_RUNS and FUZZ_SEED for more.
    const { failures, sent } = await sendWaves(
      arbs,
      Number(process.env.FUZZ_RUNS ?? 12),
      Number(process.env.FUZZ_SEED ?? 21),
    );
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(500);
  }, 120_000);

  it('refuses each request with one part broken (path, query, header, body, content type, head size, token) with a documented 4xx problem', async () => {
    const brokenOf = (o: Op): fc.Arbitrary<Req>[] => {
      const out: fc.Arbitrary<Req>[] = [];
      const base = validParts(o);
      for (const p of o.params) {
        const key = `${p.in}:${p.name}`;
        // Judged as sent: a query, path or header value is text (an array: the key repeated).
        const refused = (v: unknown) =>
          Array.isArray(v)
            ? v.length > 1 || !takes(p.schema, asText(v[0] ?? ''))
            : !takes(p.schema, asText(v)) && !(p.in === 'path' && asText(v) === '');
        out.push(
          fc
            .tuple(base, invalidFor(p.schema).filter(refused))
            .map(([parts, v]) =>
              build(
                o,
                { ...parts, [key]: v },
                { broken: `${key}=${JSON.stringify(v)?.slice(0, 40)}` },
              ),
            ),
        );
        if (p.required && p.in !== 'path')
          out.push(
            base.map((parts) => build(o, { ...parts, [key]: undefined }, { broken: `no ${key}` })),
          );
        if (p.in === 'query')
          // An array where one value is expected: the key twice.
          out.push(
            base.map((parts) =>
              build(o, { ...parts, [key]: ['1', '2'] }, { broken: `${key} twice` }),
            ),
          );
        if (p.in === 'path')
          out.push(
            fc
              .tuple(base, fc.constantFrom('%E0%A4%A', '%', '%zz', 'x'.repeat(20_000)))
              .map(([parts, seg]) =>
                build(o, parts, {
                  broken: `path segment ${seg.slice(0, 10)}`,
                  target: o.path.replace(/\{[^}]+\}/g, seg),
                }),
              ),
          );
      }
      if (o.body) {
        const props = Object.entries((o.body.properties ?? {}) as Record<string, Json>);
        const required = (o.body.required ?? []) as string[];
        if (props.length)
          out.push(
            fc.tuple(base, fc.constantFrom(...props)).chain(([parts, [name, s]]) =>
              invalidFor(s).map((v) =>
                build(
                  o,
                  { ...parts, body: { ...(parts.body as object), [name]: v } },
                  {
                    broken: `body.${name}=${JSON.stringify(v)?.slice(0, 40)}`,
                  },
                ),
              ),
            ),
          );
        if (required.length)
          out.push(
            fc.tuple(base, fc.constantFrom(...required)).map(([parts, name]) => {
              const { [name]: _gone, ...rest } = parts.body as Record<string, unknown>;
              return build(o, { ...parts, body: rest }, { broken: `body without ${name}` });
            }),
          );
        out.push(
          base.map((parts) =>
            build(
              o,
              { ...parts, body: { ...(parts.body as object), zz: 1 } },
              { broken: 'body.zz (unknown)' },
            ),
          ),
        );
        out.push(
          fc
            .tuple(base, invalidFor(o.body))
            .map(([parts, v]) =>
              build(
                o,
                { ...parts, body: v },
                { broken: `body=${JSON.stringify(v)?.slice(0, 40)}` },
              ),
            ),
        );
        // A body the schema takes, but labelled another charset, or with a byte that is not
        // UTF-8 in its first string value: read as UTF-8 anyway, it was taken (U+FFFD unseen).
        // The required fields alone: a body most operations take (a halt of everything).
        const lean = (parts: Record<string, unknown>) =>
          JSON.stringify(
            Object.fromEntries(
              Object.entries(parts.body as object).filter(([k]) => required.includes(k)),
            ),
          );
        for (const charset of ['latin1', 'utf-16', '"ISO-8859-1"'])
          out.push(
            base.map((parts) =>
              build(o, parts, {
                broken: `charset=${charset}`,
                raw: [lean(parts), `application/json; charset=${charset}`],
              }),
            ),
          );
        out.push(
          base.map((parts) => {
            // The first character of the first string value (or key) becomes the byte 0xFF:
            // the same length, so only the byte can be why it is refused.
            const b = Buffer.from(lean(parts));
            const value = b.indexOf('":"') + 3;
            const text = value > 2 && b[value] !== 0x22 ? b : Buffer.from('{"x":1}');
            const at = text === b ? value : 2;
            const bad = Buffer.concat([
              text.subarray(0, at),
              Buffer.from([0xff]),
              text.subarray(at + 1),
            ]);
            return build(o, parts, { broken: 'a byte not UTF-8', raw: [bad, 'application/json'] });
          }),
        );
        // Each raw body on each operation, every run. No body at all is refused where the
        // document requires one.
        for (const [name, text, type] of RAW_BODIES)
          if (name !== 'no body' || o.op.requestBody.required)
            out.push(
              base.map((parts) => build(o, parts, { broken: `body ${name}`, raw: [text, type] })),
            );
      }
      // The request head over Node's 16 KiB: a long query or token (431), whatever the operation.
      out.push(
        fc.tuple(base, fc.constantFrom('query', 'token')).map(([parts, where]) =>
          where === 'query'
            ? build(o, parts, {
                broken: '1 MB query',
                target: `${o.path.replace(/\{[^}]+\}/g, 'x')}?zz=${'x'.repeat(1 << 20)}`,
              })
            : build(o, parts, { broken: '1 MB token', auth: `Bearer ${'A'.repeat(1 << 20)}` }),
        ),
      );
      if (o.op['x-permission'])
        for (const [name, auth] of [
          ['none', null],
          ['Bearer alone', 'Bearer'],
          ['Basic', `Basic ${Buffer.from('tom:x').toString('base64')}`],
          ['alg none', `Bearer ${algNone(t.token)}`],
          ['signature cut', `Bearer ${t.token.slice(0, -4)}`],
          ['5 KB token', `Bearer ${'A'.repeat(5_000)}`],
          ['latin1 bytes', 'Bearer \xe9\xff'],
        ] as const)
          out.push(base.map((parts) => build(o, parts, { broken: `authorization ${name}`, auth })));
      return out;
    };
    const arbs = ops.flatMap(brokenOf);
    // Every kind of break on every operation in each run (~1,000 requests, ~4 s).
    const { failures, sent } = await sendWaves(
      arbs,
      Number(process.env.FUZZ_RUNS ?? 2),
      Number(process.env.FUZZ_SEED ?? 22),
    );
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(500);
  }, 120_000);

  it('refuses tokens signed with the server key but for another audience, issuer or type, stale, early or of no role, on every guarded operation and /ws', async () => {
    // The server's own signing key, read as the server reads it (from its home): the tokens
    // below differ from a real one only in the claim named, so only the claim checks refuse them.
    const keysDir = path.join(t.home, 'keys');
    const ring = await LocalKeyring.open(keysDir);
    const key = await openSigningKey(keysDir, ring.cipher(), ring.current);
    const real = jwt.decode(t.token) as Json;
    const nowS = Math.floor(Date.now() / 1000);
    const sign = (claims: Json, header: Json = {}) =>
      jwt.sign(claims, key.privateKey, {
        algorithm: 'ES256',
        header: { alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...header },
      });
    const forged: Record<string, string> = {
      'another audience': sign({ ...real, aud: 'kairos-ws' }),
      'two audiences': sign({ ...real, aud: ['kairos-api', 'other'] }),
      'no audience': sign({ ...real, aud: undefined }),
      'another issuer': sign({ ...real, iss: 'someone' }),
      'typ refresh': sign({ ...real, typ: 'refresh' }),
      'header typ JWT': sign(real, { typ: 'JWT' }),
      expired: sign({ ...real, iat: nowS - 700, exp: nowS - 100 }),
      'not yet valid': sign({ ...real, nbf: nowS + 3_600 }),
      'issued in the future': sign({ ...real, iat: nowS + 3_600, exp: nowS + 3_900 }),
      'an hour long': sign({ ...real, iat: nowS - 10, exp: nowS + 3_600 }),
      'role root': sign({ ...real, role: 'root' }),
      'no sub': sign({ ...real, sub: undefined }),
      'no sid': sign({ ...real, sid: undefined }),
      'unknown kid': sign(real, { kid: 'k-unknown' }),
    };
    // The real token signed again the same way is taken: the refusals are the claims'.
    expect((await apiCall(t.server.url, 'GET', '/orders', { token: sign(real) })).status).toBe(200);
    const guarded = ops.filter((o) => o.op['x-permission']);
    const kinds = Object.keys(forged);
    const wrongAnswers: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(...guarded.map(() => fc.constantFrom(...kinds))),
        async (picked) => {
          const answers = await Promise.all(
            guarded.map((o, i) => {
              const r = build(
                o,
                Object.fromEntries(
                  o.params.map((p) => [`${p.in}:${p.name}`, p.in === 'path' ? 'desk' : undefined]),
                ),
                {
                  auth: `Bearer ${forged[picked[i]!]}`,
                  raw: o.body ? ['{}', 'application/json'] : [undefined, undefined],
                },
              );
              return sendRaw(port, rawRequest(o.method, r.target, r.headers, r.body));
            }),
          );
          answers.forEach((a, i) => {
            const code = a.status === 401 ? (JSON.parse(a.body) as Json).code : undefined;
            if (code !== 'AUTH_INVALID_TOKEN' && code !== 'AUTH_TOKEN_EXPIRED')
              wrongAnswers.push(
                `${guarded[i]!.method} ${guarded[i]!.path} ${picked[i]}: ${a.status} ${a.body.slice(0, 120)}`,
              );
          });
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 6), seed: Number(process.env.FUZZ_SEED ?? 23) },
    );
    expect(wrongAnswers).toEqual([]);
    // On the socket: refused, then closed 4401.
    for (const kind of kinds) {
      const ws = await rawWs(port);
      ws.text(JSON.stringify({ type: 'auth', token: forged[kind] }));
      await until(() => ws.closeCode() !== null, 10_000, `${kind}: its close frame`);
      ws.destroy();
      expect([kind, ws.closeCode(), JSON.parse(ws.texts[0] ?? '{}').code]).toEqual([
        kind,
        4401,
        expect.stringMatching(/^AUTH_(INVALID_TOKEN|TOKEN_EXPIRED)$/),
      ]);
    }
    expect((await apiCall(t.server.url, 'GET', '/health')).status).toBe(200);
  });

  it('leaves nothing half-written: every order answered (2xx, or 422 denied) is stored with its audit row, the journal is not failed', async () => {
    // The trader's session survived the fuzz (so its requests were judged, not refused 401).
    const last = await apiCall(t.server.url, 'POST', '/orders', {
      token: t.token,
      body: ORDER,
      headers: { 'idempotency-key': 'after-fuzz' },
    });
    expect([201, 422]).toContain(last.status);
    placed.add(
      last.json.clientOrderId ?? /^order (\S+) denied/.exec(String(last.json.detail))?.[1],
    );
    // Every order.created row of the audit log, page by page.
    const created = new Set<string>();
    for (let after = ''; ;) {
      const page = await apiCall(
        t.server.url,
        'GET',
        `/audit?from=0&to=${Date.now() + 60_000}&limit=1000${after}`,
        { token: t.tokens.auditor },
      );
      expect(page.status).toBe(200);
      for (const r of page.json.rows as Json[])
        if (r.action === 'order.created') created.add(r.subject as string);
      if (page.json.next === null) break;
      after = `&after=${page.json.next}`;
    }
    // Each order answered is stored (on whichever account the fuzz made it) with its audit
    // row, written in the same transaction; no row names an order that is not stored.
    for (const id of placed) expect([id, created.has(id)]).toEqual([id, true]);
    const stored = await Promise.all(
      [...created].map(async (id) => {
        const r = await apiCall(t.server.url, 'GET', `/orders/${encodeURIComponent(id)}`, {
          token: t.tokens.risk,
        });
        return [id, r.status] as const;
      }),
    );
    expect(stored.filter(([, status]) => status !== 200)).toEqual([]);
    expect(t.server.core.exec.allOrders().every((o) => created.has(o.clientOrderId))).toBe(true);
    expect(t.server.core.journal.failure).toBeNull();
  });
});

/** The token with its header's algorithm set to `none` and no signature. */
function algNone(token: string): string {
  const [h, p] = token.split('.') as [string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Json;
  return `${Buffer.from(JSON.stringify({ ...header, alg: 'none' })).toString('base64url')}.${p}.`;
}
