import type { Exchange } from 'ccxt';
import { banFromResponse } from '../../../scalability/rate-limit/ban-from-response.js';
import type { Ban, RequestBudget } from '../../../scalability/rate-limit/request-budget.js';
import { KairosError } from '../../core/errors.js';
import type { Alert } from '../../model/alert.js';

/** Options of {@link installRequestGate}. */
export interface RequestGateOptions {
  readonly budget: RequestBudget;
  /** The venue (its IP-wide budget scope); bans are recorded here. */
  readonly venue: string;
  /** The budget key each request takes weight from (default: `venue`). */
  readonly key?: string;
  readonly now?: () => number;
  readonly onAlert?: (alert: Alert) => void;
  /** Longest wait for budget before a request is refused (default 10 000 ms). */
  readonly maxWaitMs?: number;
  /**
   * The venue's weight of one unit of ccxt's cost (default 1). ccxt's Binance spot costs are
   * 0.2 × Binance's request weight, so Binance's is 5.
   */
  readonly weightPerCost?: number;
  /** The largest weight one request may take (the budget's capacity); heavier ones take this. */
  readonly maxWeight?: () => number;
  /** Told the request limits a venue advertises (Binance: `exchangeInfo.rateLimits`). */
  readonly onRateLimits?: (limits: readonly AdvertisedLimit[]) => void;
}

/** A request limit a venue advertises: `limit` per `intervalMs`. */
export interface AdvertisedLimit {
  /** Binance: `REQUEST_WEIGHT`, `ORDERS`, `RAW_REQUESTS`. */
  readonly type: string;
  readonly intervalMs: number;
  readonly limit: number;
}

const INTERVAL_MS: Readonly<Record<string, number>> = {
  SECOND: 1_000,
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
};

/** The `rateLimits` of a Binance-style `exchangeInfo` body, validated; none: `[]`. */
export function advertisedLimits(body: string): AdvertisedLimit[] {
  if (!body.includes('"rateLimits"')) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const raw = (parsed as { rateLimits?: unknown })?.rateLimits;
  if (!Array.isArray(raw)) return [];
  const out: AdvertisedLimit[] = [];
  for (const r of raw as Record<string, unknown>[]) {
    const unit = INTERVAL_MS[String(r?.interval)];
    const n = Number(r?.intervalNum ?? 1);
    const limit = Number(r?.limit);
    if (!unit || !Number.isSafeInteger(n) || n <= 0 || !Number.isSafeInteger(limit) || limit <= 0)
      continue;
    out.push({ type: String(r.rateLimitType), intervalMs: unit * n, limit });
  }
  return out;
}

/** What the gate did, and the ban in force. */
export interface RequestGate {
  /** Requests refused without being sent (a ban in force, or no budget in time). */
  readonly refused: number;
  /** Bans recorded from 429/418 answers. */
  readonly bans: number;
  /** The ban this process knows of, if one is in force. */
  bannedUntil(): Ban | undefined;
}

/** A request refused by the gate: nothing was sent. `retryAfterMs` says when to try again. */
export class VenueRateLimitedError extends KairosError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super('VENUE_RATE_LIMITED', message);
  }
}

type Fetch2 = (
  path: unknown,
  api?: unknown,
  method?: string,
  params?: object,
  headers?: unknown,
  body?: unknown,
  config?: object,
) => Promise<unknown>;

