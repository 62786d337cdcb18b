export type { Indicator, IndicatorInput } from './indicator.js';
export { sma } from './sma.js';
export { ema, rsi, macd, atr, type MacdValue } from './library-factories.js';
export { bollinger, type BandsValue } from './bollinger.js';
export { ExactWindowSum } from './exact-window-sum.js';
