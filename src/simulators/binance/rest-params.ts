import { toDecimal, type Decimal } from '../../trading/core/decimal.js';
import { BinanceErrors } from './binance-error.js';

const DECIMAL = /^([0-9]{1,20})(\.[0-9]{1,20})?$/;
const INTEGER = /^-?[0-9]{1,20}$/;

/**
 * Reads a request's parameters the way Binance checks them: -1102 for a missing mandatory one,
 * -1100 for illegal characters, -1130 for a bad `limit`.
 *
 * @example
 * const p = new RestParams(new Map([['limit', '5']]));
 * p.limit(500, 1000); // 5
 */
export class RestParams {
  constructor(readonly raw: ReadonlyMap<string, string>) {}

  /** The value, or undefined when absent or empty. */
  get(name: string): string | undefined {
    const v = this.raw.get(name);
    return v === undefined || v === '' ? undefined : v;
  }

  /** A mandatory parameter. */
  need(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw BinanceErrors.mandatory(name);
    return v;
  }

  /** An optional integer parameter. */
  int(name: string): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!INTEGER.test(v)) throw BinanceErrors.illegalChars(name);
    return Number(v);
  }

  /** An optional decimal parameter (digits and one dot only). */
  decimal(name: string): Decimal | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!DECIMAL.test(v)) throw BinanceErrors.illegalDecimal(name);
    return toDecimal(v);
  }

  /** `limit`: `fallback` when absent, else an integer in [1, max]. */
  limit(fallback: number, max: number): number {
    const v = this.get('limit');
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw BinanceErrors.badLimit();
    return n;
  }

  /** One of the allowed values, or the error `bad()` makes. */
  oneOf<T extends string>(name: string, allowed: readonly T[], bad: () => Error): T | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) throw bad();
    return v as T;
  }
}
