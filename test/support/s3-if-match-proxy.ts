import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the proxy answered: what came in, and the status it went out with. */
export interface ProxiedRequest {
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  readonly ifMatch: string | undefined;
  readonly status: number;
}

/** A running proxy in front of s3rver. */
export interface IfMatchProxy {
  /** The endpoint a client (or a `kairos` child, `AWS_ENDPOINT_URL_S3`) uses. */
  readonly endpoint: string;
  /** Every request answered, in order. */
  readonly seen: ProxiedRequest[];
  /**
   * Runs after s3rver answered a HEAD and before the client gets that answer: the test replaces
   * the object here, between the client's HEAD and its GET.
   */
  afterHead: ((path: string) => Promise<void>) | null;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of s3rver that adds the one S3 behaviour s3rver lacks: `If-Match` on a
 * GET (s3rver 3.7 ignores it). A GET whose `If-Match` is not the object's ETag gets S3's answer,
 * 412 `PreconditionFailed`, and none of the object's bytes. Everything else (and the SigV4
 * signature, which covers the `Host` header sent to the proxy) passes through unchanged.
 */
export async function startIfMatchProxy(upstream: string): Promise<IfMatchProxy> {
  const target = new URL(upstream);
  const proxy: IfMatchProxy = {
    endpoint: '',
    seen: [],
    afterHead: null,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
  const server = http.createServer((req, res) => {
    const ifMatch = req.headers['if-match'];
    const path = (req.url ?? '/').split('?')[0]!;
    const note = (status: number) =>
      proxy.seen.push({ method: req.method ?? '', path, ifMatch, status });
    const forward = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        void (async () => {
          if (req.method === 'HEAD' && proxy.afterHead) await proxy.afterHead(path);
          const status = up.statusCode ?? 502;
          if (req.method === 'GET' && ifMatch && status === 200 && up.headers.etag !== ifMatch) {
            up.destroy();
            note(412);
            res.writeHead(412, { 'content-type': 'application/xml' });
            res.end(
              '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
                '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
                '<Condition>If-Match</Condition></Error>',
            );
            return;
          }
          note(status);
          res.writeHead(status, up.headers);
          up.pipe(res);
        })().catch((e: unknown) => {
          up.destroy();
          res.destroy(e as Error);
        });
      },
    );
    forward.on('error', (e) => res.destroy(e));
    req.pipe(forward);
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, { endpoint: `http://127.0.0.1:${port}` });
}
