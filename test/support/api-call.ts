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

/** Calls the API over real HTTP with an optional bearer token and JSON body. */
export async function apiCall(
  base: string,
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${url}`, {
    method,
    headers,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    type,
    text,
    headers: Object.fromEntries(res.headers),
    json: text && type.includes('json') ? JSON.parse(text) : null,
  };
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
