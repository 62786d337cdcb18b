import { AsyncLocalStorage } from 'node:async_hooks';
import type { Exchange } from 'ccxt';
import { banFromResponse } from '../../../scalability/rate-limit/ban-from-response.js';
import type { Ban, RequestBudget } from '../../../scalability/rate-limit/request-budget.js';
import { KairosError } from '../../core/errors.js';
import type { Alert } from '../../model/alert.js';
import { isCcxt } from './error-mapping.js';

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
  /**
   * The pause after a rate limit that does not say how long (a 429 with no Retry-After, a
   * rate-limit error with no ban time): `initialMs` (1 000), doubled for each such limit met
   * again by a request sent after the last pause began, at most `maxMs` (60 000); back to
   * `initialMs` once such a request is answered. Answers to requests sent before a pause began
   * (the rest of the same burst) do not lengthen it.
   */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * The venue limits each endpoint on its own (OKX: so many requests per 2 s per endpoint): a
   * limit that does not say how long pauses only its endpoint (method and path), not the venue,
   * and only in this process (other processes meet their own limit: the venue counts per account).
   */
  readonly perEndpoint?: boolean;
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

/** A request sent: its endpoint (`GET trade/order`), its number, whether a 429/418 answered it. */
interface InFlight {
  readonly endpoint: string;
  readonly seq: number;
  limited: boolean;
}

/**
 * A pause after limits that did not say how long: how many in a row, the number of the last
 * request sent when it began (answers to those are of the same burst), and the pause.
 */
interface Untimed {
  readonly streak: number;
  readonly lastSent: number;
  readonly ban: Ban;
}

/**
 * Puts a ccxt exchange behind the shared request budget. Before every REST request (ccxt's
 * `fetch2`, so internal calls like `loadMarkets` count too) it takes the request's weight (ccxt's
 * cost of the endpoint) from the budget, waiting for refill up to `maxWaitMs`; while a ban is in
 * force it refuses at once with `VENUE_RATE_LIMITED` and sends nothing. An HTTP 429 or 418 answer
 * that says until when (`banFromResponse`: Retry-After, Binance's "banned until") becomes a ban
 * recorded on the venue's scope, so every process sharing the budget stops until it ends, and
 * raises an alert: `VENUE_RATE_LIMITED` (429) or `VENUE_BANNED` (418). The ban is also kept in
 * this process, so no request slips out before a remote budget has stored it. A 429 (or ccxt's
 * `RateLimitExceeded`) that does not say pauses for an exponential backoff (`backoff`), of the
 * venue or, with `perEndpoint` (OKX), of the endpoint alone; a 418 that does not say, 60 s.
 *
 * @example
 * const gate = installRequestGate(exchange, { budget, venue: 'binance', onAlert });
 */
