import { ATR, EMA, MACD, RSI } from 'trading-signals';
import { checkPeriod, type Indicator, type IndicatorInput } from './indicator.js';
import { CandleIndicator, LibraryIndicator } from './library-indicator.js';

/**
 * Exponential moving average (trading-signals `EMA`). Recursive, so no window sum to drift.
 *
 * @example
 * indicators: () => ({ trend: ema(50) })
 */
export function ema(period: number, input: IndicatorInput = 'close'): Indicator<number> {
  checkPeriod('ema', 'period', period);
  return new LibraryIndicator(`EMA(${period})`, period, input, new EMA(period));
}

/**
 * Relative strength index, 0–100 (trading-signals `RSI`, Wilder smoothing).
 *
 * @example
 * indicators: (p) => ({ rsi: rsi(p.period) })
 */
export function rsi(period: number, input: IndicatorInput = 'close'): Indicator<number> {
  checkPeriod('rsi', 'period', period);
  return new LibraryIndicator(`RSI(${period})`, period + 1, input, new RSI(period));
}

/** MACD line, its signal line and their difference. */
export interface MacdValue {
  readonly macd: number;
  readonly signal: number;
  readonly histogram: number;
}

/**
 * MACD (trading-signals `MACD` over EMAs).
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
  const inner = new MACD(new EMA(periods.fast), new EMA(periods.slow), new EMA(periods.signal));
  const adapter = {
    update: (x: number, replace: boolean): MacdValue | null => {
      const r = inner.update(x, replace);
      return r ? { macd: r.macd, signal: r.signal, histogram: r.histogram } : null;
    },
  };
  return new LibraryIndicator(
    `MACD(${periods.fast},${periods.slow},${periods.signal})`,
    periods.slow,
    input,
    adapter,
  );
}

/**
 * Average true range (trading-signals `ATR`), fed whole bars.
 *
 * @example
 * indicators: () => ({ atr: atr(14) })
 */
export function atr(period: number): Indicator<number> {
  checkPeriod('atr', 'period', period);
  return new CandleIndicator(`ATR(${period})`, period, new ATR(period));
}
