import type { Bar } from './market-data.js';

/**
 * Bars as columns of float64, one row a bar in time order (the columnar cache's layout).
 *
 * @example
 * const cols: BarColumns = { length: 1, openTime: Float64Array.of(0), closeTime: Float64Array.of(60_000),
 *   open: Float64Array.of(100), high: Float64Array.of(101), low: Float64Array.of(99),
 *   close: Float64Array.of(100.5), volume: Float64Array.of(12) };
 */
export interface BarColumns {
  readonly length: number;
  readonly openTime: Float64Array;
  readonly closeTime: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/** The number of columns of `BarColumns`. */
export const BAR_COLUMNS = 7;

/**
 * The columns of `length` bars laid out one after another in `all` (open time, close time, open,
 * high, low, close, volume: the columnar cache's file and a batch posted between threads), as
 * views of it.
 *
 * @example
 * const cols = columnsIn(new Float64Array(7 * 2), 2); // cols.close is all.subarray(10, 12)
 */
export function columnsIn(all: Float64Array, length: number): BarColumns {
  const col = (i: number) => all.subarray(i * length, (i + 1) * length);
  return {
    length,
    openTime: col(0),
    closeTime: col(1),
    open: col(2),
    high: col(3),
    low: col(4),
    close: col(5),
    volume: col(6),
  };
}

/** Which rows of columns a run takes: their instrument, and open times in `[from, to)`. */
export interface BarColumnsRange {
  readonly instrumentId: string;
  /** First open time, inclusive (ms). */
  readonly from?: number;
  /** End open time, exclusive (ms). */
  readonly to?: number;
}

/**
 * Bars per batch from columns: fewer than the readers' `BATCH`. A batch's bars stay reachable
 * until the whole batch is run, so every young-generation collection during it copies them
 * (4,096 bars are ~0.9 MB); at 512 they mostly die young, and a batch still costs one await.
 */
const BARS_PER_BATCH = 512;

/**
 * Streams the bars of columns in batches, those whose open time is in `[from, to)`, in row order.
 *
 * @example
 * await engine.runBars(barsFromColumns(cols, { instrumentId: 'BTC/USDT' }));
 */
export async function* barsFromColumns(
  cols: BarColumns,
  range: BarColumnsRange,
): AsyncGenerator<Bar[]> {
  const { instrumentId, from = -Infinity, to = Infinity } = range;
  let batch: Bar[] = [];
  for (let i = 0; i < cols.length; i++) {
    const t = cols.openTime[i]!;
    if (t < from || t >= to) continue;
    batch.push({
      instrumentId,
      openTime: t,
      closeTime: cols.closeTime[i]!,
      open: cols.open[i]!,
      high: cols.high[i]!,
      low: cols.low[i]!,
      close: cols.close[i]!,
      volume: cols.volume[i]!,
    });
    if (batch.length === BARS_PER_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * The rows `barsFromColumns` yields for `range` as `[start, end)`, when they are consecutive
 * rows (always so for columns in time order); null when none are, or when rows outside the
 * range lie between them.
 *
 * @example
 * rowsInRange(cols, { instrumentId: 'BTC/USDT', from: t0 }); // { start: 1440, end: 13681 }
 */
export function rowsInRange(
  cols: BarColumns,
  range: BarColumnsRange,
): { start: number; end: number } | null {
  const { from = -Infinity, to = Infinity } = range;
  // No bounds: every row (no time, NaN included, is below -Infinity or at least Infinity).
  if (from === -Infinity && to === Infinity)
    return cols.length > 0 ? { start: 0, end: cols.length } : null;
  let start = -1;
  let last = -1;
  let count = 0;
  for (let i = 0; i < cols.length; i++) {
    const t = cols.openTime[i]!;
    if (t < from || t >= to) continue;
    if (start < 0) start = i;
    last = i;
    count++;
  }
  return count > 0 && count === last - start + 1 ? { start, end: last + 1 } : null;
}
