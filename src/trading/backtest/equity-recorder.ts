import { toDecimal, type Decimal } from '../core/decimal.js';
import { InvariantError } from '../core/errors.js';
import type { BarColumns } from '../data/bar-columns.js';
import type { Bar } from '../data/market-data.js';
import {
  decimalPlaces,
  decimalToNumber,
  fromScaled,
  scaledInteger,
  signOf,
} from '../core/scaled-decimal.js';

/**
 * Records the equity curve of a one-instrument run without per-bar decimal work: a float64
 * equity per bar for statistics, plus the exact (cash, position) after each fill, from which the
 * exact equity at any bar is cash + position × close. Bars held as columns already
 * (`useColumns`) lend it their close times and prices: it writes only the equity then.
 *
 * @example
 * rec.onFill(ledger.cash('USD'), ledger.position('ORCL').quantity);
 * rec.onBar(bar.closeTime, bar.open, bar.high, bar.low, bar.close);
 */
export class EquityRecorder {
  times: Float64Array;
  equity: Float64Array;
  opens: Float64Array;
  highs: Float64Array;
  lows: Float64Array;
  closes: Float64Array;
  length = 0;
  barsInMarket = 0;
  /** The bars' interval: the first bar's close − open (ms; 0 before it, or when only `onBar` ran). */
  barMs = 0;
  /**
   * Cash and position from one fill on, exact, as columns (one row a fill, no object per fill):
   * the first bar index, the cash as an integer count of its last decimal place with that scale
   * when it fits in 15 digits (else NaN, and the decimal in `#cashExact` by row), the position.
   */
  readonly #from: number[] = [];
  readonly #cashUnits: number[] = [];
  readonly #cashScale: number[] = [];
  readonly #quantity: Decimal[] = [];
  readonly #cashExact = new Map<number, Decimal>();
  #cashF: number;
  #qtyF = 0;
  /**
   * True while the times and prices are views of the bars' own columns (`useColumns`): they are
   * read, never written; only `equity` is this recorder's.
   */
  #lent = false;

  /** `capacity` is a hint of the number of bars (the arrays grow past it). */
  constructor(startCash: Decimal, capacity = 1024) {
    const n = Math.max(16, Math.ceil(capacity));
    this.times = new Float64Array(n);
    this.equity = new Float64Array(n);
    this.opens = new Float64Array(n);
    this.highs = new Float64Array(n);
    this.lows = new Float64Array(n);
    this.closes = new Float64Array(n);
    this.#cashF = decimalToNumber(startCash);
    this.#setRow(0, 0, startCash, toDecimal(0));
  }

  /**
   * Takes the close times and prices of the bars it will record from their columns, rows
   * `[start, end)` in order, instead of copying each bar's: on a fresh page every array written
   * costs (48 MB for 1M bars, about a quarter of a run's CPU that never trades). The bars recorded
   * must be those rows, in that order (`BacktestEngine.runBarColumns`); past `end` it copies them
   * and goes on as usual. Only before the first bar.
   */
  useColumns(cols: BarColumns, start: number, end: number): void {
    if (this.length > 0)
      throw new InvariantError('RECORDER_STARTED', 'equity recorder: columns after the first bar');
    this.times = cols.closeTime.subarray(start, end);
    this.opens = cols.open.subarray(start, end);
    this.highs = cols.high.subarray(start, end);
    this.lows = cols.low.subarray(start, end);
    this.closes = cols.close.subarray(start, end);
    this.equity = new Float64Array(end - start);
    this.#lent = true;
  }

  /** Writes row `row` (a new last row, or the last one again). */
  #setRow(row: number, fromIndex: number, cash: Decimal, quantity: Decimal): void {
    const scale = decimalPlaces(cash);
    const units = signOf(cash) === 0 ? Number.NaN : scaledInteger(cash, scale);
    this.#from[row] = fromIndex;
    this.#cashUnits[row] = units;
    this.#cashScale[row] = Number.isNaN(units) ? 0 : scale;
    this.#quantity[row] = quantity;
    if (Number.isNaN(units)) this.#cashExact.set(row, cash);
    else if (this.#cashExact.size > 0) this.#cashExact.delete(row);
  }

  /** Records the state after a fill; it applies from the next recorded bar on. */
  onFill(cash: Decimal, quantity: Decimal): void {
    this.#cashF = decimalToNumber(cash);
    this.#qtyF = decimalToNumber(quantity);
    const last = this.#from.length - 1;
    this.#setRow(this.#from[last] === this.length ? last : last + 1, this.length, cash, quantity);
  }

  /** Records one bar at its close time. */
  onBar(ts: number, open: number, high: number, low: number, close: number): void {
    if (this.length === this.equity.length) this.#grow();
    const i = this.length++;
    if (!this.#lent) {
      this.times[i] = ts;
      this.opens[i] = open;
      this.highs[i] = high;
      this.lows[i] = low;
      this.closes[i] = close;
    }
    this.equity[i] = this.#cashF + this.#qtyF * close;
    if (this.#qtyF !== 0) this.barsInMarket++;
  }

  /**
   * `onBar` of a bar's close time and prices, read here: passed as five arguments, each price
   * would be boxed anew whenever the call is not inlined.
   */
  recordBar(bar: Bar): void {
    if (this.length === this.equity.length) this.#grow();
    const i = this.length++;
    const close = bar.close;
    if (i === 0) this.barMs = bar.closeTime - bar.openTime;
    if (!this.#lent) {
      this.times[i] = bar.closeTime;
      this.opens[i] = bar.open;
      this.highs[i] = bar.high;
      this.lows[i] = bar.low;
      this.closes[i] = close;
    }
    this.equity[i] = this.#cashF + this.#qtyF * close;
    if (this.#qtyF !== 0) this.barsInMarket++;
  }

  /** The exact equity at recorded bar `index`. */
  exactEquity(index: number): Decimal {
    let lo = 0;
    let hi = this.#from.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#from[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    const units = this.#cashUnits[lo]!;
    const cash = Number.isNaN(units)
      ? this.#cashExact.get(lo)!
      : fromScaled(units, this.#cashScale[lo]!);
    const quantity = this.#quantity[lo]!;
    return signOf(quantity) === 0
      ? cash
      : cash.plus(quantity.times(toDecimal(this.closes[index]!)));
  }

  /** Doubles the arrays (lent ones become copies of their own). */
  #grow(): void {
    const n = Math.max(16, this.equity.length * 2);
    this.#lent = false;
    const grow = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.times = grow(this.times);
    this.equity = grow(this.equity);
    this.opens = grow(this.opens);
    this.highs = grow(this.highs);
    this.lows = grow(this.lows);
    this.closes = grow(this.closes);
  }
}
