import { Dec, ZERO } from '../../../../src/trading/core/decimal.js';
import { price, quantity } from '../../../../src/trading/core/money.js';
import { Reason } from '../../../../src/trading/core/reason-codes.js';
import type { NewOrder } from '../../../../src/trading/model/order.js';
import { limitCheck, type LimitView } from '../../../../src/trading/risk/limit-check.js';
import { preTradeCheck, type RiskView } from '../../../../src/trading/risk/pre-trade-check.js';
import type { RiskLimits } from '../../../../src/trading/risk/risk-limits.js';
import { instrument, newOrder } from '../../../support/builders.js';

// A denied order reaches the trader as its reason code and a sentence (the API's problem+json
// `detail`). The sentence must name the rule and the numbers that decided it, so a trader can
// fix the order without asking: each denial of each check, word for word.

const inst = instrument({
  tickSize: '0.05',
  lotSize: '0.25',
  minQuantity: '0.5',
  minNotional: '20',
  makerFee: '0.001',
  takerFee: '0.004',
});

const view: RiskView = {
  freeCash: Dec('500'),
  position: Dec('2'),
  openSellQuantity: Dec('0.5'),
  openBuyQuantity: ZERO,
  lastPrice: Dec('100'),
  allowShort: false,
};

const order = (over: Partial<NewOrder>) =>
  newOrder({ type: 'LIMIT', price: price('100'), quantity: quantity('1'), ...over });

describe('a pre-trade denial tells the trader what to change', () => {
  it.each<[string, Partial<NewOrder>, Partial<RiskView>, string, string]>([
    [
      'post-only market',
      { type: 'MARKET', price: null, postOnly: true },
      {},
      Reason.INVALID_ORDER_OPTIONS,
      'post-only needs a LIMIT order',
    ],
    [
      'post-only IOC',
      { postOnly: true, timeInForce: 'IOC' },
      {},
      Reason.INVALID_ORDER_OPTIONS,
      'post-only needs time in force GTC',
    ],
    [
      'limit without a price',
      { price: null },
      {},
      Reason.PRICE_INVALID,
      'price must be a positive multiple of the tick 0.05',
    ],
    [
      'stop without a trigger',
      { type: 'STOP_MARKET', price: null },
      {},
      Reason.PRICE_INVALID,
      'trigger price must be a positive multiple of the tick 0.05',
    ],
    [
      'zero quantity',
      { quantity: quantity('0') },
      {},
      Reason.QUANTITY_ROUNDS_TO_ZERO,
      'quantity rounds to zero on the lot 0.25',
    ],
    [
      'below the minimum quantity',
      { quantity: quantity('0.25') },
      {},
      Reason.QUANTITY_BELOW_MIN,
      'quantity 0.25 is below the minimum 0.5',
    ],
    [
      'market order before any price',
      { type: 'MARKET', price: null },
      { lastPrice: null },
      Reason.NO_REFERENCE_PRICE,
      'no market price is known yet',
    ],
    [
      'below the minimum notional',
      { price: price('10'), quantity: quantity('1.75') },
      {},
      Reason.NOTIONAL_BELOW_MIN,
      'notional is below the minimum 20',
    ],
    [
      'reduce-only on a flat position',
      { reduceOnly: true },
      { position: ZERO },
      Reason.REDUCE_ONLY_WOULD_INCREASE,
      'a reduce-only order may only shrink the position',
    ],
    [
      'selling more than held and not offered',
      { side: 'SELL', quantity: quantity('1.75') },
      {},
      Reason.INSUFFICIENT_POSITION,
      'sell 1.75 exceeds the 1.5 held and not already offered',
    ],
    [
      'buying beyond free cash (taker fee)',
      { quantity: quantity('5') },
      {},
      Reason.INSUFFICIENT_BALANCE,
      'cost 502 exceeds free cash 500',
    ],
  ])('%s', (_name, over, v, reason, message) => {
    expect(preTradeCheck(order(over), inst, { ...view, ...v })).toEqual({ reason, message });
  });
});

describe('a limit denial names the limit and the value that broke it', () => {
  const lv: LimitView = {
    position: ZERO,
    openBuy: ZERO,
    openSell: ZERO,
    openOrders: 0,
    lastPrice: Dec('100'),
    messagesLastSecond: 0,
    dayPnl: ZERO,
    duplicate: false,
    windowRange: { low: Dec('95'), high: Dec('105') },
    recentExecutions: 0,
  };

  it.each<[string, Partial<NewOrder>, RiskLimits, Partial<LimitView>, string, string]>([
    [
      'message throttle',
      {},
      { maxMessagesPerSecond: 4 },
      { messagesLastSecond: 4 },
      Reason.MESSAGE_THROTTLE,
      'more than 4 orders and cancels in one second',
    ],
    [
      'repeated executions, default window',
      { side: 'SELL' },
      { maxRepeatedExecutions: 3 },
      { recentExecutions: 3 },
      Reason.REPEATED_EXECUTION_THROTTLE,
      '3 SELL orders in TEST/USD executed within 60000 ms; the limit is 3',
    ],
    [
      'repeated executions, own window',
      {},
      { maxRepeatedExecutions: 2, repeatedExecutionWindowMs: 5000 },
      { recentExecutions: 2 },
      Reason.REPEATED_EXECUTION_THROTTLE,
      '2 BUY orders in TEST/USD executed within 5000 ms; the limit is 2',
    ],
    [
      'duplicate',
      {},
      { duplicateWindowMs: 750 },
      { duplicate: true },
      Reason.DUPLICATE_ORDER,
      'an equal order was made within 750 ms',
    ],
    [
      'collar without a price',
      {},
      { priceCollarPct: Dec('5') },
      { lastPrice: null },
      Reason.NO_REFERENCE_PRICE,
      'no reference price for the collar',
    ],
    [
      'outside the collar',
      { price: price('106.05') },
      { priceCollarPct: Dec('5.5') },
      {},
      Reason.PRICE_OUTSIDE_COLLAR,
      'price 106.05 is more than 5.5% from 100',
    ],
    [
      'window collar without a window',
      {},
      { windowCollarPct: Dec('5') },
      { windowRange: null },
      Reason.NO_REFERENCE_PRICE,
      'no reference price for the window collar',
    ],
    [
      'outside the window collar',
      { price: price('100.5') },
      { windowCollarPct: Dec('5.5') },
      { windowRange: { low: Dec('95'), high: Dec('110') } },
      Reason.PRICE_OUTSIDE_WINDOW_COLLAR,
      "price 100.5 is more than 5.5% from the window's low 95 or high 110",
    ],
  ])('%s', (_name, over, limits, v, reason, message) => {
    expect(limitCheck(order(over), limits, { ...lv, ...v })).toEqual({ reason, message });
  });
});
