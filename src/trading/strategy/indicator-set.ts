import type { Bar } from '../data/market-data.js';

/**
 * What the engine needs of any indicator to feed it: bar-fed ones get each bar, trade-fed ones
 * (`input === 'trade'`) get each trade price. The indicators module implements it.
 */
export interface AnyIndicator {
  readonly input: string;
  updateBar(bar: Bar): void;
  updateValue(x: number): void;
}
