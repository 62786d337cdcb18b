import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Duplex } from 'node:stream';
import { apiError, problemBody, writeRawProblem } from './problem.js';

/**
 * Answers, as problems, the requests Node's HTTP server would otherwise answer (or drop) before
 * Fastify sees them: an `Expect` other than `100-continue` (Node wrote a bare 417 with no body)
 * and a `CONNECT` (Node destroyed the socket without a word: the API is not a proxy, 404 like any
 * other method it has no route for).
 *
 * @example
 * answerOutsideFastify(app.server);
 */
export function answerOutsideFastify(server: Server): void {
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify(
      problemBody(
        'EXPECTATION_FAILED',
        `Expect: only 100-continue is supported (got ${JSON.stringify(req.headers.expect ?? '')})`,
      ),
    );
    res.shouldKeepAlive = false;
    res.writeHead(417, {
      'content-type': 'application/problem+json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    writeRawProblem(socket, 'NOT_FOUND', 'CONNECT: no such route (this server is not a proxy)');
  });
}

/** The one route that takes a WebSocket upgrade (`ws-gateway.ts`). */
const WS_ROUTE = '/ws';

/**
 * A WebSocket upgrade to any other path (a route, or none) is refused 404 before any guard, and
 * its socket closed once answered. Before, the route answered on the upgraded socket and left
 * it open: the server's close (a drain, SIGTERM) then waited for it for ever.
 */
export function refuseStrayUpgrades(app: FastifyInstance): void {
  const stray = (req: { raw: IncomingMessage; routeOptions: { url?: string | undefined } }) =>
    (req.raw as IncomingMessage & { upgrade?: boolean }).upgrade === true &&
    req.routeOptions.url !== WS_ROUTE;
  app.addHook('onRequest', (req, _reply, done) => {
    done(
      stray(req)
        ? apiError(
            'NOT_FOUND',
            `${req.method} ${req.url.split('?')[0]}: no WebSocket here (${WS_ROUTE} only)`,
          )
        : undefined,
    );
  });
  app.addHook('onResponse', (req, _reply, done) => {
    if (stray(req)) req.raw.socket.destroy();
    done();
  });
}
