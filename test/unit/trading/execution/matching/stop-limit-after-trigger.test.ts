import { Dec } from '../../../../../src/trading/core/decimal.js';
import { price as toPrice } from '../../../../../src/trading/core/money.js';
import {
  MatchingEngine,
  type MatchableOrder,
} from '../../../../../src/trading/execution/matching/matching-engine.js';

// a tick of 0.05 and a lot of 0.25: prices and sizes on non-trivial grids
const grid = { tickSize: Dec('0.05'), lotSize: Dec('0.25') };
const engine = new MatchingEngine();

const stopLimit = (side: 'BUY' | 'SELL', limit: string, trigger: string): MatchableOrder => ({
  side,
  type: 'STOP_LIMIT',
  price: toPrice(Dec(limit)),
  triggerPrice: toPrice(Dec(trigger)),
  timeInForce: 'GTC',
});
const fresh = { leaves: Dec('1.25'), fresh: true, triggered: false };
const seen = (o: MatchableOrder, path: readonly number[]) => {
  const { match, triggered } = engine.matchPath(o, fresh, path, grid);
  return {
    fill: match
      ? `${match.quantity.toString()}@${match.price.toString()} ${match.liquidity} #${match.at}`
      : null,
    triggered,
  };
};

// A stop-limit is not working until its trigger is reached: an open that was already through the
// limit, before the trigger, is a price the order never had a chance at.
describe('a stop-limit triggered inside a bar works only from its trigger on', () => {
  it('a buy (trigger 105, limit 100) opening at 99 does not fill at the open; it rests and fills at 100 on the way down', () => {
    expect(seen(stopLimit('BUY', '100', '105'), [99, 106, 98, 100])).toEqual({
      fill: '1.25@100 MAKER #2',
      triggered: true,
    });
  });
  it('a sell (trigger 95, limit 100) opening at 101 does not fill at the open; it rests and fills at 100 on the way up', () => {
    expect(seen(stopLimit('SELL', '100', '95'), [101, 94, 102, 100])).toEqual({
      fill: '1.25@100 MAKER #2',
      triggered: true,
    });
  });
  it('once triggered, a bar that never comes back to the limit leaves it triggered and unfilled', () => {
    expect(seen(stopLimit('BUY', '100', '105'), [99, 106, 101, 104])).toEqual({
      fill: null,
      triggered: true,
    });
  });
});
