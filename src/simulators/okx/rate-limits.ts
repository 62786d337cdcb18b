import type { OkxRoute } from './okx-context.js';
import type { OkxParams } from './okx-params.js';

/** What one request costs in one of OKX's limit windows: `cost` of `limit` per `windowMs` under `key`. */
export interface RateCharge {
  readonly key: string;
  readonly limit: number;
  /** OKX's fixed window of this endpoint: 2 s for most, 1 s for some (`asset/currencies`). */
  readonly windowMs: number;
  readonly cost: number;
}

/** The place order endpoint: a batch of one order is counted against its limit (OKX's rule). */
const PLACE_ORDER = {
  method: 'POST',
  path: '/api/v5/trade/order',
  limit: 60,
  windowMs: 2_000,
} as const;

/**
 * What a request costs, as OKX documents its limits: each endpoint and method has its own
 * window (`GET` and `POST trade/order` are two endpoints: get order details, place order), per
 * User ID on private endpoints (`who`: the API key) or per IP on public ones, and per
 * instrument too where the endpoint's rule says "User ID + Instrument ID" (`perInstrument`:
 * place, cancel, get order). `trade/batch-orders` counts orders, not requests, per instrument;
 * a batch of one order is counted as a place order ("it will consume the rate limit of Place
 * order").
 */
export function chargesOf(route: OkxRoute, ps: readonly OkxParams[], who: string): RateCharge[] {
  const key = (method: string, path: string, instId?: string) =>
    `${method} ${path} ${who}${instId === undefined ? '' : ` ${instId}`}`;
  const instOf = (p: OkxParams | undefined) => p?.get('instId') ?? '';
  if (route.batch && ps.length === 1)
    return [
      {
        key: key(PLACE_ORDER.method, PLACE_ORDER.path, instOf(ps[0])),
        limit: PLACE_ORDER.limit,
        windowMs: PLACE_ORDER.windowMs,
        cost: 1,
      },
    ];
  if (route.batch) {
    const perInst = new Map<string, number>();
    for (const p of ps) perInst.set(instOf(p), (perInst.get(instOf(p)) ?? 0) + 1);
    return [...perInst].map(([inst, n]) => ({
      key: key(route.method, route.path, inst),
      limit: route.limit,
      windowMs: route.windowMs,
      cost: n,
    }));
  }
  const inst = route.perInstrument ? instOf(ps[0]) : undefined;
  return [
    {
      key: key(route.method, route.path, inst),
      limit: route.limit,
      windowMs: route.windowMs,
      cost: 1,
    },
  ];
}

/**
 * OKX's request limits: each charge's key allows `limit` in a fixed window of its `windowMs`; a request
 * over any of them is refused with HTTP 429, code 50011, and no Retry-After, and counts in
 * none. `forceNext(n)` refuses the next `n` requests whatever their count (a fault switch).
 * `scale` multiplies every limit, rounded, at least 1 (0: no limit).
 *
 * @example
 * const limits = new OkxRateLimits(1);
 * if (!limits.allow(now, chargesOf(route, params, apiKey))) throw OkxErrors.tooMany();
 */
export class OkxRateLimits {
  readonly #windows = new Map<string, { start: number; count: number }>();
  #forced = 0;
  /** Requests refused so far. */
  refused = 0;

  constructor(private readonly scale: number) {}

  /** Refuses the next `n` requests with 429. */
  forceNext(n: number): void {
    this.#forced = n;
  }

  /** Counts one request's charges; false (nothing counted, the refusal counted) when one is over. */
  allow(now: number, charges: readonly RateCharge[]): boolean {
    if (this.#forced > 0) {
      this.#forced--;
      this.refused++;
      return false;
    }
    if (this.scale <= 0) return true;
    const windows = charges.map((c) => {
      const start = Math.floor(now / c.windowMs) * c.windowMs;
      let w = this.#windows.get(c.key);
      if (!w || w.start !== start) this.#windows.set(c.key, (w = { start, count: 0 }));
      return w;
    });
    const allowed = (limit: number) => Math.max(1, Math.round(limit * this.scale));
    if (charges.some((c, i) => windows[i]!.count + c.cost > allowed(c.limit))) {
      this.refused++;
      return false;
    }
    charges.forEach((c, i) => (windows[i]!.count += c.cost));
    return true;
  }
}
