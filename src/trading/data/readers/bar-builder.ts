import { KairosError } from '../../core/errors.js';
import type { Bar } from '../market-data.js';
import { closeAdjuster, type AdjustedPrices } from './adjust-close.js';
import { DataFormatError } from './data-format-error.js';
import { DECIMAL_RULE, decimalText } from './decimal-text.js';
import { TIME_RULE } from './parse-time.js';
import { BATCH, type ReadOptions } from './read-options.js';

const FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;
const PROBE = 64;

/**
 * Turns parsed rows into checked `Bar` batches: validates numbers, high ≥ low and increasing
 * times (naming file, line and field), applies from/to, and infers the interval as the smallest
 * gap among the first rows when it is not given.
 */
export class BarBuilder {
  #out: Bar[] = [];
  #probe: [number, number, number, number, number, number, number][] | null = [];
  #interval: number;
  #lastTime = -Infinity;
  #rows = 0;
  readonly #from: number;
  readonly #to: number;
  readonly #instrumentId: string;
  readonly #adjust:
    ((...p: [number, number, number, number, number, number]) => AdjustedPrices | null) | null;

  constructor(private readonly opts: ReadOptions) {
    this.#adjust = opts.adjustClose ? closeAdjuster(opts.adjustClose.tick) : null;
    this.#interval = opts.intervalMs ?? 0;
    this.#from = opts.from ?? -Infinity;
    this.#to = opts.to ?? Infinity;
    this.#instrumentId = opts.instrumentId;
    if (this.#interval > 0) this.#probe = null;
  }

  /** The time of the last row added (-Infinity before the first; a row not after it is refused). */
  get lastTime(): number {
    return this.#lastTime;
  }

  /**
   * Adds one row; `line` is its 1-based line (or row) number. With `adjustClose`, `adj` is the
   * row's Adj Close and the prices and volume are adjusted from it first. `texts`: open, high, low, close
   * and volume as written, quoted with the grammar in the error for one outside it.
   */
  add(
    line: number,
    t: number,
    o: number,
    h: number,
    l: number,
    c: number,
    v: number,
    tRaw: string,
    adj = NaN,
    texts?: readonly string[],
  ): void {
    const src = this.opts.source;
    if (this.#adjust) {
      const p = this.#adjust(o, h, l, c, v, adj);
      if (p === null) throw new DataFormatError(src, line, 'adj close', 'is not a positive number');
      [o, h, l, c, v] = p;
    }
    // An infinite time (JSON's 1e999, a CSV time of 400 digits) too: it would end the file.
    if (!Number.isFinite(t))
      throw new DataFormatError(
        src,
        line,
        'time',
        `${JSON.stringify(tRaw)} is not a date or timestamp (${TIME_RULE})`,
      );
    if (t <= this.#lastTime)
      throw new DataFormatError(src, line, 'time', `${tRaw} is not after the previous row`);
    this.#lastTime = t;
    // o + h + l + c + v is finite only when each is (no array per row on the hot path).
    if (!Number.isFinite(o + h + l + c + v)) {
      const values = [o, h, l, c, v];
      for (let i = 0; i < 5; i++) {
        if (!Number.isFinite(values[i]))
          throw new DataFormatError(
            src,
            line,
            FIELDS[i]!,
            // A text in the grammar can still give no number once adjusted (a close of 0).
            texts && Number.isNaN(decimalText(texts[i]!))
              ? `is not a number: ${JSON.stringify(texts[i])} (${DECIMAL_RULE})`
              : 'is not a number',
          );
      }
    }
    if (h < l) throw new DataFormatError(src, line, 'high', `${h} is below low ${l}`);
    this.#rows++;
    if (this.#probe) {
      this.#probe.push([line, t, o, h, l, c, v]);
      if (this.#probe.length >= PROBE) this.#release();
      return;
    }
    this.#push(t, o, h, l, c, v);
  }

  /** Takes the bars ready so far. */
  take(): Bar[] | null {
    if (this.#out.length < BATCH) return null;
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** Takes the last bars at the end; throws `DATA_EMPTY` when the file held no rows. */
  finish(): Bar[] {
    if (this.#rows === 0) throw new KairosError('DATA_EMPTY', `${this.opts.source}: no rows`);
    if (this.#probe) this.#release();
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #release(): void {
    const probe = this.#probe!;
    this.#probe = null;
    if (this.#interval <= 0) {
      let gap = Infinity;
      for (let i = 1; i < probe.length; i++) gap = Math.min(gap, probe[i]![1] - probe[i - 1]![1]);
      this.#interval = Number.isFinite(gap) ? gap : 86_400_000;
    }
    for (const [, t, o, h, l, c, v] of probe) this.#push(t, o, h, l, c, v);
  }

  #push(t: number, open: number, high: number, low: number, close: number, volume: number): void {
    if (t < this.#from || t >= this.#to) return;
    this.#out.push({
      instrumentId: this.#instrumentId,
      openTime: t,
      closeTime: t + this.#interval,
      open,
      high,
      low,
      close,
      volume,
    });
  }
}
