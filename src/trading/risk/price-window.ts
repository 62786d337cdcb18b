import type { Decimal } from '../core/decimal.js';

interface Sample {
  ts: number;
  price: Decimal;
}

/** Suffix minima and maxima of one instrument's prices (monotonic deques), oldest first. */
interface Extremes {
  readonly lows: Sample[];
  readonly highs: Sample[];
  lastTs: number;
}

/**
 * The lowest and highest price of each instrument over a trailing time window, on the times it
 * is given (never the wall clock). Memory is bounded: samples older than the horizon are dropped,
 * and at most `maxSamples` extremes are kept per instrument; past that the two oldest merge,
 * keeping the older extreme until the younger one's time, so the range can only get wider
 * (stricter collars), never narrower.
 *
 * @example
 * const w = new PriceWindow();
 * w.record('BTC/USDT', Dec(100), 1_000, 60_000);
 * w.range('BTC/USDT', 2_000, 60_000); // { low: 100, high: 100 }
 */
export class PriceWindow {
  readonly #byInstrument = new Map<string, Extremes>();

  constructor(private readonly maxSamples = 4096) {}

  /** Records a price seen at `ts`, keeping what the windows up to `horizonMs` need. */
  record(instrumentId: string, price: Decimal, ts: number, horizonMs: number): void {
    let e = this.#byInstrument.get(instrumentId);
    if (!e) {
      e = { lows: [], highs: [], lastTs: ts };
      this.#byInstrument.set(instrumentId, e);
    }
    // Out-of-order times are taken as the latest one, so the deques stay sorted by time.
    const t = Math.max(ts, e.lastTs);
    e.lastTs = t;
    push(e.lows, { ts: t, price }, (a, b) => a.gte(b), this.maxSamples);
    push(e.highs, { ts: t, price }, (a, b) => a.lte(b), this.maxSamples);
    // Stryker disable next-line BlockStatement: memory only, range() reads samples by time and windows stop at the horizon
    for (const d of [e.lows, e.highs]) {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: memory only, as above (with a horizon > 0 the newest sample always stays)
      while (d.length > 1 && d[0]!.ts <= t - horizonMs) d.shift();
    }
  }

  /**
   * Lowest and highest price seen in `(now - windowMs, now]`, widened to include `current` when
   * given; null when there is none.
   */
  range(
    instrumentId: string,
    now: number,
    windowMs: number,
    current: Decimal | null = null,
  ): { low: Decimal; high: Decimal } | null {
    const e = this.#byInstrument.get(instrumentId);
    let low = e ? firstSince(e.lows, now - windowMs) : null;
    let high = e ? firstSince(e.highs, now - windowMs) : null;
    if (current !== null) {
      if (low === null || current.lt(low)) low = current;
      if (high === null || current.gt(high)) high = current;
    }
    return low && high ? { low, high } : null;
  }
}

/** Appends to a monotonic deque: drops the samples the new one dominates (`dominated(old, new)`). */
function push(
  d: Sample[],
  s: Sample,
  dominated: (old: Decimal, fresh: Decimal) => boolean,
  max: number,
): void {
  while (d.length > 0 && dominated(d[d.length - 1]!.price, s.price)) d.pop();
  d.push(s);
  // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: memory only, the bound keeps a range never narrower (tested), a later or no bound gives the exact one
  if (d.length > max) {
    d[1] = { ts: d[1]!.ts, price: d[0]!.price };
    d.shift();
  }
}

/** The first extreme at or after `after` (exclusive): the extreme of every sample since then. */
function firstSince(d: readonly Sample[], after: number): Decimal | null {
  for (const s of d) if (s.ts > after) return s.price;
  return null;
}
