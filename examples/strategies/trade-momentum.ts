import { crossOf, defineStrategy, param, sma } from '../../src/trading/strategy/index.js';

/**
 * A trade-tick strategy: fast and slow SMAs of trade prices (updated on every trade). When flat
 * and the fast average crosses above the slow one, buy `size` with a limit order at the last
 * trade price; when long and it crosses below, sell the position at market.
 */
export default defineStrategy({
  name: 'trade-momentum',
  description: 'Crossover of trade-price SMAs, entering with a limit order',
  params: {
    fast: param.int(20, { min: 1, description: 'fast SMA period (trades)' }),
    slow: param.int(100, { min: 2, description: 'slow SMA period (trades)' }),
    size: param.decimal('10', { min: '0', description: 'quantity to buy' }),
  },
  indicators: (p) => ({ fast: sma(p.fast, 'trade'), slow: sma(p.slow, 'trade') }),
  init: () => ({ lastSign: 0 }),
  onTrade(ctx, tick) {
    const { sign, cross } = crossOf(
      ctx.state.lastSign,
      ctx.indicators.fast.value,
      ctx.indicators.slow.value,
    );
    ctx.state.lastSign = sign;
    if (cross === null) return;
    const position = ctx.position();
    if (cross === 'up' && position.isFlat && ctx.openOrders().length === 0) {
      ctx.buy(ctx.params.size, { type: 'LIMIT', price: tick.price });
    } else if (cross === 'down') {
      ctx.cancelAll();
      if (position.isLong) ctx.sell(position.quantity);
    }
  },
});
