import type { Bar } from '../data/market-data.js';
import type { JsonObject } from './strategy-context.js';

/**
 * What the engine needs of any indicator to feed it: bar-fed ones get each bar, trade-fed ones
 * (`input === 'trade'`) get each trade price. The indicators module implements it. Every SDK
 * indicator can also save and restore its state exactly (how a strategy run as a Lambda function
 * gets its indicators back each step); an indicator of a strategy's own without them is rebuilt
 * there from the bars before instead (`docs/indicators.md`, "State").
 */
export interface AnyIndicator {
  readonly input: string;
  updateBar(bar: Bar): void;
  updateValue(x: number): void;
  saveState?(): JsonObject;
  restoreState?(state: JsonObject): void;
}

/**
 * The saved state of a strategy's indicators: each one's `saveState()` by its name, and the bars
 * fed so far (the bar index a failure names).
 */
export interface IndicatorsState {
  readonly bars: number;
  readonly values: Readonly<Record<string, JsonObject>>;
}

/**
 * True when the indicator can save and restore its state.
 *
 * @example
 * if (hasState(ind)) saved[name] = ind.saveState();
 */
export function hasState(
  ind: AnyIndicator,
): ind is AnyIndicator & Required<Pick<AnyIndicator, 'saveState' | 'restoreState'>> {
  return typeof ind.saveState === 'function' && typeof ind.restoreState === 'function';
}
