import { Dec, type Decimal } from '../../../../../src/trading/core/decimal.js';
import { price as toPrice } from '../../../../../src/trading/core/money.js';
import {
  MatchingEngine,
  type MatchableOrder,
  type MatchState,
} from '../../../../../src/trading/execution/matching/matching-engine.js';
import type { OrderType, TimeInForce } from '../../../../../src/trading/model/order-types.js';

// a tick of 0.01 and a lot of 0.001 (the fill rules do not depend on fees)
const grid = { tickSize: Dec('0.01'), lotSize: Dec('0.001') };
const engine = new MatchingEngine();

const order = (
  side: 'BUY' | 'SELL',
  type: OrderType,
  limit: string | null,
  trigger: string | null = null,
  timeInForce: TimeInForce = 'GTC',
): MatchableOrder => ({
  side,
  type,
  price: limit === null ? null : toPrice(Dec(limit)),
  triggerPrice: trigger === null ? null : toPrice(Dec(trigger)),
  timeInForce,
});
const state = (leaves = '1.5', fresh = false, triggered = false): MatchState => ({
  leaves: Dec(leaves),
  fresh,
  triggered,
});
const view = (r: ReturnType<MatchingEngine['matchPath']>) => ({
  fill: r.match
    ? `${r.match.quantity.toString()}@${r.match.price.toString()} ${r.match.liquidity} #${r.match.at}`
    : null,
  triggered: r.triggered,
});

const UP = [100, 98, 105, 104]; // open → low → high → close
const UP_CLOSING_LOW = [100, 98, 105, 101];

const onPath = (
  o: MatchableOrder,
  s: MatchState,
  path: readonly number[],
  e: MatchingEngine = engine,
) => view(e.matchPath(o, s, path, grid));

describe('a resting limit order against a bar', () => {
  it('a buy limit exactly at the bar low fills at its limit, as maker, where the low is reached', () => {
    expect(onPath(order('BUY', 'LIMIT', '98'), state(), UP)).toEqual({
      fill: '1.5@98 MAKER #1',
      triggered: false,
    });
  });
  it('a buy limit one tick below the low does not fill', () => {
    expect(onPath(order('BUY', 'LIMIT', '97.99'), state(), UP)).toEqual({
      fill: null,
      triggered: false,
    });
  });
  it('a sell limit exactly at the bar high fills at its limit where the high is reached; a tick above does not', () => {
    expect(onPath(order('SELL', 'LIMIT', '105'), state(), UP).fill).toBe('1.5@105 MAKER #2');
    expect(onPath(order('SELL', 'LIMIT', '105.01'), state(), UP).fill).toBeNull();
  });
  it('a gap through the limit at the open fills at the open, not the limit', () => {
    expect(onPath(order('BUY', 'LIMIT', '101'), state(), UP).fill).toBe('1.5@100 MAKER #0');
    expect(onPath(order('SELL', 'LIMIT', '99'), state(), UP).fill).toBe('1.5@100 MAKER #0');
  });
  it('a new limit order marketable exactly at the open takes at the open', () => {
    expect(onPath(order('BUY', 'LIMIT', '100'), state('1.5', true), UP).fill).toBe(
      '1.5@100 TAKER #0',
    );
    expect(onPath(order('SELL', 'LIMIT', '100'), state('1.5', true), UP).fill).toBe(
      '1.5@100 TAKER #0',
    );
  });
});

describe('stop orders against a bar', () => {
  it('a buy stop-market fills at its trigger where the path reaches it, and is triggered', () => {
    expect(onPath(order('BUY', 'STOP_MARKET', null, '102'), state(), UP)).toEqual({
      fill: '1.5@102 TAKER #2',
      triggered: true,
    });
  });
  it('a buy stop-limit whose limit is at the trigger fills at the trigger when reached', () => {
    expect(onPath(order('BUY', 'STOP_LIMIT', '102', '102'), state(), UP)).toEqual({
      fill: '1.5@102 TAKER #2',
      triggered: true,
    });
    expect(onPath(order('SELL', 'STOP_LIMIT', '99', '99'), state(), [100, 105, 98, 99])).toEqual({
      fill: '1.5@99 TAKER #2',
      triggered: true,
    });
  });
  it('a buy stop-limit with its limit below the trigger is triggered, then fills at its limit on the rest of the path', () => {
    expect(onPath(order('BUY', 'STOP_LIMIT', '101.5', '102'), state(), UP)).toEqual({
      fill: null,
      triggered: true,
    });
    expect(onPath(order('BUY', 'STOP_LIMIT', '101.5', '102'), state(), UP_CLOSING_LOW)).toEqual({
      fill: '1.5@101.5 MAKER #3',
      triggered: true,
    });
  });
  it('a stop-limit gapped over at the open fills at the open when the limit allows', () => {
    expect(
      onPath(order('BUY', 'STOP_LIMIT', '104', '102'), state(), [103, 102.5, 106, 105]),
    ).toEqual({ fill: '1.5@103 TAKER #0', triggered: true });
  });
  it('a stop-limit triggered earlier works as a limit that may fill at the open', () => {
    expect(onPath(order('BUY', 'STOP_LIMIT', '101', '102'), state('1.5', false, true), UP)).toEqual(
      { fill: '1.5@100 MAKER #0', triggered: true },
    );
    expect(onPath(order('BUY', 'STOP_LIMIT', '97', '102'), state('1.5', false, true), UP)).toEqual({
      fill: null,
      triggered: true,
    });
  });
});

