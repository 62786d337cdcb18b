import type { JsonValue } from '../strategy-context.js';
import { decodeNullable, encodeNullable } from './state-codec.js';

/**
 * The exponential average of trading-signals' `EMA`, operation for operation (so the same
 * doubles): weight w = 2 / (period + 1), each input x gives x·w + previous·(1 − w), the first
 * input standing in for the previous one. Its state is that one number.
 *
 * @example
 * const e = new EmaCore(3);
 * e.update(10); // 10
 * e.update(12); // 11
 */
export class EmaCore {
  /** The last average, or null before the first input. */
  result: number | null = null;
  readonly #w: number;

  constructor(readonly period: number) {
    this.#w = 2 / (period + 1);
  }

  update(x: number): number {
    const w = this.#w;
    return (this.result = x * w + (this.result ?? x) * (1 - w));
  }

  save(): JsonValue {
    return encodeNullable(this.result);
  }

  restore(v: JsonValue | undefined, at: string): void {
    this.result = decodeNullable(v, at);
  }
}
