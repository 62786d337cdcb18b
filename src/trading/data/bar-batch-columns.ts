import { BAR_COLUMNS, columnsIn, type BarColumns } from './bar-columns.js';
import type { Bar } from './market-data.js';

/**
 * A batch of bars as columns, all views of one buffer (`cols.openTime.buffer`), which a
 * `postMessage` can transfer instead of copying.
 *
 * @example
 * const cols = columnsOfBars(batch);
 * port.postMessage(cols, [cols.openTime.buffer]);
 */
export function columnsOfBars(batch: readonly Bar[]): BarColumns {
  const n = batch.length;
  const cols = columnsIn(new Float64Array(BAR_COLUMNS * n), n);
  const { openTime, closeTime, open, high, low, close, volume } = cols;
  for (let i = 0; i < n; i++) {
    const b = batch[i]!;
    openTime[i] = b.openTime;
    closeTime[i] = b.closeTime;
    open[i] = b.open;
    high[i] = b.high;
    low[i] = b.low;
    close[i] = b.close;
    volume[i] = b.volume;
  }
  return cols;
}

/**
 * Every row of columns as a bar of `instrumentId`, in one batch: `columnsOfBars` undone.
 *
 * @example
 * barsOfColumns(columnsOfBars(batch), 'BTC/USDT'); // equal to batch
 */
export function barsOfColumns(cols: BarColumns, instrumentId: string): Bar[] {
  const { openTime, closeTime, open, high, low, close, volume } = cols;
  const n = cols.length;
  // Pushed, not written at indexes of `new Array(n)`: a packed array, as the readers' batches
  // are (the engine's loop over a batch then sees one kind of array).
  const out: Bar[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      instrumentId,
      openTime: openTime[i]!,
      closeTime: closeTime[i]!,
      open: open[i]!,
      high: high[i]!,
      low: low[i]!,
      close: close[i]!,
      volume: volume[i]!,
    });
  }
  return out;
}
