import type { FastifyInstance } from 'fastify';
import { firstDuplicateKey } from './duplicate-keys.js';
import { apiError } from './problem.js';

/**
 * JSON bodies, for every route: Fastify's own parser (its errors, its `__proto__` and
 * `constructor` refusals), then a body whose object repeats a key is refused, 400
 * `BAD_REQUEST` naming the key (`body.side: must not repeat a key…`), before any hook,
 * schema or handler reads it: `JSON.parse` keeps the last of two, a proxy or a log may read the
 * first.
 */
export function parseJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, text, done) => {
    parse(req, text as string, (err: Error | null, value?: unknown) => {
      if (err) return done(err, undefined);
      const repeated = firstDuplicateKey(text as string, 'body');
      if (repeated)
        return done(apiError('BAD_REQUEST', `${repeated.field}: ${repeated.rule}`), undefined);
      done(null, value);
    });
  });
}
