import net from 'node:net';

/** An answer read off the wire: status, headers (lower-case names), body, how long it took. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly ms: number;
}

/** The bytes of one HTTP/1.1 request that closes its connection; a header may repeat. */
export function rawRequest(
  method: string,
  target: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body?: Buffer | string,
): Buffer {
  let head = `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n`;
  for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
  const b = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
  if (b !== undefined && !headers.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k)))
    head += `Content-Length: ${b.length}\r\n`;
  const bytes = Buffer.from(`${head}\r\n`, 'latin1');
  return b ? Buffer.concat([bytes, b]) : bytes;
}

/**
 * Writes `data` on a new connection to `port` and reads until the server closes it (status 0
 * if nothing came within `timeoutMs`). Any byte can be sent: no client library checks it.
 */
export function sendRaw(port: number, data: Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const head = (end < 0 ? all : all.subarray(0, end)).toString('latin1');
      const headers: Record<string, string> = {};
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      let body: Buffer = end < 0 ? Buffer.alloc(0) : all.subarray(end + 4);
      if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        headers,
        body: body.toString('utf8'),
        ms: Date.now() - started,
      });
    });
    s.write(data);
  });
}

function unchunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length;) {
    const nl = b.indexOf('\r\n', i);
    const n = nl < 0 ? 0 : parseInt(b.subarray(i, nl).toString(), 16);
    if (!n) break;
    parts.push(b.subarray(nl + 2, nl + 2 + n));
    i = nl + 2 + n + 2;
  }
  return Buffer.concat(parts);
}
