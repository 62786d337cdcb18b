import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { apiError } from '../problem.js';

/** The files of `swagger-ui-dist` the page loads, with their content types (nothing else is served). */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

const STATIC = '/docs/static';

// Our own initializer (the package's points at the petstore): a file, so the page needs no inline script.
const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/docs/json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;

const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Kairos API</title>
    <link rel="stylesheet" type="text/css" href="${STATIC}/swagger-ui.css">
    <link rel="stylesheet" type="text/css" href="${STATIC}/index.css">
    <link rel="icon" type="image/png" href="${STATIC}/favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="${STATIC}/favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${STATIC}/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="${STATIC}/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="${STATIC}/swagger-initializer.js" charset="UTF-8"></script>
  </body>
</html>
`;

// Scripts and styles only from here; the page calls nothing but this server.
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'";

/**
 * The OpenAPI document at `/docs/json` and a browsable page at `/docs`: Swagger UI from the
 * `swagger-ui-dist` package, served from `node_modules` by this small route (no CDN, and not
 * `@fastify/swagger-ui`, whose static-file plugin needs an ESM-only package Jest cannot load).
 * Only the listed asset names are served, read once and kept in memory.
 *
 * @example
 * await app.register(docsRoutes); // after registering @fastify/swagger
 */
export const docsRoutes: FastifyPluginAsync = async (app) => {
  const dist = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Buffer>();
  const hide = { schema: { hide: true } };

  app.get('/docs/json', hide, async () => app.swagger());
  app.get('/docs', hide, async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .send(PAGE),
  );
  app.get(`${STATIC}/swagger-initializer.js`, hide, async (_req, reply) =>
    reply.type('application/javascript; charset=utf-8').send(INITIALIZER),
  );
  app.get<{ Params: { file: string } }>(`${STATIC}/:file`, hide, async (req, reply) => {
    const { file } = req.params;
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (type === undefined) throw apiError('NOT_FOUND', `${STATIC}/${file}: no such file`);
    let bytes = cache.get(file);
    if (!bytes) {
      bytes = await readFile(path.join(dist, file));
      cache.set(file, bytes);
    }
    return reply
      .type(type)
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(bytes);
  });
};
