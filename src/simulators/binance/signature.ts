import { createHmac, timingSafeEqual } from 'node:crypto';
import { BinanceErrors } from './binance-error.js';

/** An API key pair the venue accepts. */
export interface Credentials {
  readonly apiKey: string;
  readonly secret: string;
}

/** The key pairs the venue accepts: one, or a look-up by API key (one per account). */
export type KeyRing = Credentials | ((apiKey: string) => Credentials | undefined);

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

/**
 * Binance's API-key check: -2014 when the key is missing, -2015 when it is not one of ours.
 * Answers the key pair it names (its secret is the only one that signs for it).
 */
export function checkApiKey(header: string | undefined, keys: KeyRing): Credentials {
  if (header === undefined || header === '') throw BinanceErrors.apiKeyFormat();
  const creds =
    typeof keys === 'function' ? keys(header) : header === keys.apiKey ? keys : undefined;
  if (creds === undefined) throw BinanceErrors.apiKeyInvalid();
  return creds;
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
 * const creds = verifySignedRequest({ rawQuery, rawBody, apiKey: req.headers['x-mbx-apikey'], params }, keys, now);
 */
export function verifySignedRequest(
  req: {
    readonly rawQuery: string;
    readonly rawBody: string;
    readonly apiKey: string | undefined;
    readonly params: ReadonlyMap<string, string>;
  },
  keys: KeyRing,
  serverNow: number,
): Credentials {
  const creds = checkApiKey(req.apiKey, keys);
  const q = withoutSignature(req.rawQuery);
  const b = withoutSignature(req.rawBody);
  const signature = q.signature ?? b.signature;
  if (signature === null || signature === '') throw BinanceErrors.mandatory('signature');
  if (!sameHex(signature, hmacHex(creds.secret, q.rest + b.rest)))
    throw BinanceErrors.badSignature();
  checkTimestamp(req.params.get('timestamp'), req.params.get('recvWindow'), serverNow);
  return creds;
}

/**
 * Checks a signed WebSocket API request: `apiKey`, `timestamp` and `signature` among the
 * params, the signature over the other params sorted by name as `k=v&...`.
 */
export function verifySignedParams(
  params: Readonly<Record<string, unknown>>,
  keys: KeyRing,
  serverNow: number,
): Credentials {
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  const creds = checkApiKey(str(params.apiKey), keys);
  const signature = str(params.signature);
  if (signature === undefined) throw BinanceErrors.mandatory('signature');
  const payload = Object.keys(params)
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${str(params[k]) ?? ''}`)
    .join('&');
  if (!sameHex(signature, hmacHex(creds.secret, payload))) throw BinanceErrors.badSignature();
  checkTimestamp(str(params.timestamp), str(params.recvWindow), serverNow);
  return creds;
}
