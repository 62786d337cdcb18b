import { createHmac, timingSafeEqual } from 'node:crypto';
import { BinanceErrors } from './binance-error.js';

/** The API key pair the venue accepts. */
export interface Credentials {
  readonly apiKey: string;
  readonly secret: string;
}

const MAX_RECV_WINDOW = 60_000;

/** HMAC-SHA256 of `payload` with the secret, as lowercase hex. */
export function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Removes `signature=...` from a raw query or form string, keeping the rest byte for byte. */
function withoutSignature(raw: string): { rest: string; signature: string | null } {
  const m = /(^|&)signature=([^&]*)/.exec(raw);
  if (!m) return { rest: raw, signature: null };
  const before = raw.slice(0, m.index);
  const after = raw.slice(m.index + m[0].length);
  const rest = m[1] === '&' ? before + after : after.replace(/^&/, '');
  return { rest, signature: decodeURIComponent(m[2]!) };
}

/** Binance's API-key check: -2014 when the key is missing, -2015 when it is not ours. */
export function checkApiKey(header: string | undefined, creds: Credentials): void {
  if (header === undefined || header === '') throw BinanceErrors.apiKeyFormat();
  if (header !== creds.apiKey) throw BinanceErrors.apiKeyInvalid();
}

/**
 * Binance's timing rule: the request's `timestamp` may be at most 1 s ahead of the server and
 * at most `recvWindow` (default 5000, max 60000) ms behind it; -1021 otherwise.
 */
export function checkTimestamp(
  timestamp: string | undefined,
  recvWindow: string | undefined,
  serverNow: number,
): void {
  if (timestamp === undefined || !/^\d{1,20}$/.test(timestamp))
    throw BinanceErrors.mandatory('timestamp');
  const window = recvWindow === undefined ? 5000 : Number(recvWindow);
  if (!Number.isFinite(window) || window <= 0 || window > MAX_RECV_WINDOW)
    throw BinanceErrors.badRecvWindow();
  const ts = Number(timestamp);
  if (ts >= serverNow + 1000) throw BinanceErrors.timestampAhead();
  if (serverNow - ts > window) throw BinanceErrors.timestampOutside();
}

/**
 * Checks a SIGNED REST request: the X-MBX-APIKEY header, the HMAC-SHA256 `signature` over the
 * query string followed by the body (Binance's `totalParams`), then the timestamp window.
 *
 * @example
 * verifySignedRequest({ rawQuery, rawBody, apiKey: req.headers['x-mbx-apikey'], params }, creds, now);
 */
export function verifySignedRequest(
  req: {
    readonly rawQuery: string;
    readonly rawBody: string;
    readonly apiKey: string | undefined;
    readonly params: ReadonlyMap<string, string>;
  },
  creds: Credentials,
  serverNow: number,
): void {
  checkApiKey(req.apiKey, creds);
  const q = withoutSignature(req.rawQuery);
  const b = withoutSignature(req.rawBody);
  const signature = q.signature ?? b.signature;
  if (signature === null || signature === '') throw BinanceErrors.mandatory('signature');
  if (!sameHex(signature, hmacHex(creds.secret, q.rest + b.rest)))
    throw BinanceErrors.badSignature();
  checkTimestamp(req.params.get('timestamp'), req.params.get('recvWindow'), serverNow);
}

/**
 * Checks a signed WebSocket API request: `apiKey`, `timestamp` and `signature` among the
 * params, the signature over the other params sorted by name as `k=v&...`.
 */
export function verifySignedParams(
  params: Readonly<Record<string, unknown>>,
  creds: Credentials,
  serverNow: number,
): void {
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  checkApiKey(str(params.apiKey), creds);
  const signature = str(params.signature);
  if (signature === undefined) throw BinanceErrors.mandatory('signature');
  const payload = Object.keys(params)
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${str(params[k]) ?? ''}`)
    .join('&');
  if (!sameHex(signature, hmacHex(creds.secret, payload))) throw BinanceErrors.badSignature();
  checkTimestamp(str(params.timestamp), str(params.recvWindow), serverNow);
}
