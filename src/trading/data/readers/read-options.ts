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
}

/** Rows per yielded batch. */
export const BATCH = 4096;
