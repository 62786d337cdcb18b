export type { Indicator, IndicatorInput } from './indicator.js';
export { sma } from './sma.js';
export { ema } from './ema.js';
export { rsi } from './rsi.js';
export { macd, type MacdValue } from './macd.js';
export { atr } from './atr.js';
export { bollinger, type BandsValue } from './bollinger.js';
export { ExactWindowSum } from './exact-window-sum.js';
