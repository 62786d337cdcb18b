import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Permission } from '../security/roles/permissions.js';
import { ProblemSchema } from './problem.js';

/** The content type of every error answer. */
export const PROBLEM_TYPE = 'application/problem+json';

/** What each error status means, as the document says it. */
const MEANING: Readonly<Record<number, string>> = {
  400: 'bad input: VALIDATION (names the field and the rule), BAD_URL, MALFORMED_BODY…',
  401: 'no valid access token (AUTH_REQUIRED, AUTH_INVALID_TOKEN, AUTH_TOKEN_EXPIRED, AUTH_SESSION_REVOKED)',
  403: 'FORBIDDEN: the role lacks the permission',
  404: 'not found (NOT_FOUND or a resource-specific code)',
  409: 'conflict with the current state',
  413: 'BODY_TOO_LARGE: a body over 64 KiB',
  414: 'URL_TOO_LONG: a path parameter over 100 characters',
  415: 'UNSUPPORTED_MEDIA_TYPE: a body that is not application/json',
  422: 'the request is well-formed but refused by a rule (the code says which)',
  429: 'RATE_LIMITED (with Retry-After)',
  500: 'INTERNAL (a bug; logged) or AUDIT_CHAIN_BROKEN',
  503: 'the service cannot take this now',
};

/** Marks a guard with the permission it checks, so the document can declare it. */
export type PermissionGuard = { readonly permission?: Permission };

const isProblemSchema = (s: unknown): boolean =>
  s === ProblemSchema ||
  (typeof s === 'object' &&
    s !== null &&
    'properties' in s &&
    typeof (s as { properties: unknown }).properties === 'object' &&
    ['type', 'title', 'status', 'code', 'detail'].every(
      (k) => k in ((s as { properties: object }).properties ?? {}),
    ));

const problem = (status: number) => ({
  description: MEANING[status] ?? 'error',
  content: { [PROBLEM_TYPE]: { schema: ProblemSchema } },
});

function guards(route: RouteOptions): PermissionGuard[] {
  const h = route.onRequest;
  return (Array.isArray(h) ? h : h ? [h] : []) as PermissionGuard[];
}

/**
 * Makes `/docs/json` say what the API does: every operation lists each status it can answer
 * (400, 429 and 500 everywhere; 401 and 403 where a token is needed; 413 and 415 where a body is
 * read; 404 and 414 where the path has parameters), every error as
 * `application/problem+json` with the problem schema, and protected operations declare bearer
 * security and the permission they need (`x-permission`). Call before any route is added.
 */
export function declareAnswers(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as
      | (Record<string, unknown> & { hide?: boolean; response?: Record<string, unknown> })
      | undefined;
    if (!schema || schema.hide || (route as { websocket?: boolean }).websocket) return;
    const response: Record<string, unknown> = { ...(schema.response ?? {}) };
    for (const [status, s] of Object.entries(response)) {
      if (isProblemSchema(s)) response[status] = problem(Number(status));
    }
    const statuses = [400, 429, 500];
    const permission = guards(route).find((g) => g.permission)?.permission;
    const protectedRoute = permission !== undefined || route.url === '/auth/logout';
    if (protectedRoute) statuses.push(401, 403);
    const methods = [route.method].flat();
    if (methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH')) statuses.push(413, 415);
    if (route.url.includes(':')) statuses.push(404, 414);
    for (const status of statuses) response[String(status)] ??= problem(status);
    schema.response = response;
    if (protectedRoute) {
      schema.security = [{ bearer: [] }];
      if (permission) {
        schema['x-permission'] = permission;
        const text = `Needs a bearer access token whose role holds \`${permission}\`.`;
        schema.description = schema.description ? `${String(schema.description)}\n\n${text}` : text;
      }
    }
  });
}
