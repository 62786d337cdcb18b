import type { JsonObject, JsonValue } from '../strategy-context.js';
import { EmaCore } from './ema-core.js';
import { checkPeriod, type Indicator, type IndicatorInput } from './indicator.js';
import { RecursiveIndicator } from './recursive-indicator.js';
import { decodeNumbers, encodeNumber } from './state-codec.js';

/** MACD line, its signal line and their difference. */
export interface MacdValue {
  readonly macd: number;
  readonly signal: number;
  readonly histogram: number;
}

class Macd extends RecursiveIndicator<MacdValue> {
  readonly #fast: EmaCore;
  readonly #slow: EmaCore;
  readonly #signal: EmaCore;

  constructor(fast: number, slow: number, signal: number, input: IndicatorInput) {
    super(`MACD(${fast},${slow},${signal})`, slow, input);
    this.#fast = new EmaCore(fast);
    this.#slow = new EmaCore(slow);
    this.#signal = new EmaCore(signal);
  }

  protected next(x: number): MacdValue | null {
    const fast = this.#fast.update(x);
    const slow = this.#slow.update(x);
    // The signal line starts once the slow average has `slow` inputs (count is this input's).
    if (this.count < this.period) return null;
    const macd = fast - slow;
    const signal = this.#signal.update(macd);
    return { macd, signal, histogram: macd - signal };
  }

  protected fields(): JsonObject {
    return { fast: this.#fast.save(), slow: this.#slow.save(), signal: this.#signal.save() };
  }

  protected take(s: JsonObject): void {
    const at = this.name;
    this.#fast.restore(s.fast, `${at}.fast`);
    this.#slow.restore(s.slow, `${at}.slow`);
    this.#signal.restore(s.signal, `${at}.signal`);
  }

  protected override encodeValue(v: MacdValue): JsonValue {
    return [encodeNumber(v.macd), encodeNumber(v.signal), encodeNumber(v.histogram)];
  }

  protected override decodeValue(v: JsonValue | undefined): MacdValue {
    const [macd, signal, histogram] = decodeNumbers(v, `${this.name}.value`, 3);
    return { macd: macd!, signal: signal!, histogram: histogram! };
  }
}

/**
 * MACD: the fast EMA minus the slow one, from the slow period's input on, an EMA of that (the
 * signal line) and their difference. The same doubles as trading-signals' `MACD` over its
 * `EMA`s, with a state that can be saved.
 *
 * @example
 * indicators: () => ({ macd: macd({ fast: 12, slow: 26, signal: 9 }) })
 */
export function macd(
  periods: { readonly fast: number; readonly slow: number; readonly signal: number } = {
    fast: 12,
    slow: 26,
    signal: 9,
  },
  input: IndicatorInput = 'close',
): Indicator<MacdValue> {
  checkPeriod('macd', 'fast', periods.fast);
  checkPeriod('macd', 'slow', periods.slow);
  checkPeriod('macd', 'signal', periods.signal);
  return new Macd(periods.fast, periods.slow, periods.signal, input);
}
