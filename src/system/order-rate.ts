/** A venue's order-rate limit: at most `limit` new orders per `intervalMs` per account. */
export interface OrderLimit {
  readonly limit: number;
  readonly intervalMs: number;
}

/**
 * Binance spot's documented order rate per account: 50 new orders per 10 s (the `ORDERS` limit
 * its `exchangeInfo` advertises; a venue that advertises one replaces it).
 */
export const BINANCE_ORDER_LIMIT: OrderLimit = { limit: 50, intervalMs: 10_000 };

/**
 * The new orders of one account in the venue's order-rate window (a sliding log of their
 * times): `admit` takes a slot now, or says how long until one is free. Orders refused here are
 * never sent, so the venue never answers the account 429 for its order rate (nor bans the key).
 *
 * @example
 * const rate = new OrderRate(() => BINANCE_ORDER_LIMIT);
 * const waitMs = rate.admit(Date.now()); // 0: admitted
 */
export class OrderRate {
  #times: number[] = [];

  constructor(private readonly rule: () => OrderLimit) {}

  /** 0 when an order may go now (its slot taken), else the ms until the oldest slot frees. */
  admit(now: number): number {
    const { limit, intervalMs } = this.rule();
    const from = now - intervalMs;
    let drop = 0;
    while (drop < this.#times.length && this.#times[drop]! <= from) drop++;
    if (drop > 0) this.#times = this.#times.slice(drop);
    if (this.#times.length < limit) {
      this.#times.push(now);
      return 0;
    }
    return Math.max(1, this.#times[this.#times.length - limit]! + intervalMs - now);
  }
}
