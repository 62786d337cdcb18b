/**
 * Since when, in wall-clock time, each order's outcome has been unknown: what the
 * `unresolved-orders` readiness check and the oldest-unresolved gauge read. Order timestamps
 * are the trading clock's (bar time in a replay), so the age is measured here instead, from the
 * moment an order was first seen unresolved. Holds only unresolved orders.
 *
 * @example
 * const watch = new UnresolvedOrders(Date.now);
 * watch.mark('c-1', true); // on each order event: is it still unresolved?
 * watch.sync(core.unresolvedIds()); // before reading: the core's own list wins
 * watch.oldest(); // { count: 1, oldestMs: 12 }
 */
export class UnresolvedOrders {
  readonly #since = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Records an order's state after one of its events. */
  mark(clientOrderId: string, unresolved: boolean): void {
    if (!unresolved) this.#since.delete(clientOrderId);
    else if (!this.#since.has(clientOrderId)) this.#since.set(clientOrderId, this.now());
  }

  /** Makes the set exactly `ids` (orders missed are dated now; resolved ones are dropped). */
  sync(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const id of this.#since.keys()) if (!keep.has(id)) this.#since.delete(id);
    for (const id of keep) this.mark(id, true);
  }

  /** How many are unresolved, and for how long the oldest has been (0 when none). */
  oldest(): { count: number; oldestMs: number } {
    const now = this.now();
    let oldestMs = 0;
    for (const since of this.#since.values()) oldestMs = Math.max(oldestMs, now - since);
    return { count: this.#since.size, oldestMs };
  }
}
