import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../trading/core/logger.js';

const BODY_LIMIT = 1 << 20;

/** Reads a request body as text (at most 1 MiB). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Answers with JSON (and extra headers). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Logs a refused request at `info`: method, path, HTTP status, the venue's code and message. */
export function logRefusal(
  log: Logger,
  request: { readonly method: string; readonly path: string },
  err: { readonly status: number; readonly code: string | number; readonly message: string },
): void {
  log.info('request refused', {
    ...request,
    status: err.status,
    code: err.code,
    detail: err.message,
  });
}

/**
 * A node:http server running `handle` for each request; an exception it lets out is kept in
 * `errors` and answered 500 with `fallback` (a venue's "internal error" body).
 */
export function serverOf(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  errors: unknown[],
  fallback: unknown,
): Server {
  return createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      errors.push(e);
      if (!res.headersSent) sendJson(res, 500, fallback);
    });
  });
}

/** Starts listening; answers the base URL (`http://host:port`) and the port. */
export async function listen(
  server: Server,
  port = 0,
  host = '127.0.0.1',
): Promise<{ url: string; host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const h = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${h}:${address.port}`, host: h, port: address.port };
}
