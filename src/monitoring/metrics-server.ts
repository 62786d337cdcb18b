import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the metrics listener exposes. */
export interface Exposition {
  readonly contentType: string;
  text(): Promise<string>;
}

/** A running metrics listener. */
export interface MetricsServer {
  /** `http://host:port/metrics`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The metrics listener of a process: `GET /metrics` (and `HEAD`) answers the Prometheus text
 * exposition, on its own port, unauthenticated, bound to `host` (a private address: loopback by
 * default; `docs/decisions/metrics.md` says why). Anything else is 404 (405 for another method);
 * a failing collector answers 500 with one line, never crashes the process. No body is read.
 *
 * @example
 * const server = await startMetricsServer(registry, { host: '127.0.0.1', port: 9464 });
 * // curl http://127.0.0.1:9464/metrics
 */
export async function startMetricsServer(
  exposition: Exposition,
  at: { readonly host: string; readonly port: number },
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('not found: GET /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed: GET /metrics\n');
      return;
    }
    exposition.text().then(
      (body) => {
        res.writeHead(200, {
          'content-type': exposition.contentType,
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`metrics collection failed: ${(e as Error).message}\n`);
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = at.host.includes(':') ? `[${at.host}]` : at.host;
  return {
    url: `http://${host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
