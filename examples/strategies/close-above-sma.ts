import { defineStrategy, param, sma } from '../../src/trading/strategy/index.js';

/**
 * Long-only price-above-average (backtrader's quickstart strategy): at the close of each bar,
 * once the SMA of closes has `period` bars, buy `size` at market when flat and the close is
 * above the SMA; sell the whole position at market when long and the close is below it. No new
 * order while one is working.
 */
export default defineStrategy({
  name: 'close-above-sma',
  description: 'Buy when the close is above its SMA, sell when it is below',
  params: {
    period: param.int(15, { min: 1, max: 10_000, description: 'SMA period (bars)' }),
    size: param.decimal('10', { min: '0', description: 'quantity to buy' }),
  },
  indicators: (p) => ({ sma: sma(p.period) }),
  onBar(ctx, bar) {
    const average = ctx.indicators.sma.value;
    if (average === null || ctx.openOrders().length > 0) return;
    const position = ctx.position();
    if (position.isFlat && bar.close > average) ctx.buy(ctx.params.size);
    else if (position.isLong && bar.close < average) ctx.sell(position.quantity);
  },
});
