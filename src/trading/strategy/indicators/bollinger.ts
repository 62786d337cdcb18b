import type { Bar } from '../../data/market-data.js';
import { ExactWindowSum } from './exact-window-sum.js';
import type { JsonObject } from '../strategy-context.js';
import { checkPeriod, pick, type Indicator, type IndicatorInput } from './indicator.js';
import { decodeNumbers, encodeNumber, savedState } from './state-codec.js';

/** Bollinger bands. */
export interface BandsValue {
  readonly upper: number;
  readonly middle: number;
  readonly lower: number;
}

class Bollinger implements Indicator<BandsValue> {
  readonly name: string;
  value: BandsValue | null = null;
  count = 0;
  readonly #sum: ExactWindowSum;
  readonly #window: Float64Array;

  constructor(
    readonly period: number,
    readonly k: number,
    readonly input: IndicatorInput,
  ) {
    this.name = `BB(${period},${k})`;
    this.#sum = new ExactWindowSum(period);
    this.#window = new Float64Array(period);
  }

  get isReady(): boolean {
    return this.value !== null;
  }

  updateBar(bar: Bar): void {
    this.updateValue(pick(bar, this.input));
  }

  updateValue(x: number): void {
    this.#sum.push(x);
    this.#window[this.count % this.period] = x;
    if (++this.count < this.period) return;
    const middle = this.#sum.mean();
    let sq = 0;
    for (let i = 0; i < this.period; i++) sq += (this.#window[i]! - middle) ** 2;
    const sd = Math.sqrt(sq / this.period);
    this.value = { upper: middle + this.k * sd, middle, lower: middle - this.k * sd };
  }

  saveState(): JsonObject {
    const { name, count: n, value: v } = this;
    return {
      name,
      n,
      value: v && [encodeNumber(v.upper), encodeNumber(v.middle), encodeNumber(v.lower)],
      window: Array.from(this.#window, encodeNumber),
      sum: this.#sum.save(),
    };
  }

  restoreState(state: JsonObject): void {
    const s = savedState(this.name, state);
    const at = this.name;
    const v = s.value === null ? null : decodeNumbers(s.value, `${at}.value`, 3);
    this.#window.set(decodeNumbers(s.window, `${at}.window`, this.period));
    this.#sum.restore(s.sum, `${at}.sum`);
    this.value = v && { upper: v[0]!, middle: v[1]!, lower: v[2]! };
    this.count = s.n;
  }
}

/**
 * Bollinger bands: the exact SMA ± k population standard deviations of the window.
 *
 * @example
 * indicators: () => ({ bands: bollinger(20, 2) })
 */
export function bollinger(
  period = 20,
  k = 2,
  input: IndicatorInput = 'close',
): Indicator<BandsValue> {
  checkPeriod('bollinger', 'period', period);
  if (!Number.isFinite(k) || k <= 0)
    throw new RangeError(`bollinger: k must be a positive number, was ${k}`);
  return new Bollinger(period, k, input);
}
