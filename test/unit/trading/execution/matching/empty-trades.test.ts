import { Dec } from '../../../../../src/trading/core/decimal.js';
import { price as toPrice } from '../../../../../src/trading/core/money.js';
import {
  MatchingEngine,
  type MatchableOrder,
} from '../../../../../src/trading/execution/matching/matching-engine.js';

const grid = { tickSize: Dec('0.05'), lotSize: Dec('0.25') };
const engine = new MatchingEngine();
const state = { leaves: Dec('1.25'), fresh: true, triggered: false };
const marketBuy: MatchableOrder = {
  side: 'BUY',
  type: 'MARKET',
  price: null,
  triggerPrice: null,
  timeInForce: 'GTC',
};
const limitSell: MatchableOrder = {
  side: 'SELL',
  type: 'LIMIT',
  price: toPrice(Dec('99.95')),
  triggerPrice: null,
  timeInForce: 'IOC',
};

// A trade print with no size (or a corrupt negative one) leaves nothing to take: the order waits
// for the next trade, and the simulator does not crash on the print.
describe('a trade with nothing available fills no order', () => {
  for (const available of [0, -1, Dec('0'), Dec('-0.5')]) {
    it(`available ${available.toString()} (${typeof available}): no fill, no error`, () => {
      expect(engine.matchTrade(marketBuy, state, 100, available, grid)).toEqual({
        match: null,
        triggered: false,
      });
      expect(engine.matchTrade(limitSell, state, 100, available, grid)).toEqual({
        match: null,
        triggered: false,
      });
    });
  }
  it('a size below one lot fills nothing either, and one lot or more fills whole lots', () => {
    expect(engine.matchTrade(marketBuy, state, 100, 0.2, grid).match).toBeNull();
    expect(engine.matchTrade(marketBuy, state, 100, 0.6, grid).match?.quantity.toString()).toBe(
      '0.5',
    );
  });
});
