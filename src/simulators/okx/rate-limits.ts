/** OKX counts requests per endpoint over a 2-second window (per account, or per IP when public). */
export const WINDOW_MS = 2_000;

/**
 * OKX's request limits: each endpoint allows `per2s` requests in a fixed 2-second window, per
 * account (private endpoints) or per IP (public ones); one more is refused with HTTP 429, code
 * 50011, and no Retry-After. `forceNext(n)` refuses the next `n` requests whatever their count
 * (a fault switch). `scale` multiplies every limit (0: no limit).
 *
 * @example
 * const limits = new OkxRateLimits(1);
 * if (!limits.allow(now, '/api/v5/trade/fills-history', apiKey, 10)) throw OkxErrors.tooMany();
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

  /** Counts one request of `who` at `path`; false (and counted as refused) when over the limit. */
  allow(now: number, path: string, who: string, per2s: number): boolean {
    if (this.#forced > 0) {
      this.#forced--;
      this.refused++;
      return false;
    }
    if (this.scale <= 0) return true;
    const key = `${path} ${who}`;
    const start = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    let w = this.#windows.get(key);
    if (!w || w.start !== start) this.#windows.set(key, (w = { start, count: 0 }));
    if (w.count >= per2s * this.scale) {
      this.refused++;
      return false;
    }
    w.count++;
    return true;
  }
}
