import type { Bar } from '../../data/market-data.js';
import type { JsonObject } from '../strategy-context.js';

/** What an indicator is fed: a field of each bar, a blend of fields, or each trade price. */
export type IndicatorInput =
  'open' | 'high' | 'low' | 'close' | 'hl2' | 'hlc3' | 'ohlc4' | 'volume' | 'trade';

/**
 * A streaming indicator. The engine feeds bar-fed ones each bar (`input` picks the value) and
 * trade-fed ones each trade price, before the strategy's handler runs.
 *
 * @example
 * const fast = sma(10);
 * fast.updateValue(101.5);
 * if (fast.isReady) console.log(fast.value);
 * const again = sma(10);
 * again.restoreState(fast.saveState()); // again.value === fast.value, and so on after
 */
export interface Indicator<V = number> {
  readonly name: string;
  readonly input: IndicatorInput;
  /** Updates needed before `value` is set. */
  readonly period: number;
  /** The latest value, or null while warming up. */
  readonly value: V | null;
  readonly isReady: boolean;
  /** Updates so far. */
  readonly count: number;
  updateBar(bar: Bar): void;
  updateValue(x: number): void;
  /**
   * Everything the indicator holds, as plain JSON with every number exact (see
   * `docs/indicators.md`, "State"): an indicator of the same kind and parameters that restores it
   * goes on with exactly the values this one would have.
   */
  saveState(): JsonObject;
  /** Takes back a state `saveState` made (throws a `RangeError` on one of another indicator). */
  restoreState(state: JsonObject): void;
}

/**
 * The value of `bar` an input names (`trade` reads the close).
 *
 * @example
 * pick(bar, 'hlc3'); // (high + low + close) / 3
 */
export function pick(bar: Bar, input: IndicatorInput): number {
  // The usual input first: a switch tests its cases in order.
  if (input === 'close') return bar.close;
  switch (input) {
    case 'open':
      return bar.open;
    case 'high':
      return bar.high;
    case 'low':
      return bar.low;
    case 'hl2':
      return (bar.high + bar.low) / 2;
    case 'hlc3':
      return (bar.high + bar.low + bar.close) / 3;
    case 'ohlc4':
      return (bar.open + bar.high + bar.low + bar.close) / 4;
    case 'volume':
      return bar.volume;
    default:
      return bar.close;
  }
}

/**
 * Throws a `RangeError` naming the argument unless `n` is a positive integer.
 *
 * @example
 * checkPeriod('sma', 'period', 10);
 */
export function checkPeriod(fn: string, arg: string, n: number): void {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`${fn}: ${arg} must be a positive integer, was ${n}`);
}
