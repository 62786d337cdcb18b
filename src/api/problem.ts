import { Type } from '@fastify/type-provider-typebox';
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
    if (err.statusCode === 413) return sendProblem(reply, 413, 'BODY_TOO_LARGE', err.message);
    if (err.statusCode === 429) return sendProblem(reply, 429, 'RATE_LIMITED', err.message);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendProblem(reply, err.statusCode, err.code ?? 'BAD_REQUEST', err.message);
    }
    log?.(`internal error: ${err.stack ?? err.message}`);
    return sendProblem(reply, 500, 'INTERNAL', 'internal error');
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, 404, 'NOT_FOUND', `${req.method} ${req.url.split('?')[0]}: no such route`),
  );
}
