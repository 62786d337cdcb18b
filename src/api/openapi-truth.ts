import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Guard } from './authenticated-context.js';
import { codesByStatus } from './error-catalogue.js';
import { ProblemSchema } from './problem.js';

/** The content type of every error answer. */
export const PROBLEM_TYPE = 'application/problem+json';

/** What each error status means, as the document says it: the codes the catalogue gives it. */
const MEANING: ReadonlyMap<number, string> = new Map(
  [...codesByStatus()].map(([status, codes]) => [
    status,
    `${STATUS_CODES[status] ?? 'error'}: ${codes.join(', ')} (docs/errors.md)`,
  ]),
);

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
  description: MEANING.get(status) ?? 'error',
  content: { [PROBLEM_TYPE]: { schema: ProblemSchema } },
});

/** The guards of a route (`authenticated-context.ts`), in `onRequest` or `preHandler`. */
function guards(route: RouteOptions): Partial<Guard>[] {
  const hooks = [route.onRequest, route.preHandler].flatMap((h) =>
    Array.isArray(h) ? h : h ? [h] : [],
  ) as Partial<Guard>[];
  return hooks.filter((h) => h.authenticated === true);
}

/**
 * Makes `/docs/json` say what the API does: every operation lists each status it can answer
 * (400, 408, 429, 431 and 500 everywhere; 401 and 403 where a token is needed; 413 and 415 where a body is
 * read, DELETE included; 404 and 414 where the path has parameters), every error as
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
    // 408: Node ends a request whose head or body does not arrive in time (a slow client); 431:
    // it refuses a request head over 16 KiB (a long query or token). Both before any route.
    const statuses = [400, 408, 429, 431, 500];
    const routeGuards = guards(route);
    const permission = routeGuards.find((g) => g.permission)?.permission;
    const protectedRoute = routeGuards.length > 0;
    if (protectedRoute) statuses.push(401, 403);
    const methods = [route.method].flat();
    // Fastify reads a DELETE's body too: one too big or not JSON is refused like a POST's.
    if (methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH' || m === 'DELETE'))
      statuses.push(413, 415);
    if (route.url.includes(':')) statuses.push(404, 414);
    for (const status of statuses) response[String(status)] ??= problem(status);
    schema.response = response;
    if (protectedRoute) {
      schema.security = [{ bearer: [] }];
      if (permission) {
        schema['x-permission'] = permission;
        const text = `Needs a bearer access token whose role holds \`${permission}\`.`;
        // A GET's HEAD twin shares its schema: said once.
        if (!String(schema.description ?? '').includes(text))
          schema.description = schema.description
            ? `${String(schema.description)}\n\n${text}`
            : text;
      }
    }
  });
}

/**
 * The document's HEAD operations (one with each GET, as Fastify answers them) as HEAD answers:
 * the GET's statuses and headers, no content (RFC 9110 §9.3.2), so a client or fuzzer reading
 * the document expects no body.
 */
export function headWithoutBody<T>(doc: T): T {
  const paths = (doc as { paths?: Record<string, Record<string, unknown>> }).paths ?? {};
  for (const item of Object.values(paths)) {
    const head = item.head as { responses?: Record<string, Record<string, unknown>> } | undefined;
    if (!head?.responses) continue;
    const responses: Record<string, Record<string, unknown>> = {};
    for (const [status, r] of Object.entries(head.responses)) {
      const { content: _content, ...rest } = r;
      responses[status] = rest;
    }
    item.head = { ...head, responses };
  }
  return doc;
}

/** A route schema's mark: the route takes no body at all as an empty one. */
export const OPTIONAL_BODY = 'x-body-optional';

/**
 * The document's request bodies that a route marked `OPTIONAL_BODY` may go without, as not
 * required (the plugin makes every body required), so a fuzzer expects the request to be
 * taken without one; the mark itself is left out.
 */
export function optionalBodies<T>(doc: T): T {
  const paths = (doc as { paths?: Record<string, Record<string, Record<string, unknown>>> }).paths;
  for (const item of Object.values(paths ?? {})) {
    for (const op of Object.values(item)) {
      if (op[OPTIONAL_BODY] !== true) continue;
      delete op[OPTIONAL_BODY];
      const body = op.requestBody as { required?: boolean } | undefined;
      if (body) body.required = false;
    }
  }
  return doc;
}
