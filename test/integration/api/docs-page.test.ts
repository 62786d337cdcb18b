import { startTestServer, type TestServer } from '../../support/api-server.js';

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