export function installRequestGate(exchange: Exchange, options: RequestGateOptions): RequestGate {
  const now = options.now ?? (() => Date.now());
  const key = options.key ?? options.venue;
  const maxWaitMs = options.maxWaitMs ?? 10_000;
  const initialMs = options.backoff?.initialMs ?? 1_000;
  const maxMs = options.backoff?.maxMs ?? 60_000;
  let local: Ban | undefined;
  /** The end of the last ban alerted, by scope (`''`: the venue): one alert per ban. */
  const alertedUntil = new Map<string, number>();
  const state = { refused: 0, bans: 0 };
  /** Pauses after limits that did not say how long, by scope: the venue (`''`) or an endpoint. */
  const untimed = new Map<string, Untimed>();
  let sent = 0;
  /** The request being answered: which scope an answer belongs to (requests run concurrently). */
  const current = new AsyncLocalStorage<InFlight>();
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

  /** The ban in force on a request of `endpoint` at `t`: the venue's, or its endpoint's pause. */
  const banOn = (endpoint: string, t: number): Ban | undefined => {
    const own = options.perEndpoint ? untimed.get(endpoint)?.ban : undefined;
    const venue = local && local.untilMs > t ? local : undefined;
    const mine = own && own.untilMs > t ? own : undefined;
    return mine && (!venue || mine.untilMs > venue.untilMs) ? mine : venue;
  };

  const admit = async (weight: number, endpoint: string): Promise<void> => {
    const start = now();
    for (;;) {
      const t = now();
      const ban = banOn(endpoint, t);
      if (ban) refuse(ban.reason, ban.untilMs - t);
      const r = await options.budget.take(key, weight);
      // A pause that began while the budget answered stops this request too.
      const begun = r.ok ? banOn(endpoint, now()) : undefined;
      if (begun) refuse(begun.reason, begun.untilMs - now());
      if (r.ok) return;
      if (r.ban !== undefined) refuse(r.ban, r.retryAfterMs);
      if (now() - start + r.retryAfterMs > maxWaitMs)
        refuse('request budget exhausted', r.retryAfterMs);
      await sleep(r.retryAfterMs);
    }
  };

  const alert = (
    ban: Ban,
    code: 'VENUE_RATE_LIMITED' | 'VENUE_BANNED',
    scope: string,
    t: number,
  ) => {
    if (ban.untilMs <= (alertedUntil.get(scope) ?? 0)) return;
    alertedUntil.set(scope, ban.untilMs);
    const what = scope === '' ? '' : `to ${scope} `;
    options.onAlert?.({
      kind: 'Alert',
      code,
      message: `${options.venue}: ${ban.reason}; no requests ${what}until then`,
      ts: t,
    });
  };

  /** A venue-wide ban: kept here, recorded on the shared budget, alerted once. */
  const banVenue = (ban: Ban, code: 'VENUE_RATE_LIMITED' | 'VENUE_BANNED', t: number) => {
    if (!local || local.untilMs <= t || ban.untilMs > local.untilMs) local = ban;
    state.bans++;
    options.budget.block(options.venue, ban.untilMs, ban.reason).catch(() => undefined);
    alert(ban, code, '', t);
  };

  /**
   * A rate limit that did not say how long: a pause of its scope (the endpoint on a venue that
   * limits per endpoint, else the venue), `initialMs` doubled per limit met again after the last
   * pause. An answer to a request sent before the pause began leaves the pause as it is.
   */
  const limitedUntimed = (call: InFlight, status: string) => {
    const t = now();
    const scope = options.perEndpoint ? call.endpoint : '';
    const prior = untimed.get(scope);
    if (prior && call.seq <= prior.lastSent) return;
    const streak = (prior?.streak ?? 0) + 1;
    const ms = Math.min(maxMs, initialMs * 2 ** Math.min(streak - 1, 30));
    const untilMs = t + ms;
    const where = scope === '' ? '' : ` on ${scope}`;
    const ban: Ban = {
      untilMs,
      reason: `${status} rate limited${where} until ${new Date(untilMs).toISOString()} (not said by the venue: ${ms} ms backoff)`,
    };
    untimed.set(scope, { streak, lastSent: sent, ban });
    if (scope === '') return banVenue(ban, 'VENUE_RATE_LIMITED', t);
    state.bans++;
    alert(ban, 'VENUE_RATE_LIMITED', scope, t);
  };

  /** An answer to a request sent after its scope's pause began: the backoff starts again. */
  const answered = (call: InFlight) => {
    const scope = options.perEndpoint ? call.endpoint : '';
    const prior = untimed.get(scope);
    if (prior && call.seq > prior.lastSent) untimed.delete(scope);
  };

  const perCost = options.weightPerCost ?? 1;
  target.fetch2 = async (path, api, method, params, headers, body, config) => {
    const cost = exchange.calculateRateLimiterCost(api, method, path, params ?? {}, config ?? {});
    const weight = Math.max(1, Math.round((Number(cost) || 1) * perCost));
    const endpoint = `${method ?? 'GET'} ${String(path)}`;
    await admit(Math.min(weight, options.maxWeight?.() ?? weight), endpoint);
    const call: InFlight = { endpoint, seq: ++sent, limited: false };
    try {
      const answer = await current.run(call, () =>
        fetch2(path, api, method, params, headers, body, config),
      );
      if (!call.limited) answered(call);
      return answer;
    } catch (e) {
      // A venue's rate-limit error that is not an HTTP 429 (an error code in a 200): untimed too.
      if (!call.limited && isCcxt(e, 'RateLimitExceeded')) limitedUntimed(call, 'rate-limit error');
      // A 429/418 just recorded: the error says until when (`retryAfterMs`), like a refusal.
      const t = now();
      const ban = banOn(endpoint, t);
      if (ban && e instanceof Error && !('retryAfterMs' in e))
        Object.assign(e, { retryAfterMs: ban.untilMs - t });
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
      const call = current.getStore();
      if (call) call.limited = true;
      // A 418 is a ban, not a limit: when it does not say until when, it lasts `maxMs`.
      const ban = banFromResponse({ status, headers, body }, t, status === 418 ? maxMs : null);
      if (ban) banVenue(ban, status === 418 ? 'VENUE_BANNED' : 'VENUE_RATE_LIMITED', t);
      else
        limitedUntimed(
          call ?? { endpoint: `${method} ${url}`, seq: sent, limited: true },
          'HTTP 429',
        );
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
