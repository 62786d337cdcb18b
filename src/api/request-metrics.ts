import type { FastifyInstance, FastifyRequest } from 'fastify';
import { METRICS } from '../monitoring/metric-catalogue.js';
import type { Metrics } from '../trading/core/metrics.js';

/** The `route` label of a request that matched no route (404s of made-up paths). */
export const NO_ROUTE = '(no route)';

/**
 * Observes every answered request in `kairos_http_request_duration_seconds` (an `onResponse`
 * hook), labelled by method, route template (`/orders/:clientOrderId`, never the concrete URL,
 * so ids never become labels; a path that matched no route is `(no route)`) and status code.
 * Methods and statuses are bounded by Node's HTTP parser and the API.
 *
 * @example
 * countRequests(app, metrics);
 */
export function countRequests(app: FastifyInstance, metrics: Metrics): void {
  const duration = metrics.histogram(METRICS.httpDuration);
  // A callback hook, not an async one: no promise and no microtask a request.
  app.addHook('onResponse', (req, reply, done) => {
    duration.observe(reply.elapsedTime / 1000, {
      method: req.method,
      route: routeOf(req),
      status_code: String(reply.statusCode),
    });
    done();
  });
}

function routeOf(req: FastifyRequest): string {
  return req.routeOptions.url ?? NO_ROUTE;
}
