import Fastify, { type FastifyInstance } from 'fastify';
import { lazySchemas } from '../../../src/api/lazy-schemas.js';

/**
 * A Fastify app with the lazy compilers and three routes; listening on a free port. `min`: the
 * body's least `n` (apps with another are another schema).
 */
async function app(min = 1): Promise<{ app: FastifyInstance; url: string; compileAll(): void }> {
  const f = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  const lazy = lazySchemas();
  f.setSchemaController({ compilersFactory: lazy.compilersFactory });
  f.post(
    '/things',
    {
      schema: {
        // Written with capitals: Fastify still lower-cases header schemas (no custom compiler).
        headers: {
          type: 'object',
          properties: { 'X-Key': { type: 'string', pattern: '^k[0-9]+$' } },
          required: ['X-Key'],
        },
        body: {
          type: 'object',
          properties: {
            n: { type: 'integer', minimum: min },
            tag: { type: 'string', default: 'none' },
          },
          required: ['n'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { n: { type: 'integer' }, tag: { type: 'string' } },
            required: ['n', 'tag'],
          },
        },
      },
    },
    // The answer carries a field its schema lacks: the serializer drops it.
    async (req) => ({ ...(req.body as object), secret: 'never sent' }),
  );
  f.get(
    '/broken',
    { schema: { querystring: { type: 'object', properties: { q: { type: 'nope' } } } } },
    async () => 'ok',
  );
  await f.listen({ host: '127.0.0.1', port: 0 });
  const { port } = f.server.address() as { port: number };
  return { app: f, url: `http://127.0.0.1:${port}`, compileAll: lazy.compileAll };
}

const post = (url: string, body: unknown, key = 'k1') =>
  fetch(`${url}/things`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-key': key },
    body: JSON.stringify(body),
  });

describe('lazy schema compilers', () => {
  let t: Awaited<ReturnType<typeof app>>;
  // The route with a schema that cannot compile does not stop the app from starting.
  beforeAll(async () => {
    t = await app();
  });
  afterAll(async () => {
    await t?.app.close();
  });

  it('validates requests and serializes answers as Fastify compiles them, at first use', async () => {
    const ok = await post(t.url, { n: 2 });
    expect(ok.status).toBe(200);
    // Ajv's default filled in (useDefaults), the extra field left out by the answer schema.
    expect(await ok.json()).toEqual({ n: 2, tag: 'none' });
    const again = await post(t.url, { n: 3, tag: 'x' });
    expect(await again.json()).toEqual({ n: 3, tag: 'x' });
  });

  it("refuses a bad body, query or header with Ajv's error, each time", async () => {
    for (const [body, key, message] of [
      [{ n: 0 }, 'k1', 'body/n must be >= 1'],
      [{ n: 1, other: true }, 'k1', 'body must NOT have additional properties'],
      [{ n: 1 }, 'nope', 'headers/x-key must match pattern "^k[0-9]+$"'],
      [{ n: 0 }, 'k1', 'body/n must be >= 1'],
    ] as const) {
      const r = await post(t.url, body, key);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { message: string }).message).toBe(message);
    }
  });

  it('fails a schema that does not compile at its first use, and compileAll names it', async () => {
    const r = await fetch(`${t.url}/broken?q=1`);
    expect(r.status).toBe(500);
    expect(() => t.compileAll()).toThrow(/nope/);
  });

  it('shares compiled schemas between apps only where the schema is the same', async () => {
    // Compiled once a process by the schema's JSON: an app whose body schema differs by one
    // keyword validates by its own, an app with the same schema as another by the same rules.
    const same = await app();
    const other = await app(5);
    try {
      for (const [url, n, status] of [
        [other.url, 3, 400],
        [t.url, 3, 200],
        [same.url, 3, 200],
        [other.url, 5, 200],
        [same.url, 0, 400],
        [t.url, 0, 400],
      ] as const) {
        const r = await post(url, { n });
        expect([url, n, r.status]).toEqual([url, n, status]);
        expect(await r.json()).toEqual(
          status === 200
            ? { n, tag: 'none' }
            : expect.objectContaining({
                message: `body/n must be >= ${url === other.url ? 5 : 1}`,
              }),
        );
      }
    } finally {
      await same.app.close();
      await other.app.close();
    }
  });
});
