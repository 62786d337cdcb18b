import { randomUUID } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Lambda API error to answer instead of forwarding (as Lambda's REST API sends one). */
export interface LambdaFault {
  readonly status: number;
  /** `x-amzn-ErrorType`, e.g. `TooManyRequestsException`. */
  readonly type: string;
  readonly message: string;
}

/** A proxy in front of a Lambda endpoint that fails the calls `fault` picks. */
export interface LambdaFaultProxy {
  readonly url: string;
  /** Picks the calls to fail (method and path, e.g. `POST /2015-03-31/functions/sma/versions`). */
  fault: ((call: { method: string; path: string }) => LambdaFault | null) | null;
  /** Every call it failed, as `METHOD path`. */
  readonly failed: string[];
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 in front of `target` (the local Lambda endpoint): it forwards every
 * call unchanged except those `fault` picks, which get the error Lambda would answer (a
 * throttle, a service error), so the real SDK meets real Lambda errors at chosen moments.
 */
export async function startLambdaFaultProxy(target: string): Promise<LambdaFaultProxy> {
  const to = new URL(target);
  const proxy: LambdaFaultProxy = {
    url: '',
    fault: null,
    failed: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const f = proxy.fault?.({ method: req.method ?? 'GET', path }) ?? null;
    if (f) {
      proxy.failed.push(`${req.method} ${path}`);
      req.resume();
      req.on('end', () => {
        res.writeHead(f.status, {
          'content-type': 'application/json',
          'x-amzn-RequestId': randomUUID(),
          'x-amzn-ErrorType': f.type,
        });
        res.end(JSON.stringify({ Type: 'User', message: f.message }));
      });
      return;
    }
    const out = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: to.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
}
