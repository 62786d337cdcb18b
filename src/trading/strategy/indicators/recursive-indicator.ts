import type { Bar } from '../../data/market-data.js';
import type { JsonObject, JsonValue } from '../strategy-context.js';
import { pick, type Indicator, type IndicatorInput } from './indicator.js';
import { decodeNullable, encodeNullable, savedState } from './state-codec.js';

/**
 * What the recursive indicators (EMA, RSI, MACD, ATR) share: a name, a count, a value set once
 * `period` inputs came, and a saved state of `{name, n, value}` plus their own fields. A
 * subclass says how one input moves it (`next`) and which fields it holds (`fields`/`take`).
 *
 * @example
 * class Last extends RecursiveIndicator<number> {
 *   protected next(x: number) { return x; }
 *   protected fields() { return {}; }
 *   protected take() {}
 * }
 */
export abstract class RecursiveIndicator<V> implements Indicator<V> {
  value: V | null = null;
  count = 0;

  constructor(
    readonly name: string,
    readonly period: number,
    readonly input: IndicatorInput,
  ) {}

  get isReady(): boolean {
    return this.value !== null;
  }

  updateBar(bar: Bar): void {
    this.updateValue(pick(bar, this.input));
  }

  updateValue(x: number): void {
    this.count++;
    const v = this.next(x);
    if (v !== null && this.count >= this.period) this.value = v;
  }

  saveState(): JsonObject {
    const { name, count: n, value } = this;
    return { name, n, value: value === null ? null : this.encodeValue(value), ...this.fields() };
  }

  restoreState(state: JsonObject): void {
    const s = savedState(this.name, state);
    this.take(s);
    this.value = s.value === null ? null : this.decodeValue(s.value);
    this.count = s.n;
  }

  /** Moves the state by one input; the value it gives, or null while warming up. */
  protected abstract next(x: number): V | null;
  /** The fields of the saved state besides name, n and value. */
  protected abstract fields(): JsonObject;
  /** Takes the fields back from a saved state. */
  protected abstract take(state: JsonObject): void;

  protected encodeValue(v: V): JsonValue {
    return encodeNullable(v as number);
  }

  protected decodeValue(v: JsonValue | undefined): V {
    return decodeNullable(v, `${this.name}.value`) as V;
  }
}
