import type { MetricUnit } from '../../trading/core/metrics.js';

/** CloudWatch's name for a metric unit (`ratio` and `none` have no better one than `None`). */
export type CloudWatchUnit = 'Seconds' | 'Bytes' | 'Count' | 'None';

/**
 * The CloudWatch unit of a metric's unit.
 *
 * @example
 * cloudWatchUnit('seconds'); // 'Seconds'
 */
export function cloudWatchUnit(unit: MetricUnit): CloudWatchUnit {
  switch (unit) {
    case 'seconds':
      return 'Seconds';
    case 'bytes':
      return 'Bytes';
    case 'count':
      return 'Count';
    case 'ratio':
    case 'none':
      return 'None';
    default: {
      const never: never = unit;
      throw new Error(`unknown unit ${String(never)}`);
    }
  }
}