type OnRestResponse = (
  status: number,
  statusText: string,
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string,
  ...rest: unknown[]
) => string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Puts a ccxt exchange behind the shared request budget. Before every REST request (ccxt's
 * `fetch2`, so internal calls like `loadMarkets` count too) it takes the request's weight (ccxt's
 * cost of the endpoint) from the budget, waiting for refill up to `maxWaitMs`; while a ban is in
 * force it refuses at once with `VENUE_RATE_LIMITED` and sends nothing. Every HTTP 429 or 418
 * answer becomes a ban (`banFromResponse`: Retry-After, Binance's "banned until") recorded on the
 * venue's scope, so every process sharing the budget stops until it ends, and raises an alert:
 * `VENUE_RATE_LIMITED` (429) or `VENUE_BANNED` (418). The ban is also kept in this process, so no
 * request slips out before a remote budget has stored it.
 *
 * @example
 * const gate = installRequestGate(exchange, { budget, venue: 'binance', onAlert });
 */
export function installRequestGate(exchange: Exchange, options: RequestGateOptions): RequestGate {
  const now = options.now ?? (() => Date.now());
  const key = options.key ?? options.venue;
  const maxWaitMs = options.maxWaitMs ?? 10_000;
  let local: Ban | undefined;
  let alertedUntil = 0;
  const state = { refused: 0, bans: 0 };
  const target = exchange as unknown as { fetch2: Fetch2; onRestResponse: OnRestResponse };
  const fetch2 = target.fetch2.bind(exchange);
  const onRestResponse = target.onRestResponse.bind(exchange);

  const refuse = (reason: string, retryAfterMs: number): never => {
    state.refused++;
    throw new VenueRateLimitedError(
      `${options.venue}: ${reason}; the request was not sent (retry in ${Math.ceil(retryAfterMs / 1000)} s)`,
      retryAfterMs,
    );
  };

  const admit = async (weight: number): Promise<void> => {
    const start = now();
    for (;;) {
      const t = now();
      if (local && local.untilMs > t) refuse(local.reason, local.untilMs - t);
      const r = await options.budget.take(key, weight);
      if (r.ok) return;
      if (r.ban !== undefined) refuse(r.ban, r.retryAfterMs);
      if (now() - start + r.retryAfterMs > maxWaitMs)
        refuse('request budget exhausted', r.retryAfterMs);
      await sleep(r.retryAfterMs);
    }
  };

  const perCost = options.weightPerCost ?? 1;
  target.fetch2 = async (path, api, method, params, headers, body, config) => {
    const cost = exchange.calculateRateLimiterCost(api, method, path, params ?? {}, config ?? {});
    const weight = Math.max(1, Math.round((Number(cost) || 1) * perCost));
    await admit(Math.min(weight, options.maxWeight?.() ?? weight));
    try {
      return await fetch2(path, api, method, params, headers, body, config);
    } catch (e) {
      // A 429/418 just recorded: the error says until when (`retryAfterMs`), like a refusal.
      const t = now();
      if (local && local.untilMs > t && e instanceof Error && !('retryAfterMs' in e))
        Object.assign(e, { retryAfterMs: local.untilMs - t });
      throw e;
    }
  };

  target.onRestResponse = (status, statusText, url, method, headers, body, ...rest) => {
    if (status === 200 && options.onRateLimits && typeof body === 'string') {
      const limits = advertisedLimits(body);
      if (limits.length > 0) options.onRateLimits(limits);
    }
    if (status === 429 || status === 418) {
      const t = now();
      const ban = banFromResponse({ status, headers, body }, t);
      if (ban) {
        if (!local || local.untilMs <= t || ban.untilMs > local.untilMs) local = ban;
        state.bans++;
        options.budget.block(options.venue, ban.untilMs, ban.reason).catch(() => undefined);
        if (ban.untilMs > alertedUntil) {
          alertedUntil = ban.untilMs;
          options.onAlert?.({
            kind: 'Alert',
            code: status === 418 ? 'VENUE_BANNED' : 'VENUE_RATE_LIMITED',
            message: `${options.venue}: ${ban.reason}; no requests until then`,
            ts: t,
          });
        }
      }
    }
    return onRestResponse(status, statusText, url, method, headers, body, ...rest);
  };

  return {
    get refused() {
      return state.refused;
    },
    get bans() {
      return state.bans;
    },
    bannedUntil: () => (local && local.untilMs > now() ? local : undefined),
  };
}
