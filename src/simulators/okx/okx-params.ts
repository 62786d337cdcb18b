import { toDecimal, type Decimal } from '../../trading/core/decimal.js';
import { OkxErrors } from './okx-error.js';

/** A request's parameters (query, or one JSON object of a POST body), read with OKX's rules. */
export class OkxParams {
  constructor(readonly raw: Readonly<Record<string, unknown>>) {}

  get(name: string): string | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw OkxErrors.param(name);
    return String(v);
  }

  /** A parameter that must be there (50014 when it is not). */
  need(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw OkxErrors.empty(name);
    return v;
  }

  /** A whole number of milliseconds, or undefined (51000 when it is not one). */
  int(name: string): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!/^\d{1,16}$/.test(v)) throw OkxErrors.param(name);
    return Number(v);
  }

  /** A positive decimal (51000 when it is not one). */
  decimal(name: string): Decimal | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!/^\d{1,20}(\.\d{1,20})?$/.test(v) || toDecimal(v).lte(0)) throw OkxErrors.param(name);
    return toDecimal(v);
  }

  /** `limit`: `fallback` when absent, 1..max (51000 otherwise). */
  limit(fallback: number, max: number): number {
    const n = this.int('limit') ?? fallback;
    if (n < 1 || n > max) throw OkxErrors.param('limit');
    return n;
  }
}
