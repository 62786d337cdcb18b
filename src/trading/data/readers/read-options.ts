/** Options every reader takes. */
export interface ReadOptions {
  /** The file name used in error messages. */
  readonly source: string;
  readonly instrumentId: string;
  /** Inclusive start, ms. */
  readonly from?: number;
  /** Exclusive end, ms. */
  readonly to?: number;
  /** Bar interval in ms, when the data cannot tell. */
  readonly intervalMs?: number;
  /**
   * Adjust prices (rounded to `tick`) and volume from the file's "Adj Close" column (CSV bars only; see
   * `closeAdjuster`). Default: the prices as they are.
   */
  readonly adjustClose?: { readonly tick: string };
}

/** Rows per yielded batch. */
export const BATCH = 4096;
