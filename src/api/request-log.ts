import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../trading/core/logger.js';

/** A request id a client or a load balancer may hand us (`x-request-id`); anything else is replaced. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The id of a request: the client's `x-request-id` when it is a short plain token, else a new
 * UUID (Fastify's `genReqId`).
 *
 * @example
 * Fastify({ genReqId: requestId });
 */
export function requestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * One log line per answered request (component `http`): method, route template (never the
 * concrete URL with its ids, never the query or body), status, duration in ms, request id and
 * the user id when a token was verified; at `info`, 5xx at `error` (a client's mistake is
 * not ours). The request id is echoed in the `x-request-id` answer header.
 *
 * @example
 * logRequests(app, logger.child({ component: 'http' }));
 */
export function logRequests(app: FastifyInstance, log: Logger): void {
  // Callback hooks, not async ones: no promise and no microtask a request for each.
  app.addHook('onRequest', (req, reply, done) => {
    void reply.header('x-request-id', req.id);
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const status = reply.statusCode;
    const fields: Record<string, unknown> = {
      requestId: req.id,
      method: req.method,
      route: routeOf(req),
      status,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
    };
    const userId = req.verifiedUserId;
    if (userId) fields.userId = userId;
    if (status >= 500) log.error('request', fields);
    else log.info('request', fields);
    done();
  });
}

/** The route template (`/orders/:clientOrderId`), or `(no route)` for a path that matched none. */
function routeOf(req: FastifyRequest): string {
  return req.routeOptions.url ?? '(no route)';
}
