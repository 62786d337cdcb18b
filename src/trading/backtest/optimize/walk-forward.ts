import { KairosError } from '../../core/errors.js';

/** Rows `[start, end)` of the bars a sweep runs over (0 is the range's first bar). */
export interface RowWindow {
  readonly start: number;
  readonly end: number;
}

/** One walk-forward fold: a train window, then the test window right after it. */
export interface Fold {
  /** 1-based. */
  readonly fold: number;
  readonly train: RowWindow;
  readonly test: RowWindow;
}

/**
 * Rolling walk-forward folds over `bars` bars: `folds` test windows of `t = floor(bars / (folds +
 * trainRatio))` bars each, back to back up to the last bar, each preceded by a train window of
 * the same length in every fold (`bars - folds × t` bars, at least `trainRatio × t`); the first
 * train window starts at bar 0. A test window starts where its train window ends: no bar of it is
 * in its train window, and every bar of it is later than every bar of the train window. The test
 * windows are disjoint and together cover the bars after the first train window.
 *
 * @example
 * walkForwardFolds(100, 4, 1); // tests of 20 bars from bar 20; fold 1: train [0, 20), test [20, 40)
 */
export function walkForwardFolds(bars: number, folds: number, trainRatio: number): Fold[] {
  if (!Number.isSafeInteger(folds) || folds < 1)
    throw new KairosError('USAGE', `--walk-forward: must be an integer ≥ 1, was ${folds}`);
  if (!Number.isFinite(trainRatio) || trainRatio <= 0)
    throw new KairosError('USAGE', `--train-ratio: must be a positive number, was ${trainRatio}`);
  const test = Math.floor(bars / (folds + trainRatio));
  const train = bars - folds * test;
  if (test < 1 || Math.floor(trainRatio * test) < 1)
    throw new KairosError(
      'USAGE',
      `--walk-forward ${folds}: ${bars} bars are too few for ${folds} folds with --train-ratio ${trainRatio} (each window needs a bar)`,
    );
  return Array.from({ length: folds }, (_, k) => ({
    fold: k + 1,
    train: { start: k * test, end: k * test + train },
    test: { start: k * test + train, end: (k + 1) * test + train },
  }));
}
