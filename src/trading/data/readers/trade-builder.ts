import { KairosError } from '../../core/errors.js';
import type { AggressorSide, TradeTick } from '../market-data.js';
import { DataFormatError } from './data-format-error.js';
import { DECIMAL_RULE } from './decimal-text.js';
import { TIME_RULE } from './parse-time.js';
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
    texts?: readonly [price: string, amount: string],
  ): void {
    const src = this.opts.source;
    if (!Number.isFinite(ts))
      throw new DataFormatError(
        src,
        line,
        'timestamp',
        `${JSON.stringify(tsRaw)} is not a timestamp (${TIME_RULE})`,
      );
    if (ts < this.#last)
      throw new DataFormatError(src, line, 'timestamp', `${tsRaw} is before the previous trade`);
    if (!(price > 0) || !Number.isFinite(price))
      throw new DataFormatError(src, line, 'price', notPositive(price, texts?.[0]));
    if (!(size > 0) || !Number.isFinite(size))
      throw new DataFormatError(src, line, 'amount', notPositive(size, texts?.[1]));
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

/** The problem of a price or amount that is not a positive number, its text quoted if known. */
function notPositive(value: number, text: string | undefined): string {
  // A number that is not positive is in the grammar; only text outside it is told the rule.
  return text !== undefined && Number.isNaN(value)
    ? `is not a positive number: ${JSON.stringify(text)} (${DECIMAL_RULE})`
    : 'is not a positive number';
}
