import http from 'node:http';

/** An API answer: status, content type, the body as text and parsed (null when not JSON). */
export interface Answer {
  readonly status: number;
  readonly type: string;
  readonly text: string;
  /** The answer's headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
  readonly json: any;
}

/**
 * A connection pool of our own, kept alive between calls (as fetch's is). `node:http`, not
 * fetch: undici's fetch cost ~3x the CPU a call (its web streams and Headers), and the API
 * tests make tens of thousands of calls, most of them polls (docs/testing.md).
 */
const agent = new http.Agent({ keepAlive: true });

/** Calls the API over real HTTP with an optional bearer token and JSON body. */
export function apiCall(
  base: string,
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  // What fetch sends: `accept: */*`, a length for a body (0 for a POST, PUT or PATCH without
  // one: never a chunked body); the caller's headers, then the body's type and the token.
  const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const headers: Record<string, string> = {
    accept: '*/*',
    'user-agent': 'node',
    ...opts.headers,
  };
  if (body || /^(POST|PUT|PATCH)$/i.test(method))
    headers['content-length'] = String(body?.length ?? 0);
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (body) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${url}`, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const type = res.headers['content-type'] ?? '';
        resolve({
          status: res.statusCode ?? 0,
          type,
          text,
          headers: Object.fromEntries(
            Object.entries(res.headers).map(([k, v]) => [
              k,
              Array.isArray(v) ? v.join(', ') : (v ?? ''),
            ]),
          ),
          json: text && type.includes('json') ? JSON.parse(text) : null,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a paper account of `token`'s user on the server at `url` (expects 201): its id. */
export async function openAccount(
  url: string,
  token: string,
  name: string,
  startingCash = '1000',
): Promise<string> {
  const r = await apiCall(url, 'POST', '/accounts', { token, body: { name, startingCash } });
  expect(r.status).toBe(201);
  return r.json.id as string;
}
