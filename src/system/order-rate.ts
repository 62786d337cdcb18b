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
 * The new orders of one account in the venue's order-rate window (a sliding log of their times
 * and client order ids): `admit` takes a slot now, or says how long until one is free. Every new
 * order of the account counts, a trader's (`POST /orders`) and a strategy's (the risk gate): an
 * order that holds a slot already (taken at entry, then asked by the gate) takes no other. Orders
 * refused here are never sent, so the venue never answers the account 429 for its order rate (nor
 * bans the key).
 *
 * @example
 * const rate = new OrderRate(() => BINANCE_ORDER_LIMIT);
 * const waitMs = rate.admit(Date.now(), 'k1f0…'); // 0: admitted
 */
export class OrderRate {
  #slots: { readonly t: number; readonly id: string }[] = [];

  constructor(private readonly rule: () => OrderLimit) {}

  /** 0 when order `id` may go now (its slot taken, or held already), else the ms until a slot frees. */
  admit(now: number, id: string): number {
    const { limit, intervalMs } = this.rule();
    const from = now - intervalMs;
    let drop = 0;
    while (drop < this.#slots.length && this.#slots[drop]!.t <= from) drop++;
    if (drop > 0) this.#slots = this.#slots.slice(drop);
    if (this.#slots.some((s) => s.id === id)) return 0;
    if (this.#slots.length < limit) {
      this.#slots.push({ t: now, id });
      return 0;
    }
    return Math.max(1, this.#slots[this.#slots.length - limit]!.t + intervalMs - now);
  }
}

/** What a full window says: the account, the venue's limit, when the next order is taken. */
export function orderRateDetail(
  accountId: string,
  limit: OrderLimit,
  retryAfterMs: number,
): string {
  return `account ${accountId} has placed its venue's ${limit.limit} orders per ${limit.intervalMs / 1000} s; nothing was sent; the next is taken in ${Math.ceil(retryAfterMs / 1000)} s`;
}
