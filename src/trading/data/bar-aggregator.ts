import type { Bar, TradeTick } from './market-data.js';

/**
 * Builds time bars from trades: bars are aligned to multiples of the interval since the epoch;
 * a bar is emitted when the first trade of a later interval arrives (or on `flush`); intervals
 * without trades make no bar. OHLC from trade prices, volume = Σ sizes.
 *
 * @example
 * const agg = new BarAggregator(60_000, (bar) => onBar(bar));
 * agg.push(tick); ... agg.flush();
 */
export class BarAggregator {
  #start = NaN;
  #open = 0;
  #high = 0;
  #low = 0;
  #close = 0;
  #volume = 0;
  #instrumentId = '';

  constructor(
    readonly intervalMs: number,
    private readonly emit: (bar: Bar) => void,
  ) {
    if (!Number.isInteger(intervalMs) || intervalMs <= 0)
      throw new RangeError(`bar interval must be a positive integer of ms, was ${intervalMs}`);
  }

  /** Adds a trade (trades must come in time order). */
  push(t: TradeTick): void {
    const start = t.ts - (((t.ts % this.intervalMs) + this.intervalMs) % this.intervalMs);
    if (start !== this.#start) {
      this.flush();
      this.#start = start;
      this.#instrumentId = t.instrumentId;
      this.#open = this.#high = this.#low = t.price;
      this.#volume = 0;
    }
    if (t.price > this.#high) this.#high = t.price;
    if (t.price < this.#low) this.#low = t.price;
    this.#close = t.price;
    this.#volume += t.size;
  }

  /** Emits the bar in progress, if any. */
  flush(): void {
    if (Number.isNaN(this.#start)) return;
    const openTime = this.#start;
    this.#start = NaN;
    this.emit({
      instrumentId: this.#instrumentId,
      openTime,
      closeTime: openTime + this.intervalMs,
      open: this.#open,
      high: this.#high,
      low: this.#low,
      close: this.#close,
      volume: this.#volume,
    });
  }
}
