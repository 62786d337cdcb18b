import type { JsonObject, JsonValue } from '../strategy-context.js';
import { decodeNullable, decodeNumbers, encodeNullable, encodeNumber } from './state-codec.js';

/**
 * Wilder's smoothing as trading-signals' `WSMA` computes it, operation for operation: the plain
 * mean of the first `period` inputs (summed from 0 in order, then divided), then each input x
 * moves the average a by (x − a) · (1 / period). Its state: the first inputs until the mean is
 * taken, then the average.
 *
 * @example
 * const a = new WilderAverage(2);
 * a.update(1); // null
 * a.update(3); // 2
 * a.update(4); // 3
 */
export class WilderAverage {
  result: number | null = null;
  #first: number[] = [];
  readonly #k: number;

  constructor(readonly period: number) {
    this.#k = 1 / period;
  }

  update(x: number): number | null {
    const a = this.result;
    if (a !== null) return (this.result = (x - a) * this.#k + a);
    this.#first.push(x);
    if (this.#first.length < this.period) return null;
    let sum = 0;
    for (const v of this.#first) sum += v;
    this.#first = [];
    return (this.result = sum / this.period);
  }

  save(): JsonObject {
    return { first: this.#first.map(encodeNumber), result: encodeNullable(this.result) };
  }

  restore(state: JsonValue | undefined, at: string): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state))
      throw new RangeError(`indicator state: ${at} is not an object`);
    const first = decodeNumbers(state.first, `${at}.first`);
    const result = decodeNullable(state.result, `${at}.result`);
    if (first.length >= this.period || (result !== null && first.length > 0))
      throw new RangeError(`indicator state: ${at}.first does not fit the average`);
    this.#first = first;
    this.result = result;
  }
}
