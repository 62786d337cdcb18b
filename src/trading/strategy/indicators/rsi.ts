import type { JsonObject } from '../strategy-context.js';
import { checkPeriod, type Indicator, type IndicatorInput } from './indicator.js';
import { RecursiveIndicator } from './recursive-indicator.js';
import { decodeNullable, encodeNullable } from './state-codec.js';
import { WilderAverage } from './wilder-average.js';

class Rsi extends RecursiveIndicator<number> {
  readonly #gain: WilderAverage;
  readonly #loss: WilderAverage;
  #previous: number | null = null;

  constructor(
    readonly length: number,
    input: IndicatorInput,
  ) {
    super(`RSI(${length})`, length + 1, input);
    this.#gain = new WilderAverage(length);
    this.#loss = new WilderAverage(length);
  }

  protected next(x: number): number | null {
    const previous = this.#previous;
    this.#previous = x;
    // trading-signals compares with the input before among the last `length` ones: none at 1.
    if (previous === null || this.length < 2) return null;
    const gain = this.#gain.update(x > previous ? x - previous : 0);
    const loss = this.#loss.update(x > previous ? 0 : previous - x);
    if (gain === null || loss === null) return null;
    return loss === 0 ? 100 : 100 - 100 / (gain / loss + 1);
  }

  protected fields(): JsonObject {
    return {
      previous: encodeNullable(this.#previous),
      gain: this.#gain.save(),
      loss: this.#loss.save(),
    };
  }

  protected take(s: JsonObject): void {
    const at = this.name;
    this.#gain.restore(s.gain, `${at}.gain`);
    this.#loss.restore(s.loss, `${at}.loss`);
    this.#previous = decodeNullable(s.previous, `${at}.previous`);
  }
}

/**
 * Relative strength index, 0–100, with Wilder's smoothing of gains and losses (seeded with their
 * plain mean); ready after `period + 1` inputs. The same doubles as trading-signals' `RSI`, with
 * a state that can be saved.
 *
 * @example
 * indicators: (p) => ({ rsi: rsi(p.period) })
 */
export function rsi(period: number, input: IndicatorInput = 'close'): Indicator<number> {
  checkPeriod('rsi', 'period', period);
  return new Rsi(period, input);
}