describe('slippage', () => {
  it('zero slippage fills a market order at the market price exactly, even off the tick grid', () => {
    expect(onPath(order('BUY', 'MARKET', null), state(), [100.005, 99, 101, 100]).fill).toBe(
      '1.5@100.005 TAKER #0',
    );
  });
  it('10 bps makes a buy pay more and a sell receive less, snapped against the trader', () => {
    const slip = new MatchingEngine({ slippageBps: 10 });
    expect(onPath(order('BUY', 'MARKET', null), state(), UP, slip).fill).toBe('1.5@100.1 TAKER #0');
    expect(onPath(order('SELL', 'MARKET', null), state(), UP, slip).fill).toBe('1.5@99.9 TAKER #0');
  });
});

describe('an order against one trade', () => {
  const trade = (
    o: MatchableOrder,
    s: MatchState,
    p: number,
    avail: number | Decimal | null = null,
  ) => view(engine.matchTrade(o, s, p, avail, grid));

  it('a post-only limit at exactly the market price would take', () => {
    expect(engine.wouldTake('BUY', Dec('100'), 100)).toBe(true);
    expect(engine.wouldTake('SELL', Dec('100'), 100)).toBe(true);
    expect(engine.wouldTake('BUY', Dec('99.99'), 100)).toBe(false);
    expect(engine.wouldTake('SELL', Dec('100.01'), 100)).toBe(false);
  });
  it('a stop triggers at exactly its trigger price, not a tick before', () => {
    expect(trade(order('BUY', 'STOP_MARKET', null, '102'), state(), 101.99)).toEqual({
      fill: null,
      triggered: false,
    });
    expect(trade(order('BUY', 'STOP_MARKET', null, '102'), state(), 102)).toEqual({
      fill: '1.5@102 TAKER #0',
      triggered: true,
    });
    expect(trade(order('SELL', 'STOP_MARKET', null, '98'), state(), 98.01)).toEqual({
      fill: null,
      triggered: false,
    });
    expect(trade(order('SELL', 'STOP_MARKET', null, '98'), state(), 98)).toEqual({
      fill: '1.5@98 TAKER #0',
      triggered: true,
    });
  });
  it('an untriggered stop-limit does not fill even where its limit would', () => {
    expect(trade(order('BUY', 'STOP_LIMIT', '103', '102'), state(), 101)).toEqual({
      fill: null,
      triggered: false,
    });
  });
  it('a stop-limit triggered by a trade beyond its limit is triggered without a fill', () => {
    expect(trade(order('BUY', 'STOP_LIMIT', '101', '102'), state(), 102)).toEqual({
      fill: null,
      triggered: true,
    });
  });
  it('a limit fills at exactly its price', () => {
    expect(trade(order('BUY', 'LIMIT', '100'), state(), 100).fill).toBe('1.5@100 MAKER #0');
    expect(trade(order('SELL', 'LIMIT', '100'), state(), 100).fill).toBe('1.5@100 MAKER #0');
  });
  it('a trade with no size available fills nothing; a smaller one fills what it has, on the lot', () => {
    expect(trade(order('BUY', 'MARKET', null), state(), 100, 0).fill).toBeNull();
    expect(trade(order('BUY', 'MARKET', null), state(), 100, Dec(0)).fill).toBeNull();
    expect(trade(order('BUY', 'MARKET', null), state(), 100, 0.0004).fill).toBeNull();
    expect(trade(order('BUY', 'MARKET', null, null, 'IOC'), state(), 100, 0.7005).fill).toBe(
      '0.7@100 TAKER #0',
    );
    expect(trade(order('BUY', 'MARKET', null), state(), 100, 5).fill).toBe('1.5@100 TAKER #0');
  });
  it('fill-or-kill with not enough volume fills nothing; with enough it fills whole', () => {
    expect(trade(order('BUY', 'LIMIT', '100', null, 'FOK'), state(), 100, 1.499).fill).toBeNull();
    expect(trade(order('BUY', 'LIMIT', '100', null, 'FOK'), state(), 100, 1.5).fill).toBe(
      '1.5@100 MAKER #0',
    );
  });
});
