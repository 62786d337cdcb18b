import { crossOf, defineStrategy, param, sma } from '../../src/trading/strategy/index.js';

/**
 * Long-only moving-average crossover. At the close of each bar: when flat and the fast SMA of
 * closes crosses above the slow one, buy `size` at market; when long and it crosses below, sell
 * the whole position at market. A cross is judged against the last non-zero difference, so an
 * exact tie is no cross.
 */
export default defineStrategy({
  name: 'sma-cross',
  description: 'Long-only fast/slow SMA crossover',
  params: {
    fast: param.int(10, {
      min: 1,
      max: 10_000,
      lessThan: 'slow',
      description: 'fast SMA period (bars)',
    }),
    slow: param.int(30, { min: 2, max: 10_000, description: 'slow SMA period (bars)' }),
    size: param.decimal('100', { min: '0', description: 'quantity to buy on a cross up' }),
  },
  indicators: (p) => ({ fast: sma(p.fast), slow: sma(p.slow) }),
  init: (ctx) => {
    if (ctx.params.fast >= ctx.params.slow)
      throw new RangeError('param "fast": must be less than "slow"');
    return { lastSign: 0 };
  },
  onBar(ctx) {
    const { sign, cross } = crossOf(
      ctx.state.lastSign,
      ctx.indicators.fast.value,
      ctx.indicators.slow.value,
    );
    ctx.state.lastSign = sign;
    if (cross === null) return;
    const position = ctx.position();
    if (cross === 'up' && position.isFlat && ctx.openOrders().length === 0)
      ctx.buy(ctx.params.size);
    else if (cross === 'down' && position.isLong) ctx.sell(position.quantity);
  },
});
