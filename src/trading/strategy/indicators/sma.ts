import type { Bar } from '../../data/market-data.js';
import { ExactWindowSum } from './exact-window-sum.js';
import type { JsonObject } from '../strategy-context.js';
import { checkPeriod, pick, type Indicator, type IndicatorInput } from './indicator.js';
import { decodeNullable, encodeNullable, savedState } from './state-codec.js';

class Sma implements Indicator<number> {
  readonly name: string;
  value: number | null = null;
  count = 0;
  readonly #sum: ExactWindowSum;

  constructor(
    readonly period: number,
    readonly input: IndicatorInput,
  ) {
    this.name = `SMA(${period})`;
    this.#sum = new ExactWindowSum(period);
  }

  get isReady(): boolean {
    return this.value !== null;
  }

  updateBar(bar: Bar): void {
    this.updateValue(pick(bar, this.input));
  }

  updateValue(x: number): void {
    this.#sum.push(x);
    if (++this.count >= this.period) this.value = this.#sum.mean();
  }

  saveState(): JsonObject {
    const { name, count: n, value } = this;
    return { name, n, value: encodeNullable(value), sum: this.#sum.save() };
  }

  restoreState(state: JsonObject): void {
    const s = savedState(this.name, state);
    this.#sum.restore(s.sum, `${this.name}.sum`);
    this.value = decodeNullable(s.value, `${this.name}.value`);
    this.count = s.n;
  }
}

/**
 * A simple moving average with an exact window sum: two windows with the same exact mean give
 * the identical number, whatever the order of their values (see docs/indicators.md).
 *
 * @example
 * indicators: (p) => ({ fast: sma(p.fast), slow: sma(p.slow, 'hlc3') })
 */
export function sma(period: number, input: IndicatorInput = 'close'): Indicator<number> {
  checkPeriod('sma', 'period', period);
  return new Sma(period, input);
}
