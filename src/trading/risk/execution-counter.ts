import type { OrderSide } from '../model/order-types.js';

interface Execution {
  readonly ts: number;
  readonly clientOrderId: string;
}

/** The key of the account-wide list (every strategy). */
// Stryker disable next-line StringLiteral: equivalent, any key no strategy id can be ('' neither)
const ANY = '*';

/**
 * Counts executed orders (an order counts once, at its first fill seen) per strategy, instrument
 * and side, and for the whole account, over trailing windows, on the times it is given (never
 * the wall clock). Each list keeps at most `keep` newest executions, which is all a limit of
 * `keep` or fewer needs.
 *
 * @example
 * const c = new ExecutionCounter();
 * c.record('sma', 'BTC/USDT', 'BUY', 'K-1', 1_000, 10);
 * c.count('sma', 'BTC/USDT', 'BUY', 2_000, 60_000); // 1
 */
export class ExecutionCounter {
  readonly #lists = new Map<string, Execution[]>();

  /** Records a fill of an order (later fills of the same order are not counted again). */
  record(
    strategyId: string,
    instrumentId: string,
    side: OrderSide,
    clientOrderId: string,
    ts: number,
    keep: number,
  ): void {
    for (const who of [strategyId, ANY]) {
      const key = `${who}|${instrumentId}|${side}`;
      const list = this.#lists.get(key) ?? [];
      if (list.some((e) => e.clientOrderId === clientOrderId)) continue;
      list.push({ ts, clientOrderId });
      // Stryker disable next-line ConditionalExpression: memory only, the count reads the newest `keep`
      while (list.length > Math.max(1, keep)) list.shift();
      this.#lists.set(key, list);
    }
  }

  /**
   * Orders of `strategyId` (null: any strategy) in the instrument and side that executed after
   * `now - windowMs`.
   */
  count(
    strategyId: string | null,
    instrumentId: string,
    side: OrderSide,
    now: number,
    windowMs: number,
  ): number {
    const list = this.#lists.get(`${strategyId ?? ANY}|${instrumentId}|${side}`) ?? [];
    let n = 0;
    for (const e of list) if (e.ts > now - windowMs) n++;
    return n;
  }
}
