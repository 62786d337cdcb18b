import { Type } from '@fastify/type-provider-typebox';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { KairosError } from '../trading/core/errors.js';

/** The schema of a problem answer (RFC 9457 fields plus the stable code). */
export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.String(),
});

/** HTTP status of each expected error code the API can answer with (others are 400). */
const STATUS: Readonly<Record<string, number>> = {
  AUTH_FAILED: 401,
  AUTH_REQUIRED: 401,
  AUTH_INVALID_TOKEN: 401,
  AUTH_TOKEN_EXPIRED: 401,
  AUTH_SESSION_REVOKED: 401,
  AUTH_REFRESH_INVALID: 401,
  AUTH_REFRESH_REUSED: 401,
  MFA_FAILED: 401,
  MFA_LOCKED: 429,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  USER_EXISTS: 409,
  USER_SELF_DISABLE: 409,
  CREDENTIAL_NOT_FOUND: 404,
  CREDENTIAL_EXISTS: 409,
  AUDIT_CHAIN_BROKEN: 500,
  IDEMPOTENCY_CONFLICT: 409,
  UNKNOWN_INSTRUMENT: 422,
  RATE_LIMITED: 429,
  BODY_TOO_LARGE: 413,
  STRATEGY_NOT_FOUND: 404,
  DATA_NOT_FOUND: 404,
  STRATEGY_NOT_RUNNING: 409,
  BACKTEST_NOT_DONE: 409,
  BACKTEST_QUEUE_FULL: 503,
};

/**
 * Fastify's own errors (router, content-type parser) as our stable codes, so every answer is a
 * problem with a code listed in `docs/errors.md`.
 */
const FRAMEWORK: Readonly<Record<string, readonly [number, string]>> = {
  FST_ERR_BAD_URL: [400, 'BAD_URL'],
  FST_ERR_INVALID_URL: [400, 'BAD_URL'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'URL_TOO_LONG'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'MALFORMED_BODY'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'MALFORMED_BODY'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'MALFORMED_BODY'],
};

/** The status and stable code of a framework error, or null when it is not one. */
export function frameworkProblem(err: {
  code?: string;
  statusCode?: number;
  name?: string;
}): readonly [number, string] | null {
  const known = err.code ? FRAMEWORK[err.code] : undefined;
  if (known) return known;
  if (err.name === 'SyntaxError' && err.statusCode === 400) return [400, 'MALFORMED_BODY'];
  return null;
}

/** Sends an RFC 9457 problem answer carrying the stable code. */
export function sendProblem(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: `urn:kairos:error:${code}`, title: code, status, code, detail });
}

/** An expected failure the API answers with `status`. */
export function apiError(code: string, detail: string): KairosError {
  return new KairosError(code, detail);
}

/**
 * Every error becomes `application/problem+json`: validation failures name the field and the
 * rule (400 `VALIDATION`), `KairosError`s keep their code, anything else is a 500 that says
 * nothing about its cause (it is logged).
 */
export function registerProblems(app: FastifyInstance, log?: (line: string) => void): void {
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err.validation) {
      const v = err.validation[0];
      const field =
        `${err.validationContext ?? 'body'}${v?.instancePath ?? ''}`.replace(/\//g, '.') +
        (v?.params && 'additionalProperty' in v.params
          ? `.${String(v.params.additionalProperty)}`
          : '') +
        (v?.params && 'missingProperty' in v.params ? `.${String(v.params.missingProperty)}` : '');
      return sendProblem(reply, 400, 'VALIDATION', `${field}: ${v?.message ?? 'is invalid'}`);
    }
    if (err instanceof KairosError) {
      return sendProblem(reply, STATUS[err.code] ?? 400, err.code, err.message);
    }
    const framework = frameworkProblem(err);
    if (framework) return sendProblem(reply, framework[0], framework[1], err.message);
    if (err.statusCode === 413) return sendProblem(reply, 413, 'BODY_TOO_LARGE', err.message);
    if (err.statusCode === 429) return sendProblem(reply, 429, 'RATE_LIMITED', err.message);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendProblem(reply, err.statusCode, 'BAD_REQUEST', err.message);
    }
    log?.(`internal error: ${err.stack ?? err.message}`);
    return sendProblem(reply, 500, 'INTERNAL', 'internal error');
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, 404, 'NOT_FOUND', `${req.method} ${req.url.split('?')[0]}: no such route`),
  );
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers too large: 431; a
 * malformed request line or header: 400), written as problems on the raw socket.
 */
export function clientErrorProblem(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const [status, code, title] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'Request Header Fields Too Large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'Request Timeout']
        : [400, 'BAD_REQUEST', 'Bad Request'];
  const body = JSON.stringify({
    type: `urn:kairos:error:${code}`,
    title: code,
    status,
    code,
    detail: `${title}: the request could not be read`,
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nconnection: close\r\ncontent-type: application/problem+json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
