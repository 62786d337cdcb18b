import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** How the endpoint answers PutMetricData. */
export type CloudWatchMode = 'ok' | 'fail' | 'throttle' | 'hang';

/** A datum as it arrived (AWS JSON 1.0: Timestamp in epoch seconds). */
export interface ReceivedDatum {
  readonly MetricName: string;
  readonly Dimensions?: readonly { readonly Name: string; readonly Value: string }[];
  readonly Timestamp?: number;
  readonly Value?: number;
  readonly Values?: readonly number[];
  readonly Counts?: readonly number[];
  readonly Unit?: string;
}

export interface FakeCloudWatch {
  readonly url: string;
  /** Every PutMetricData it accepted. */
  readonly requests: { readonly Namespace: string; readonly MetricData: ReceivedDatum[] }[];
  /** Requests it answered with an error (validation, mode). */
  readonly refused: string[];
  mode: CloudWatchMode;
  close(): Promise<void>;
}

const UNITS = new Set([
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes',
  'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count',
  'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second',
  'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second',
  'Count/Second', 'None',
]); // prettier-ignore

/**
 * A local CloudWatch endpoint for PutMetricData as the SDK v3 speaks it (AWS JSON 1.0,
 * `X-Amz-Target: GraniteServiceVersion20100801.PutMetricData`, gzip for large bodies), checking
 * the request against CloudWatch's documented limits: a namespace not starting `AWS/`, 1–1,000
 * datums, ≤30 dimensions, one of Value / Values(+Counts, ≤150, same length), known units, finite
 * numbers. A bad request gets CloudWatch's 400 `InvalidParameterValue`.
 */
export async function startFakeCloudWatch(): Promise<FakeCloudWatch> {
  const fake = {
    requests: [] as FakeCloudWatch['requests'],
    refused: [] as string[],
    mode: 'ok' as CloudWatchMode,
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let raw = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    if (fake.mode === 'hang') return; // never answers
    const refuse = (status: number, type: string, message: string) => {
      fake.refused.push(`${type}: ${message}`);
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: type, message }));
    };
    if (fake.mode === 'fail') return refuse(500, 'InternalServiceError', 'down');
    if (fake.mode === 'throttle') return refuse(400, 'Throttling', 'Rate exceeded');
    const problem = check(req, raw);
    if (problem) return refuse(400, 'InvalidParameterValue', problem);
    fake.requests.push(JSON.parse(raw.toString('utf8')));
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end('{}');
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function check(req: IncomingMessage, raw: Buffer): string | null {
  if (req.method !== 'POST' || req.url !== '/') return `${req.method} ${req.url}`;
  if (req.headers['content-type'] !== 'application/x-amz-json-1.0') return 'content-type';
  if (req.headers['x-amz-target'] !== 'GraniteServiceVersion20100801.PutMetricData')
    return `target ${String(req.headers['x-amz-target'])}`;
  if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) return 'unsigned';
  const body = JSON.parse(raw.toString('utf8')) as {
    Namespace?: unknown;
    MetricData?: ReceivedDatum[];
  };
  const ns = body.Namespace;
  if (typeof ns !== 'string' || ns.length < 1 || ns.length > 255 || ns.startsWith('AWS/'))
    return 'Namespace';
  const data = body.MetricData;
  if (!Array.isArray(data) || data.length < 1 || data.length > 1000) return 'MetricData length';
  for (const d of data) {
    if (typeof d.MetricName !== 'string' || d.MetricName.length < 1 || d.MetricName.length > 255)
      return 'MetricName';
    const dims = d.Dimensions ?? [];
    if (dims.length > 30) return `${d.MetricName}: more than 30 dimensions`;
    for (const x of dims)
      if (!x.Name || !x.Value || x.Name.length > 255 || x.Value.length > 1024)
        return `${d.MetricName}: dimension ${JSON.stringify(x)}`;
    if (d.Unit !== undefined && !UNITS.has(d.Unit)) return `${d.MetricName}: unit ${d.Unit}`;
    const has = [d.Value !== undefined, d.Values !== undefined].filter(Boolean).length;
    if (has !== 1) return `${d.MetricName}: exactly one of Value, Values`;
    if (d.Value !== undefined && !Number.isFinite(d.Value)) return `${d.MetricName}: Value`;
    if (d.Values !== undefined) {
      if (d.Values.length > 150 || !d.Values.every(Number.isFinite))
        return `${d.MetricName}: Values`;
      if (d.Counts !== undefined && d.Counts.length !== d.Values.length)
        return `${d.MetricName}: Counts and Values differ in length`;
    }
  }
  return null;
}
