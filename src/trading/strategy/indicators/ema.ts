import type { JsonObject } from '../strategy-context.js';
import { EmaCore } from './ema-core.js';
import { checkPeriod, type Indicator, type IndicatorInput } from './indicator.js';
import { RecursiveIndicator } from './recursive-indicator.js';

class Ema extends RecursiveIndicator<number> {
  readonly #core: EmaCore;

  constructor(period: number, input: IndicatorInput) {
    super(`EMA(${period})`, period, input);
    this.#core = new EmaCore(period);
  }

  protected next(x: number): number {
    return this.#core.update(x);
  }

  protected fields(): JsonObject {
    return { ema: this.#core.save() };
  }

  protected take(s: JsonObject): void {
    this.#core.restore(s.ema, `${this.name}.ema`);
  }
}

/**
 * Exponential moving average, weight 2 / (period + 1), seeded with the first input; ready after
 * `period` inputs. The same doubles as trading-signals' `EMA`, with a state that can be saved.
 *
 * @example
 * indicators: () => ({ trend: ema(50) })
 */
export function ema(period: number, input: IndicatorInput = 'close'): Indicator<number> {
  checkPeriod('ema', 'period', period);
  return new Ema(period, input);
}
