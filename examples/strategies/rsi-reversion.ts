import { defineStrategy, param, rsi } from '../../src/trading/strategy/index.js';

/**
 * Long-only RSI mean reversion: buy `size` when flat and the RSI falls below `lower`; sell the
 * whole position when it rises above `upper`.
 */
export default defineStrategy({
  name: 'rsi-reversion',
  description: 'Buy oversold, sell overbought (RSI)',
  params: {
    period: param.int(14, { min: 2, description: 'RSI period (bars)' }),
    lower: param.number(30, { min: 0, max: 100, description: 'buy below this RSI' }),
    upper: param.number(70, { min: 0, max: 100, description: 'sell above this RSI' }),
    size: param.decimal('100', { min: '0', description: 'quantity to buy' }),
  },
  indicators: (p) => ({ rsi: rsi(p.period) }),
  init: (ctx) => {
    if (ctx.params.lower >= ctx.params.upper)
      throw new RangeError('param "lower": must be less than "upper"');
    return {};
  },
  onBar(ctx) {
    const value = ctx.indicators.rsi.value;
    if (value === null || ctx.openOrders().length > 0) return;
    const position = ctx.position();
    if (position.isFlat && value < ctx.params.lower) ctx.buy(ctx.params.size);
    else if (position.isLong && value > ctx.params.upper) ctx.sell(position.quantity);
  },
});
