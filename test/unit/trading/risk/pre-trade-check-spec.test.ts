import fc from 'fast-check';
import { Dec, ZERO, type Decimal } from '../../../../src/trading/core/decimal.js';
import { price, quantity } from '../../../../src/trading/core/money.js';
import { Reason, type ReasonCode } from '../../../../src/trading/core/reason-codes.js';
import type { Instrument } from '../../../../src/trading/model/instrument.js';
import type { Order } from '../../../../src/trading/model/order.js';
import type { OrderType, TimeInForce } from '../../../../src/trading/model/order-types.js';
import {
  buyCost,
  buyFeeRate,
  onePlusFeeRate,
  preTradeCheck,
  valuationPrice,
  type RiskView,
} from '../../../../src/trading/risk/pre-trade-check.js';
import { instrument, newOrder } from '../../../support/builders.js';

// The pre-trade rules stated one by one from docs/risk.md; the check must deny exactly when one
// denies, with the reason of the first. Instruments have maker ≠ taker fees either way round.
type Rule = (o: Order, i: Instrument, v: RiskView) => ReasonCode | null;

const fee = (o: Order, i: Instrument) =>
  o.postOnly && o.type === 'LIMIT'
    ? i.makerFee
    : i.makerFee.gt(i.takerFee)
      ? i.makerFee
      : i.takerFee;

const RULES: readonly Rule[] = [
  (o) => (o.postOnly && o.type !== 'LIMIT' ? Reason.INVALID_ORDER_OPTIONS : null),
  (o) => (o.postOnly && o.timeInForce !== 'GTC' ? Reason.INVALID_ORDER_OPTIONS : null),
  (o) =>
    (o.type === 'LIMIT' || o.type === 'STOP_LIMIT') && !(o.price?.gt(0) ?? false)
      ? Reason.PRICE_INVALID
      : null,
  (o) =>
    (o.type === 'STOP_MARKET' || o.type === 'STOP_LIMIT') && !(o.triggerPrice?.gt(0) ?? false)
      ? Reason.PRICE_INVALID
      : null,
  (o) => (o.quantity.eq(0) ? Reason.QUANTITY_ROUNDS_TO_ZERO : null),
  (o, i) => (o.quantity.lt(i.minQuantity) ? Reason.QUANTITY_BELOW_MIN : null),
  (o, _i, v) => (valuationPrice(o, v.lastPrice) === null ? Reason.NO_REFERENCE_PRICE : null),
  (o, i, v) =>
    o.quantity.times(valuationPrice(o, v.lastPrice)!).lt(i.minNotional)
      ? Reason.NOTIONAL_BELOW_MIN
      : null,
  (o, _i, v) => {
    if (!o.reduceOnly) return null;
    const after = o.side === 'BUY' ? v.position.plus(o.quantity) : v.position.minus(o.quantity);
    const flips = after.times(v.position).lt(0);
    return v.position.eq(0) || after.abs().gt(v.position.abs()) || flips
      ? Reason.REDUCE_ONLY_WOULD_INCREASE
      : null;
  },
  (o, _i, v) =>
    o.side === 'SELL' && !v.allowShort && o.quantity.gt(v.position.minus(v.openSellQuantity))
      ? Reason.INSUFFICIENT_POSITION
      : null,
  (o, i, v) => {
    if (o.side !== 'BUY') return null;
    const p = valuationPrice(o, v.lastPrice)!;
    const cost = o.quantity.times(p).times(fee(o, i).plus(1));
    return cost.gt(v.freeCash) ? Reason.INSUFFICIENT_BALANCE : null;
  },
];

function expected(o: Order, i: Instrument, v: RiskView): ReasonCode | null {
  for (const rule of RULES) {
    const r = rule(o, i, v);
    if (r !== null) return r;
  }
  return null;
}

const dec = (min: number, max: number) =>
  fc.integer({ min: min * 4, max: max * 4 }).map((n) => Dec(n).div(4));

const instArb = fc
  .record({
    maker: fc.constantFrom('0', '0.001', '0.002', '0.01'),
    taker: fc.constantFrom('0', '0.001', '0.002', '0.01'),
    minQuantity: fc.constantFrom('0', '1', '3'),
    minNotional: fc.constantFrom('0', '10', '200'),
  })
  .map(({ maker, taker, minQuantity, minNotional }) =>
    instrument({ makerFee: maker, takerFee: taker, minQuantity, minNotional }),
  );

const orderArb = fc
  .record({
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    type: fc.constantFrom<OrderType>('MARKET', 'LIMIT', 'STOP_MARKET', 'STOP_LIMIT'),
    tif: fc.constantFrom<TimeInForce>('GTC', 'IOC', 'FOK'),
    quantity: dec(0, 20),
    px: fc.option(dec(0, 200), { nil: null }),
    trigger: fc.option(dec(0, 200), { nil: null }),
    postOnly: fc.boolean(),
    reduceOnly: fc.boolean(),
  })
  .map((r) =>
    newOrder({
      side: r.side,
      type: r.type,
      timeInForce: r.tif,
      quantity: quantity(r.quantity),
      price: r.px === null ? null : price(r.px),
      triggerPrice: r.trigger === null ? null : price(r.trigger),
      postOnly: r.postOnly,
      reduceOnly: r.reduceOnly,
    }),
  );

