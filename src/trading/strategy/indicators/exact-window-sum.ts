import type { JsonObject, JsonValue } from '../strategy-context.js';
import { decodeNumber, decodeNumbers, encodeNumber } from './state-codec.js';

const SCALE = 1e8;
/** Sums stay float64 integers below this (2^52 leaves room for one more value); BigInt above. */
const LIMIT = 2 ** 52;
const BIG_LIMIT = BigInt(LIMIT);

/**
 * An exact sum of the last `size` values. Each value is held as the integer round(x × 10^8)
 * (market data has at most 8 decimals; finer digits are quantized), so the sum is an integer and
 * does not depend on the order of the values or drift over time. It is a float64 integer while
 * it stays below 2^53 and a BigInt beyond, so it is exact at any size.
 *
 * @example
 * const s = new ExactWindowSum(3);
 * s.push(0.1); s.push(0.2); s.push(0.3);
 * s.mean(); // 0.2 exactly as the windows [0.2, 0.2, 0.2] give
 */
export class ExactWindowSum {
  readonly #ring: Float64Array;
  #head = 0;
  #count = 0;
  #sum = 0;
  #big: bigint | null = null;

  constructor(readonly size: number) {
    this.#ring = new Float64Array(size);
  }

  /** Values in the window. */
  get length(): number {
    return this.#count < this.size ? this.#count : this.size;
  }

  /** Adds a value, dropping the oldest once the window is full. */
  push(x: number): void {
    const v = Math.round(x * SCALE);
    const ring = this.#ring;
    const out = this.#count >= this.size ? ring[this.#head]! : 0;
    ring[this.#head] = v;
    this.#head = this.#head + 1 === this.size ? 0 : this.#head + 1;
    this.#count++;
    if (this.#big === null) {
      const next = this.#sum + v - out;
      if (Math.abs(next) < LIMIT && Math.abs(v) < LIMIT) {
        this.#sum = next;
        return;
      }
      this.#big = BigInt(this.#sum);
    }
    this.#big = this.#big + BigInt(v) - BigInt(out);
    if (this.#big < BIG_LIMIT && this.#big > -BIG_LIMIT) {
      this.#sum = Number(this.#big);
      this.#big = null;
    }
  }

  /** The scaled integer sum, exact. */
  scaledSum(): bigint {
    return this.#big ?? BigInt(this.#sum);
  }

  /**
   * The mean of the window. Equal exact means give the identical float: S/n is a correctly
   * rounded division of exact integers, so equal rationals round to the same double, and the
   * division by 10^8 then maps equal doubles to equal doubles.
   */
  mean(): number {
    const n = this.length;
    if (this.#big === null) return this.#sum / n / SCALE;
    // Beyond 2^53 the sum is rounded once here; the mean keeps its 15-16 significant digits.
    return Number(this.#big) / n / SCALE;
  }

  /** The window as plain JSON: its scaled integers, the ring's head, the count and the sum. */
  save(): JsonObject {
    return {
      ring: Array.from(this.#ring, encodeNumber),
      head: this.#head,
      count: this.#count,
      sum: encodeNumber(this.#sum),
      big: this.#big === null ? null : this.#big.toString(),
    };
  }

  /** Takes back what `save` of a window of the same size wrote (`at` names it in errors). */
  restore(saved: JsonValue | undefined, at: string): void {
    if (typeof saved !== 'object' || saved === null || Array.isArray(saved))
      throw new RangeError(`indicator state: ${at} is not an object`);
    const state = saved;
    const ring = decodeNumbers(state.ring, `${at}.ring`, this.size);
    const { head, count, big } = state;
    if (!Number.isInteger(head) || (head as number) < 0 || (head as number) >= this.size)
      throw new RangeError(`indicator state: ${at}.head is not a position in the window`);
    if (!Number.isSafeInteger(count) || (count as number) < 0)
      throw new RangeError(`indicator state: ${at}.count is not a count`);
    if (big !== null && (typeof big !== 'string' || !/^-?\d+$/.test(big)))
      throw new RangeError(`indicator state: ${at}.big is not an integer`);
    this.#ring.set(ring);
    this.#head = head as number;
    this.#count = count as number;
    this.#sum = decodeNumber(state.sum, `${at}.sum`);
    this.#big = big === null ? null : BigInt(big);
  }
}
