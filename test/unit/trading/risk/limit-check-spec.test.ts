import fc from 'fast-check';
import { Dec, type Decimal } from '../../../../src/trading/core/decimal.js';
import { price, quantity } from '../../../../src/trading/core/money.js';
import { Reason, type ReasonCode } from '../../../../src/trading/core/reason-codes.js';
import type { Order } from '../../../../src/trading/model/order.js';
import {
  increasesExposure,
  limitCheck,
  type LimitView,
} from '../../../../src/trading/risk/limit-check.js';
import type { RiskLimits } from '../../../../src/trading/risk/risk-limits.js';
import { newOrder } from '../../../support/builders.js';

// Each limit stated on its own, as docs/risk.md describes it. The gate must deny exactly when
// one of them denies, with the reason of the first in the documented order: one limit passing
// can never switch another off.
type Rule = (o: Order, l: RiskLimits, v: LimitView) => ReasonCode | null;

const ref = (o: Order, v: LimitView) => o.price ?? o.triggerPrice ?? v.lastPrice;
const priced = (o: Order) => o.price ?? o.triggerPrice;
const signedOpen = (o: Order, v: LimitView) => (o.side === 'BUY' ? v.openBuy : v.openSell.neg());

const RULES: readonly Rule[] = [
  (_o, l, v) =>
    l.maxMessagesPerSecond !== undefined && v.messagesLastSecond >= l.maxMessagesPerSecond
      ? Reason.MESSAGE_THROTTLE
      : null,
  (_o, l, v) =>
    l.maxRepeatedExecutions !== undefined && v.recentExecutions >= l.maxRepeatedExecutions
      ? Reason.REPEATED_EXECUTION_THROTTLE
      : null,
  (_o, l, v) => (l.duplicateWindowMs !== undefined && v.duplicate ? Reason.DUPLICATE_ORDER : null),
  (_o, l, v) =>
    l.maxOpenOrders !== undefined && v.openOrders >= l.maxOpenOrders
      ? Reason.OPEN_ORDERS_LIMIT
      : null,
  (o, l) =>
    l.maxOrderQuantity !== undefined && o.quantity.gt(l.maxOrderQuantity)
      ? Reason.ORDER_QUANTITY_LIMIT
      : null,
  (o, l, v) => {
    const r = ref(o, v);
    return l.maxOrderValue !== undefined && r !== null && o.quantity.times(r).gt(l.maxOrderValue)
      ? Reason.ORDER_VALUE_LIMIT
      : null;
  },
  (o, l, v) => {
    const p = priced(o);
    if (l.priceCollarPct === undefined || p === null) return null;
    if (v.lastPrice === null) return Reason.NO_REFERENCE_PRICE;
    // |p − last| / last > pct %, multiplied out so no division rounds.
    const off = p.minus(v.lastPrice).abs().times(100);
    return off.gt(v.lastPrice.times(l.priceCollarPct)) ? Reason.PRICE_OUTSIDE_COLLAR : null;
  },
  (o, l, v) => {
    const p = priced(o);
    if (l.windowCollarPct === undefined || p === null) return null;
    if (v.windowRange === null) return Reason.NO_REFERENCE_PRICE;
    const { low, high } = v.windowRange;
    const fromLow = p.minus(low).times(100);
    const fromHigh = high.minus(p).times(100);
    return fromLow.gt(low.times(l.windowCollarPct)) || fromHigh.gt(high.times(l.windowCollarPct))
      ? Reason.PRICE_OUTSIDE_WINDOW_COLLAR
      : null;
  },
  (o, l, v) => {
    if (l.maxPosition === undefined) return null;
    const withOpen = v.position.plus(signedOpen(o, v));
    const worst = o.side === 'BUY' ? withOpen.plus(o.quantity) : withOpen.minus(o.quantity);
    // Only an order that moves the worst case further from zero is denied.
    return worst.abs().gt(l.maxPosition) && worst.abs().gt(withOpen.abs())
      ? Reason.POSITION_LIMIT
      : null;
  },
  (o, l, v) => {
    if (l.dailyLossLimit === undefined || v.dayPnl === null) return null;
    const after = o.side === 'BUY' ? v.position.plus(o.quantity) : v.position.minus(o.quantity);
    return v.dayPnl.neg().gte(l.dailyLossLimit) && after.abs().gt(v.position.abs())
      ? Reason.DAILY_LOSS_LIMIT
      : null;
  },
];

function expected(o: Order, l: RiskLimits, v: LimitView): ReasonCode | null {
  for (const rule of RULES) {
    const r = rule(o, l, v);
    if (r !== null) return r;
  }
  return null;
}

const dec = (min: number, max: number) =>
  fc.integer({ min: min * 4, max: max * 4 }).map((n) => Dec(n).div(4));