const viewArb: fc.Arbitrary<RiskView> = fc.record({
  freeCash: dec(0, 5000) as fc.Arbitrary<Decimal>,
  position: dec(-30, 30),
  openSellQuantity: dec(0, 15),
  openBuyQuantity: dec(0, 15),
  lastPrice: fc.option(dec(1, 200), { nil: null }),
  allowShort: fc.boolean(),
});

describe('the pre-trade check', () => {
  it('denies exactly when one documented rule denies, with the first such reason', () => {
    fc.assert(
      fc.property(orderArb, instArb, viewArb, (o, i, v) => {
        expect(preTradeCheck(o, i, v)?.reason ?? null).toBe(expected(o, i, v));
      }),
      { numRuns: 5000, seed: 20261203 },
    );
  });

  it("makes an instrument's reserve factor (1 + fee rate) once per fee class, for that instrument only", () => {
    const a = instrument({ makerFee: '0.001', takerFee: '0.004' });
    const b = instrument({ makerFee: '0.001', takerFee: '0.004' });
    const worst = onePlusFeeRate(a, 'worst');
    expect([worst.toFixed(), onePlusFeeRate(a, 'maker').toFixed()]).toEqual(['1.004', '1.001']);
    // The same value each time (every open buy of the instrument reserves with it), not a new one.
    expect(onePlusFeeRate(a, 'worst')).toBe(worst);
    expect(onePlusFeeRate(a, 'maker')).toBe(onePlusFeeRate(a, 'maker'));
    // An equal but other instrument value (its rules changed, say) gets its own.
    expect(onePlusFeeRate(b, 'worst')).not.toBe(worst);
    expect(onePlusFeeRate(instrument({ takerFee: '0.002' }), 'worst').toFixed()).toBe('1.002');
  });

  it('values a resting post-only buy at the maker fee, any other buy at the higher fee', () => {
    const cheapMaker = instrument({ makerFee: '0.001', takerFee: '0.004' });
    const cheapTaker = instrument({ makerFee: '0.004', takerFee: '0.001' });
    const postOnly = newOrder({
      type: 'LIMIT',
      price: price('100'),
      quantity: quantity('10'),
      postOnly: true,
    });
    const plain = newOrder({ type: 'LIMIT', price: price('100'), quantity: quantity('10') });
    expect(buyCost(postOnly, cheapMaker, null).toFixed()).toBe('1001');
    expect(buyCost(plain, cheapMaker, null).toFixed()).toBe('1004');
    expect(buyCost(plain, cheapTaker, null).toFixed()).toBe('1004');
    expect(buyFeeRate(cheapTaker, 'maker').toFixed()).toBe('0.004');
    expect(buyFeeRate(cheapMaker, 'worst').toFixed()).toBe('0.004');
    expect(buyFeeRate(cheapTaker, 'worst').toFixed()).toBe('0.004');
    // The cash it needs decides: 1001 passes post-only, the same order taking liquidity does not.
    const view: RiskView = {
      freeCash: Dec('1002'),
      position: ZERO,
      openSellQuantity: ZERO,
      openBuyQuantity: ZERO,
      lastPrice: Dec(100),
      allowShort: false,
    };
    expect(preTradeCheck(postOnly, cheapMaker, view)).toBeNull();
    expect(preTradeCheck(plain, cheapMaker, view)?.reason).toBe(Reason.INSUFFICIENT_BALANCE);
  });

  it('values a market buy at the last price, and a partial quantity when given', () => {
    const inst = instrument({ makerFee: '0', takerFee: '0.01' });
    const o = newOrder({ quantity: quantity('4') });
    expect(buyCost(o, inst, Dec(50)).toFixed()).toBe('202');
    expect(buyCost(o, inst, Dec(50), Dec(2)).toFixed()).toBe('101');
    expect(buyCost(o, inst, null).toFixed()).toBe('0');
    expect(valuationPrice(newOrder({ triggerPrice: price('7') }), Dec(9))?.toFixed()).toBe('7');
  });

  it('never lets a reduce-only order flip the position', () => {
    const inst = instrument();
    const view = (position: number): RiskView => ({
      freeCash: Dec('1e9'),
      position: Dec(position),
      openSellQuantity: ZERO,
      openBuyQuantity: ZERO,
      lastPrice: Dec(100),
      allowShort: true,
    });
    const sell = (q: string) => newOrder({ side: 'SELL', quantity: quantity(q), reduceOnly: true });
    const buy = (q: string) => newOrder({ side: 'BUY', quantity: quantity(q), reduceOnly: true });
    expect(preTradeCheck(sell('5'), inst, view(5))).toBeNull();
    expect(preTradeCheck(sell('6'), inst, view(5))?.reason).toBe(Reason.REDUCE_ONLY_WOULD_INCREASE);
    expect(preTradeCheck(buy('3'), inst, view(-5))).toBeNull();
    expect(preTradeCheck(buy('10'), inst, view(-5))?.reason).toBe(
      Reason.REDUCE_ONLY_WOULD_INCREASE,
    );
    expect(preTradeCheck(buy('1'), inst, view(0))?.reason).toBe(Reason.REDUCE_ONLY_WOULD_INCREASE);
    expect(preTradeCheck(buy('1'), inst, view(5))?.reason).toBe(Reason.REDUCE_ONLY_WOULD_INCREASE);
  });
});
