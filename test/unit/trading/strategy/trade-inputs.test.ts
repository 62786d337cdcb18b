import smaCross from '../../../../examples/strategies/sma-cross.js';
import tradeMomentum from '../../../../examples/strategies/trade-momentum.js';
import { defineStrategy, ema, sma } from '../../../../src/trading/strategy/index.js';
import { tradeInputs } from '../../../../src/trading/strategy/trade-inputs.js';

describe('tradeInputs: what of a strategy hears public trades', () => {
  it('names onTrade and each indicator fed trade prices, and nothing of a strategy on bars', () => {
    expect(tradeInputs(smaCross, { fast: 10, slow: 30, size: '1' })).toEqual([]);
    expect(tradeInputs(tradeMomentum, { fast: 20, slow: 100, size: '1' })).toEqual([
      'onTrade',
      'fast',
      'slow',
    ]);
    const listener = defineStrategy({ name: 'listener', onTrade: () => undefined });
    expect(tradeInputs(listener, {})).toEqual(['onTrade']);
    const mixed = defineStrategy({
      name: 'mixed',
      indicators: () => ({ closes: sma(5), prints: ema(3, 'trade'), highs: sma(5, 'high') }),
      onBar: () => undefined,
    });
    expect(tradeInputs(mixed, {})).toEqual(['prints']);
  });
});
