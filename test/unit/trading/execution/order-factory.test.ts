import fc from 'fast-check';
import { Dec } from '../../../../src/trading/core/decimal.js';
import { Reason } from '../../../../src/trading/core/reason-codes.js';
import { makeOrder } from '../../../../src/trading/execution/order-factory.js';
import type { OrderRequest } from '../../../../src/trading/execution/order-request.js';
import { instrument } from '../../../support/builders.js';

// What a trader's request becomes: snapped in the direction that never costs more, or denied
// with a reason naming what is wrong; never a throw, never a zero order that looks valid.
const inst = instrument({ tickSize: '0.05', lotSize: '0.25' });
const ids = { clientOrderId: 'c-1', accountId: 'acc', strategyId: 'strat', ts: 123 };
const make = (req: OrderRequest) => makeOrder(req, inst, ids);

describe('making an order from a request', () => {
  it('snaps a buy limit down and a sell limit up to the tick, a trigger to the nearest tick', () => {
    const buy = make({ side: 'BUY', quantity: '1', price: '10.07' });
    const sell = make({ side: 'SELL', quantity: '1', price: '10.07' });
    expect(buy.order.price?.toFixed()).toBe('10.05');
    expect(sell.order.price?.toFixed()).toBe('10.1');
    const stopBuy = make({
      side: 'BUY',
      type: 'STOP_MARKET',
      quantity: '1',
      triggerPrice: '10.07',
    });
    const stopNear = make({
      side: 'SELL',
      type: 'STOP_MARKET',
      quantity: '1',
      triggerPrice: '10.02',
    });
    expect(stopBuy.order.triggerPrice?.toFixed()).toBe('10.05');
    expect(stopNear.order.triggerPrice?.toFixed()).toBe('10');
    expect(stopBuy.denial).toBeNull();
  });

  it('snaps quantities down to the lot whatever the side', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('BUY' as const, 'SELL' as const),
        fc.integer({ min: 1, max: 100_000 }),
        (side, n) => {
          const q = Dec(n).div(1000);
          const { order } = make({ side, quantity: q.toFixed(), price: '10' });
          expect(order.quantity.lte(q)).toBe(true);
          expect(q.minus(order.quantity).lt('0.25')).toBe(true);
          expect(order.quantity.mod('0.25').eq(0)).toBe(true);
        },
      ),
    );
  });

  it('fills in the defaults: LIMIT when priced else MARKET, GTC, not post-only or reduce-only, no tag', () => {
    const limit = make({ side: 'BUY', quantity: '1', price: '10' }).order;
    const market = make({ side: 'BUY', quantity: '1' }).order;
    expect(limit.type).toBe('LIMIT');
    expect(market.type).toBe('MARKET');
    expect(market.price).toBeNull();
    expect(market.triggerPrice).toBeNull();
    for (const o of [limit, market]) {
      expect(o.timeInForce).toBe('GTC');
      expect(o.postOnly).toBe(false);
      expect(o.reduceOnly).toBe(false);
      expect(o.tag).toBeNull();
      expect(o.status).toBe('INITIALIZED');
      expect(o.clientOrderId).toBe('c-1');
      expect(o.strategyId).toBe('strat');
      expect(o.instrumentId).toBe(inst.id);
      expect(o.createdAt).toBe(123);
    }
    const full = make({
      side: 'SELL',
      type: 'LIMIT',
      quantity: '1',
      price: '10',
      timeInForce: 'IOC',
      postOnly: true,
      reduceOnly: true,
      tag: 'x',
    }).order;
    expect([full.timeInForce, full.postOnly, full.reduceOnly, full.tag]).toEqual([
      'IOC',
      true,
      true,
      'x',
    ]);
  });

  it.each([['0'], ['-1'], ['abc'], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    'denies quantity %p as QUANTITY_INVALID with a zero quantity, not a throw',
    (q) => {
      const { order, denial } = make({ side: 'BUY', quantity: q as string, price: '10' });
      expect(denial?.reason).toBe(Reason.QUANTITY_INVALID);
      expect(denial?.message).toContain('quantity must be a positive number');
      expect(order.quantity.toFixed()).toBe('0');
    },
  );

  it.each<[Partial<OrderRequest>]>([
    [{ price: '0' }],
    [{ price: '-3' }],
    [{ price: 'x' }],
    [{ type: 'STOP_MARKET' as const, triggerPrice: '-1' }],
    [{ type: 'STOP_LIMIT' as const, price: '10', triggerPrice: '0' }],
  ])('denies a non-positive or non-numeric price %p as PRICE_INVALID', (over) => {
    const { order, denial } = make({ side: 'SELL', quantity: '1', ...over });
    expect(denial).toEqual({
      reason: Reason.PRICE_INVALID,
      message: 'price and trigger price must be positive numbers',
    });
    const bad = 'triggerPrice' in over ? order.triggerPrice : order.price;
    expect(bad?.toFixed()).toBe('0');
  });

  it('denies a price on a market order and a trigger on a limit or market order', () => {
    expect(make({ side: 'BUY', type: 'MARKET', quantity: '1', price: '10' }).denial?.reason).toBe(
      Reason.INVALID_ORDER_OPTIONS,
    );
    expect(
      make({ side: 'BUY', type: 'STOP_MARKET', quantity: '1', price: '10', triggerPrice: '9' })
        .denial?.message,
    ).toBe('a STOP_MARKET order takes no limit price');
    expect(
      make({ side: 'BUY', type: 'LIMIT', quantity: '1', price: '10', triggerPrice: '9' }).denial
        ?.message,
    ).toBe('a LIMIT order takes no trigger price');
    expect(
      make({ side: 'BUY', type: 'MARKET', quantity: '1', triggerPrice: '9' }).denial?.reason,
    ).toBe(Reason.INVALID_ORDER_OPTIONS);
    expect(
      make({ side: 'BUY', type: 'STOP_LIMIT', quantity: '1', price: '10', triggerPrice: '9' })
        .denial,
    ).toBeNull();
  });

  it('denies a request with no quantity at all (a strategy or Lambda that left it out)', () => {
    const { order, denial } = make({ side: 'BUY', price: '10' } as unknown as OrderRequest);
    expect(denial).toEqual({
      reason: Reason.QUANTITY_INVALID,
      message: 'quantity must be a positive number, was "undefined"',
    });
    expect(order.quantity.toFixed()).toBe('0');
  });

  it('checks the quantity before the price', () => {
    expect(make({ side: 'BUY', quantity: '-1', price: '-1' }).denial?.reason).toBe(
      Reason.QUANTITY_INVALID,
    );
  });
});
