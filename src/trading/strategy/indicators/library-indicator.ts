import type { Bar } from '../../data/market-data.js';
import { pick, type Indicator, type IndicatorInput } from './indicator.js';

/** The part of a trading-signals indicator used here. */
interface Updatable<In, Out> {
  update(input: In, replace: boolean): Out | null;
}

/**
 * Adapts a trading-signals indicator fed with one number per update to the SDK's `Indicator`.
 *
 * @example
 * new LibraryIndicator('EMA(20)', 20, 'close', new EMA(20));
 */
export class LibraryIndicator<V> implements Indicator<V> {
  value: V | null = null;
  count = 0;

  constructor(
    readonly name: string,
    readonly period: number,
    readonly input: IndicatorInput,
    private readonly inner: Updatable<number, V>,
  ) {}

  get isReady(): boolean {
    return this.value !== null;
  }

  updateBar(bar: Bar): void {
    this.updateValue(pick(bar, this.input));
  }

  updateValue(x: number): void {
    this.count++;
    const v = this.inner.update(x, false);
    if (v !== null && v !== undefined && this.count >= this.period) this.value = v;
  }
}

/**
 * Adapts a trading-signals indicator fed with whole bars (high, low, close), such as ATR.
 *
 * @example
 * new CandleIndicator('ATR(14)', 14, new ATR(14));
 */
export class CandleIndicator<V> implements Indicator<V> {
  readonly input = 'close' as const;
  value: V | null = null;
  count = 0;

  constructor(
    readonly name: string,
    readonly period: number,
    private readonly inner: Updatable<{ high: number; low: number; close: number }, V>,
  ) {}

  get isReady(): boolean {
    return this.value !== null;
  }

  updateBar(bar: Bar): void {
    this.count++;
    const v = this.inner.update({ high: bar.high, low: bar.low, close: bar.close }, false);
    if (v !== null && v !== undefined) this.value = v;
  }

  updateValue(x: number): void {
    this.updateBar({
      instrumentId: '',
      openTime: 0,
      closeTime: 0,
      open: x,
      high: x,
      low: x,
      close: x,
      volume: 0,
    });
  }
}
