import { KairosError } from '../../core/errors.js';
import type { AggressorSide, TradeTick } from '../market-data.js';
import { DataFormatError } from './data-format-error.js';
import { BATCH, type ReadOptions } from './read-options.js';

/**
 * Turns parsed trade rows into checked `TradeTick` batches: positive finite price and size,
 * non-decreasing times (trades may share a millisecond), from/to applied.
 */
export class TradeBuilder {
  #out: TradeTick[] = [];
  #last = -Infinity;
  #rows = 0;

  constructor(private readonly opts: ReadOptions) {}

  /** The time of the last row added (a row before it is refused). */
  get lastTs(): number {
    return this.#last;
  }

  add(
    line: number,
    ts: number,
    id: string,
    side: string,
    price: number,
    size: number,
    tsRaw: string,
  ): void {
    const src = this.opts.source;
    if (!Number.isFinite(ts))
      throw new DataFormatError(
        src,
        line,
        'timestamp',
        `${JSON.stringify(tsRaw)} is not a timestamp`,
      );
    if (ts < this.#last)
      throw new DataFormatError(src, line, 'timestamp', `${tsRaw} is before the previous trade`);
    if (!(price > 0) || !Number.isFinite(price))
      throw new DataFormatError(src, line, 'price', 'is not a positive number');
    if (!(size > 0) || !Number.isFinite(size))
      throw new DataFormatError(src, line, 'amount', 'is not a positive number');
    this.#last = ts;
    this.#rows++;
    const { from, to } = this.opts;
    if ((from !== undefined && ts < from) || (to !== undefined && ts >= to)) return;
    const aggressor: AggressorSide =
      side === 'buy' || side === 'BUY'
        ? 'BUY'
        : side === 'sell' || side === 'SELL'
          ? 'SELL'
          : 'NONE';
    this.#out.push({
      instrumentId: this.opts.instrumentId,
      ts,
      tradeId: id,
      price,
      size,
      aggressor,
    });
  }

  take(): TradeTick[] | null {
    if (this.#out.length < BATCH) return null;
    const out = this.#out;
    this.#out = [];
    return out;
  }

  finish(): TradeTick[] {
    if (this.#rows === 0) throw new KairosError('DATA_EMPTY', `${this.opts.source}: no rows`);
    const out = this.#out;
    this.#out = [];
    return out;
  }
}
