import type { Ban } from './request-budget.js';

/** An HTTP answer of a venue, as ccxt exposes it (`last_http_response`, `last_response_headers`). */
export interface VenueResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
}

/**
 * The ban a venue answer imposes, or `undefined` when it imposes none: HTTP 429 bans for its
 * `Retry-After` (seconds or an HTTP date), 418 (Binance's IP ban) until the later of
 * `Retry-After` and the "banned until <ms>" time in the body. Without either, the ban lasts
 * `defaultMs` (60 s); with `defaultMs` null there is none (the caller decides how long, e.g. the
 * request gate's backoff). Record it with `RequestBudget.block`.
 *
 * @example
 * const ban = banFromResponse({ status: 429, headers: { 'retry-after': '30' } }, now);
 * if (ban) await budget.block('binance', ban.untilMs, ban.reason);
 */
export function banFromResponse(
  response: VenueResponse,
  nowMs: number,
  defaultMs: number | null = 60_000,
): Ban | undefined {
  if (response.status !== 429 && response.status !== 418) return undefined;
  const candidates: number[] = [];
  const retryAfter = header(response.headers, 'retry-after');
  if (retryAfter !== undefined) {
    if (/^\d+$/.test(retryAfter)) candidates.push(nowMs + Number(retryAfter) * 1000);
    else if (!Number.isNaN(Date.parse(retryAfter))) candidates.push(Date.parse(retryAfter));
  }
  const bannedUntil = /banned until (\d{10,16})/i.exec(response.body ?? '')?.[1];
  if (bannedUntil !== undefined) {
    // Binance writes milliseconds; a 10-digit number is seconds.
    candidates.push(Number(bannedUntil) * (bannedUntil.length <= 11 ? 1000 : 1));
  }
  if (candidates.length === 0) {
    if (defaultMs === null) return undefined;
    candidates.push(nowMs + defaultMs);
  }
  const untilMs = Math.max(nowMs + 1, ...candidates);
  const what = response.status === 418 ? 'IP banned' : 'rate limited';
  return {
    untilMs,
    reason: `HTTP ${response.status} ${what} until ${new Date(untilMs).toISOString()}`,
  };
}

function header(
  headers: Readonly<Record<string, string | undefined>> | undefined,
  name: string,
): string | undefined {
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() === name && v !== undefined) return v.trim();
  }
  return undefined;
}
