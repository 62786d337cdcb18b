import type { Decimal } from '../core/decimal.js';

const DAY_MS = 86_400_000;

/**
 * The account's PnL since the start of the UTC day (fees included, positions marked at the last
 * prices), for the daily loss limit. The equity at a day's start is taken at the first moment
 * of that day the engine sees (`observe`, called before each market event is applied), so a
 * loss during the day always counts.
 *
 * @example
 * const day = new DayPnl(() => ledger.equity('USDT', marks, quoteOf));
 * day.observe(bar.openTime);
 * day.value(clock.now()); // e.g. -120.5
 */
export class DayPnl {
  #day = Number.NaN;
  #start: Decimal | null = null;

  constructor(private readonly equity: () => Decimal) {}

  /** Moves to the UTC day of `ts`; a new day takes the equity now as its start. */
  observe(ts: number): void {
    const day = Math.floor(ts / DAY_MS);
    if (day === this.#day) return;
    this.#day = day;
    this.#start = this.equity();
  }

  /** PnL since the start of the day of `ts`. */
  value(ts: number): Decimal {
    this.observe(ts);
    return this.equity().minus(this.#start!);
  }
}