const pos = (max: number) => dec(1, max) as fc.Arbitrary<Decimal>;

const orderArb = fc
  .record({
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    type: fc.constantFrom('MARKET' as const, 'LIMIT' as const, 'STOP_MARKET' as const),
    quantity: pos(20),
    px: pos(200),
  })
  .map(({ side, type, quantity: q, px }) =>
    newOrder({
      side,
      type,
      quantity: quantity(q),
      price: type === 'LIMIT' ? price(px) : null,
      triggerPrice: type === 'STOP_MARKET' ? price(px) : null,
    }),
  );

const limitsArb: fc.Arbitrary<RiskLimits> = fc.record(
  {
    maxOrderValue: pos(3000),
    maxOrderQuantity: pos(20),
    maxPosition: pos(30),
    maxOpenOrders: fc.integer({ min: 0, max: 5 }),
    priceCollarPct: pos(60),
    maxMessagesPerSecond: fc.integer({ min: 0, max: 5 }),
    dailyLossLimit: pos(500),
    duplicateWindowMs: fc.integer({ min: 1, max: 1000 }),
    windowCollarPct: pos(60),
    maxRepeatedExecutions: fc.integer({ min: 0, max: 5 }),
  },
  { requiredKeys: [] },
);

const viewArb: fc.Arbitrary<LimitView> = fc
  .record({
    position: dec(-30, 30),
    openBuy: dec(0, 15),
    openSell: dec(0, 15),
    openOrders: fc.integer({ min: 0, max: 6 }),
    lastPrice: fc.option(pos(200), { nil: null }),
    messagesLastSecond: fc.integer({ min: 0, max: 6 }),
    dayPnl: fc.option(dec(-800, 800), { nil: null }),
    duplicate: fc.boolean(),
    window: fc.option(fc.tuple(pos(200), pos(200)), { nil: null }),
    recentExecutions: fc.integer({ min: 0, max: 6 }),
  })
  .map(({ window, ...v }) => ({
    ...v,
    windowRange:
      window === null
        ? null
        : {
            low: window[0].lt(window[1]) ? window[0] : window[1],
            high: window[0].lt(window[1]) ? window[1] : window[0],
          },
  }));

describe('the limit checks of one scope', () => {
  it('deny exactly when one documented limit denies, with the first such reason', () => {
    fc.assert(
      fc.property(orderArb, limitsArb, viewArb, (o, l, v) => {
        expect(limitCheck(o, l, v)?.reason ?? null).toBe(expected(o, l, v));
      }),
      { numRuns: 4000, seed: 20261203 },
    );
  });

  it('never let a passing limit switch another off: adding limits never turns a denial into a pass', () => {
    fc.assert(
      fc.property(orderArb, limitsArb, limitsArb, viewArb, (o, a, b, v) => {
        if (limitCheck(o, a, v) === null) return;
        expect(limitCheck(o, { ...b, ...a }, v)).not.toBeNull();
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('name the limit and the offending value in the message', () => {
    const v: LimitView = {
      position: Dec(0),
      openBuy: Dec(0),
      openSell: Dec(0),
      openOrders: 0,
      lastPrice: Dec(100),
      messagesLastSecond: 0,
      dayPnl: Dec(-50),
      duplicate: false,
      windowRange: { low: Dec(90), high: Dec(110) },
      recentExecutions: 0,
    };
    const o = newOrder({ side: 'BUY', quantity: quantity('3') });
    expect(limitCheck(o, { maxOrderQuantity: Dec(2) }, v)?.message).toBe('quantity 3 exceeds 2');
    expect(limitCheck(o, { maxOrderValue: Dec(250) }, v)?.message).toBe('value 300 exceeds 250');
    expect(limitCheck(o, { maxPosition: Dec(2) }, v)?.message).toBe(
      'position could reach 3; the limit is ±2',
    );
    expect(limitCheck(o, { dailyLossLimit: Dec(50) }, v)?.message).toBe(
      "today's loss 50 reached 50",
    );
    expect(limitCheck(o, { maxOpenOrders: 0 }, v)?.message).toBe(
      '0 orders are open; the limit is 0',
    );
  });
});

describe('increasesExposure', () => {
  it('is true exactly when the position after the order is further from zero', () => {
    fc.assert(
      fc.property(orderArb, dec(-30, 30), (o, p) => {
        const after = o.side === 'BUY' ? p.plus(o.quantity) : p.minus(o.quantity);
        expect(increasesExposure(o, p)).toBe(after.abs().gt(p.abs()));
      }),
    );
    expect(increasesExposure(newOrder({ side: 'SELL', quantity: quantity('5') }), Dec(5))).toBe(
      false,
    );
    expect(increasesExposure(newOrder({ side: 'SELL', quantity: quantity('11') }), Dec(5))).toBe(
      true,
    );
  });
});
