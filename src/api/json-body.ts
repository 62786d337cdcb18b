import type { FastifyInstance } from 'fastify';
import { firstDuplicateKey } from './duplicate-keys.js';
import { apiError } from './problem.js';

/** UTF-8 that refuses bytes that are not (a BOM is left for the parser, as before). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The `charset` parameter of a Content-Type, lower case, unquoted; undefined when none. */
export function charsetOf(contentType: string | undefined): string | undefined {
  for (const param of (contentType ?? '').split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    return param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return undefined;
}

/**
 * JSON bodies, for every route: UTF-8 only (RFC 8259), so a body is read as the client meant
 * it or refused: a `charset` other than UTF-8 is 415 `UNSUPPORTED_MEDIA_TYPE`, bytes that are
 * not UTF-8 400 `MALFORMED_BODY` (both were read as UTF-8 anyway, a bad byte becoming U+FFFD
 * unseen). Then Fastify's own parser (its errors, its `__proto__` and `constructor`
 * refusals), then a body whose object repeats a key is refused, 400 `BAD_REQUEST` naming the
 * key (`body.side: must not repeat a key…`), before any hook, schema or handler reads it:
 * `JSON.parse` keeps the last of two, a proxy or a log may read the first.
 */
export function parseJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const charset = charsetOf(req.headers['content-type']);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
      return done(
        apiError(
          'UNSUPPORTED_MEDIA_TYPE',
          `content-type: charset ${charset.slice(0, 40)} is not read; JSON bodies are UTF-8 (charset=utf-8, or none)`,
        ),
        undefined,
      );
    let text: string;
    try {
      text = UTF8.decode(body as Buffer);
    } catch {
      return done(
        apiError('MALFORMED_BODY', 'body: must be UTF-8 (a byte sequence is not)'),
        undefined,
      );
    }
    parse(req, text, (err: Error | null, value?: unknown) => {
      if (err) return done(err, undefined);
      const repeated = firstDuplicateKey(text, 'body');
      if (repeated)
        return done(apiError('BAD_REQUEST', `${repeated.field}: ${repeated.rule}`), undefined);
      done(null, value);
    });
  });
}
