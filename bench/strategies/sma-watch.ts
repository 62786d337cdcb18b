import { crossOf, defineStrategy, sma } from '../../src/trading/strategy/index.js';

/**
 * The benchmark's engine-without-orders row: sma-cross's per-bar work (both SMAs fed, the cross
 * judged, the position read on a cross) without ever placing an order.
 */
export default defineStrategy({
  name: 'sma-watch',
  description: 'sma-cross 10/30 that never trades (benchmark)',
  indicators: () => ({ fast: sma(10), slow: sma(30) }),
  init: () => ({ lastSign: 0, crosses: 0 }),
  onBar(ctx) {
    const { sign, cross } = crossOf(
      ctx.state.lastSign,
      ctx.indicators.fast.value,
      ctx.indicators.slow.value,
    );
    ctx.state.lastSign = sign;
    if (cross !== null && ctx.position().isFlat) ctx.state.crosses++;
  },
});
