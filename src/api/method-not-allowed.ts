import type { FastifyInstance, HTTPMethods } from 'fastify';
import { sendProblem } from './problem.js';

/** The order in which `Allow` lists methods. */
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'QUERY'];

/**
 * The methods each path of the API answers, and 405 for every other one (RFC 9110 §15.5.6): a
 * method a path does not take is `405 METHOD_NOT_ALLOWED`, a problem whose `Allow` header (and
 * detail) lists exactly the path's methods, as `/docs/json` declares them (every GET with its
 * HEAD). A path no route has stays 404. Made before the first route (it hears each one); call
 * `refuseOthers` after the last.
 *
 * @example
 * const methods = new PathMethods(app); // …register every route…
 * methods.refuseOthers(app);
 */
export class PathMethods {
  readonly #methods = new Map<string, Set<string>>();
  #sealed = false;

  constructor(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      if (this.#sealed) return;
      let set = this.#methods.get(route.url);
      if (!set) this.#methods.set(route.url, (set = new Set()));
      for (const m of [route.method].flat()) set.add(m);
    });
  }

  /** Each route path (Fastify's form, `/orders/:id`) and the methods it takes, `Allow`'s order. */
  get paths(): ReadonlyMap<string, readonly string[]> {
    return new Map([...this.#methods].map(([url, set]) => [url, allowOf(set)]));
  }

  /** Adds, for every path, one route that answers each method it does not take with a 405. */
  refuseOthers(app: FastifyInstance): void {
    this.#sealed = true;
    for (const [url, set] of this.#methods) {
      const others = app.supportedMethods.filter((m) => !set.has(m)) as HTTPMethods[];
      if (others.length === 0) continue;
      const allow = allowOf(set).join(', ');
      app.route({
        method: others,
        url,
        exposeHeadRoute: false,
        schema: { hide: true },
        // Before the body is read: a method the path does not take is refused whatever it carries.
        onRequest: async (req, reply) =>
          sendProblem(
            reply.header('allow', allow),
            'METHOD_NOT_ALLOWED',
            `${req.method} ${url}: not a method of this path; Allow: ${allow}`,
          ),
        handler: async () => undefined,
      });
    }
  }
}

function allowOf(set: ReadonlySet<string>): string[] {
  return [...set].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function rank(m: string): number {
  const i = ORDER.indexOf(m);
  return i < 0 ? ORDER.length : i;
}
