// Strategy loading moved to src/system (the API's strategy catalog and backtest jobs use it too).
export { bundleStrategy, loadStrategy, type StrategyBundle } from '../system/load-strategy.js';
