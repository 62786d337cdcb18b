import type { Bar } from '../../data/market-data.js';
import type { JsonObject } from '../strategy-context.js';
import { checkPeriod, type Indicator } from './indicator.js';
import { RecursiveIndicator } from './recursive-indicator.js';
import { decodeNullable, encodeNullable } from './state-codec.js';
import { WilderAverage } from './wilder-average.js';

class Atr extends RecursiveIndicator<number> {
  readonly #average: WilderAverage;
  #previousClose: number | null = null;

  constructor(period: number) {
    super(`ATR(${period})`, period, 'close');
    this.#average = new WilderAverage(period);
  }

  override updateBar(bar: Bar): void {
    this.count++;
    const { high, low } = bar;
    const c = this.#previousClose;
    const range =
      c === null ? high - low : Math.max(high - low, Math.abs(high - c), Math.abs(low - c));
    this.#previousClose = bar.close;
    const v = this.#average.update(range);
    if (v !== null) this.value = v;
  }

  /** A single value is a bar whose open, high, low and close are all `x`. */
  override updateValue(x: number): void {
    this.updateBar({
      instrumentId: '',
      openTime: 0,
      closeTime: 0,
      open: x,
      high: x,
      low: x,
      close: x,
      volume: 0,
    });
  }

  protected next(): number | null {
    return null; // not used: updateBar moves the state
  }

  protected fields(): JsonObject {
    return { previousClose: encodeNullable(this.#previousClose), average: this.#average.save() };
  }

  protected take(s: JsonObject): void {
    this.#average.restore(s.average, `${this.name}.average`);
    this.#previousClose = decodeNullable(s.previousClose, `${this.name}.previousClose`);
  }
}

/**
 * Average true range: Wilder's smoothing (seeded with the plain mean) of each bar's true range,
 * fed whole bars; ready after `period` bars. The same doubles as trading-signals' `ATR`, with a
 * state that can be saved.
 *
 * @example
 * indicators: () => ({ atr: atr(14) })
 */
export function atr(period: number): Indicator<number> {
  checkPeriod('atr', 'period', period);
  return new Atr(period);
}
