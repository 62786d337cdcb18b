import { Type } from '@fastify/type-provider-typebox';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { asStoreUnavailable } from '../store/connection-failure.js';
import { KairosError } from '../trading/core/errors.js';
import { noopLogger, type Logger } from '../trading/core/logger.js';
import { OWNER_RETRY_AFTER_S } from './account-owner.js';
import { API_ERRORS, apiErrorOf, type ApiErrorCode } from './error-catalogue.js';
import { ruleOfPattern } from './number-grammar.js';

/** The schema of a problem answer (RFC 9457 fields plus the stable code). */
export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.String(),
});

/**
 * Fastify's own errors (router, content-type parser) as our stable codes, so every answer is a
 * problem with a code listed in `docs/errors.md`.
 */
const FRAMEWORK: Readonly<Record<string, ApiErrorCode>> = {
  FST_ERR_BAD_URL: 'BAD_URL',
  FST_ERR_INVALID_URL: 'BAD_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'URL_TOO_LONG',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_BODY',
};

/** The stable code of a framework error, or null when it is not one. */
export function frameworkProblem(err: {
  code?: string;
  statusCode?: number;
  name?: string;
}): ApiErrorCode | null {
  const known = err.code ? FRAMEWORK[err.code] : undefined;
  if (known) return known;
  if (err.name === 'SyntaxError' && err.statusCode === 400) return 'MALFORMED_BODY';
  return null;
}

/** Codes a client retries after a while: the `Retry-After` their answers carry, in seconds. */
const RETRY_AFTER_S: Readonly<Record<string, number>> = {
  ACCOUNT_OWNER_UNAVAILABLE: OWNER_RETRY_AFTER_S,
  SERVER_DRAINING: 2,
  LEASE_LOST: OWNER_RETRY_AFTER_S,
  // The database away: an account whose journal failed takes orders again within a lease round
  // of its answering again (`docs/scalability.md`, "Ownership").
  STORE_UNAVAILABLE: 2,
  // Redis away, or late (the API's rate limit could not count the request).
  CACHE_UNAVAILABLE: 2,
};

/** The `Retry-After` (seconds) of a code a client retries after a while; undefined for others. */
export function retryAfterOf(code: string): number | undefined {
  return RETRY_AFTER_S[code];
}

/**
 * The `Retry-After` (seconds) of a refusal that passes (the venue's order rate, no owner of the
 * account yet, a drain…): the error's own delay, else its code's; undefined for others.
 */
export function retryAfterOfError(err: KairosError): number | undefined {
  return 'retryAfterS' in err && typeof err.retryAfterS === 'number'
    ? err.retryAfterS
    : RETRY_AFTER_S[err.code];
}

/** An RFC 9457 problem carrying the stable code, its status and title from the catalogue. */
export function problemBody(code: string, detail: string) {
  const { status, title } = apiErrorOf(code);
  return { type: `urn:kairos:error:${code}`, title, status, code, detail };
}

/** Sends a problem answer: the status and title of `code` come from `error-catalogue.ts`. */
export function sendProblem(reply: FastifyReply, code: string, detail: string): FastifyReply {
  const body = problemBody(code, detail);
  return reply.code(body.status).type('application/problem+json').send(body);
}

/** An expected failure; the API answers it with the status the catalogue gives its code. */
export function apiError(code: ApiErrorCode, detail: string): KairosError {
  return new KairosError(code, detail);
}

/** An error Fastify raised reading the request (its status a 4xx), not one of a handler's ports. */
function isRequestError(e: unknown): boolean {
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  return !(e instanceof KairosError) && typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Every error becomes `application/problem+json`: validation failures name the field and the
 * rule (400 `VALIDATION`), `KairosError`s keep their code, anything else is a 500 that says
 * nothing about its cause (it is logged).
 */
export function registerProblems(app: FastifyInstance, log: Logger = noopLogger): void {
  app.setErrorHandler((thrown: FastifyError, req, reply) => {
    // A client error of the request itself (Fastify marks it 4xx) is never the database: a
    // body cut off by the client fails with ECONNRESET, which read as the store away (503).
    const err = (isRequestError(thrown) ? thrown : asStoreUnavailable(thrown)) as FastifyError;
    if (isRequestError(err) && err.code === 'ECONNRESET') {
      return sendProblem(
        reply,
        'BAD_REQUEST',
        'the connection closed before the request body ended',
      );
    }
    if (err.validation) {
      const v = err.validation[0];
      const field =
        `${err.validationContext ?? 'body'}${v?.instancePath ?? ''}`.replace(/\//g, '.') +
        (v?.params && 'additionalProperty' in v.params
          ? `.${String(v.params.additionalProperty)}`
          : '') +
        (v?.params && 'missingProperty' in v.params ? `.${String(v.params.missingProperty)}` : '');
      // A number field's pattern is said as its rule in words (`number-grammar.ts`).
      const rule = v?.keyword === 'pattern' ? ruleOfPattern(v.params?.pattern) : undefined;
      const why = rule === undefined ? (v?.message ?? 'is invalid') : `must be ${rule}`;
      return sendProblem(reply, 'VALIDATION', `${field}: ${why}`);
    }
    if (err instanceof KairosError) {
      // A refusal that passes (no owner of the account yet, a drain…) says when to retry.
      const wait = retryAfterOfError(err);
      if (wait !== undefined) void reply.header('retry-after', String(wait));
      return sendProblem(reply, err.code, err.message);
    }
    const framework = frameworkProblem(err);
    if (framework) return sendProblem(reply, framework, err.message);
    if (err.statusCode === 413) return sendProblem(reply, 'BODY_TOO_LARGE', err.message);
    if (err.statusCode === 429) return sendProblem(reply, 'RATE_LIMITED', err.message);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // A client error of a plugin with no code of ours: its own status, our generic code.
      return reply
        .code(err.statusCode)
        .type('application/problem+json')
        .send({ ...problemBody('BAD_REQUEST', err.message), status: err.statusCode });
    }
    log.error('internal error', { requestId: req.id, err });
    return sendProblem(reply, 'INTERNAL', 'internal error');
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, 'NOT_FOUND', `${req.method} ${req.url.split('?')[0]}: no such route`),
  );
}

/**
 * Writes a problem answer straight on a socket no Fastify reply owns (Node's parser refused the
 * request, a WebSocket handshake `ws` refused, a `CONNECT`), then closes it.
 */
export function writeRawProblem(
  socket: Duplex,
  code: ApiErrorCode,
  detail: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (!socket.writable) return void socket.destroy();
  const { status } = API_ERRORS[code];
  const reason = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify(problemBody(code, detail));
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/problem+json\r\n` +
      `${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers too large: 431; a
 * malformed request line or header: 400), written as problems on the raw socket.
 */
export function clientErrorProblem(err: Error & { code?: string }, socket: Duplex): void {
  const code: ApiErrorCode =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? 'HEADERS_TOO_LARGE'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'REQUEST_TIMEOUT'
        : 'BAD_REQUEST';
  const reason = STATUS_CODES[API_ERRORS[code].status] ?? 'Error';
  writeRawProblem(socket, code, `${reason}: the request could not be read`);
}
