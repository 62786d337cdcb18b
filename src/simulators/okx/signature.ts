import { createHmac, timingSafeEqual } from 'node:crypto';
import { OkxErrors } from './okx-error.js';

/** One account's credentials: OKX keys come with a secret and a passphrase. */
export interface OkxCredentials {
  readonly apiKey: string;
  readonly secret: string;
  readonly passphrase: string;
}

/** What a signed request carries. */
export interface SignedRequest {
  readonly method: string;
  /** Path with the query string, as sent (`/api/v5/trade/order?instId=BTC-USDT&ordId=1`). */
  readonly requestPath: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** How far a request's OK-ACCESS-TIMESTAMP may be from the server's clock (OKX: 30 s). */
export const TIMESTAMP_WINDOW_MS = 30_000;

/** OKX's signature: base64 HMAC-SHA256 of `timestamp + METHOD + requestPath + body`. */
export function okxSign(secret: string, prehash: string): string {
  return createHmac('sha256', secret).update(prehash).digest('base64');
}

const one = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);

/**
 * Checks OKX's four headers (OK-ACCESS-KEY, -SIGN, -TIMESTAMP, -PASSPHRASE) and answers the
 * account's credentials, or throws OKX's 5010x/5011x error: an empty header, an unknown key, a
 * wrong passphrase, a timestamp not ISO 8601 or more than 30 s from the server's clock, a bad sign.
 *
 * @example
 * const who = verifyOkxRequest({ method: 'GET', requestPath, body: '', headers }, keys, Date.now());
 */
export function verifyOkxRequest(
  req: SignedRequest,
  keys: (apiKey: string) => OkxCredentials | undefined,
  nowMs: number,
): OkxCredentials {
  const key = one(req.headers['ok-access-key']);
  const sign = one(req.headers['ok-access-sign']);
  const ts = one(req.headers['ok-access-timestamp']);
  const passphrase = one(req.headers['ok-access-passphrase']);
  if (!key) throw OkxErrors.keyEmpty();
  if (!passphrase) throw OkxErrors.passphraseEmpty();
  if (!sign) throw OkxErrors.signEmpty();
  if (!ts) throw OkxErrors.timestampEmpty();
  const creds = keys(key);
  if (!creds) throw OkxErrors.keyInvalid();
  if (passphrase !== creds.passphrase) throw OkxErrors.passphraseWrong();
  const at = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/.test(ts) ? Date.parse(ts) : NaN;
  if (!Number.isFinite(at)) throw OkxErrors.timestampInvalid();
  if (Math.abs(nowMs - at) > TIMESTAMP_WINDOW_MS) throw OkxErrors.timestampExpired();
  const want = Buffer.from(okxSign(creds.secret, ts + req.method + req.requestPath + req.body));
  const got = Buffer.from(sign);
  if (want.length !== got.length || !timingSafeEqual(want, got)) throw OkxErrors.signInvalid();
  return creds;
}
