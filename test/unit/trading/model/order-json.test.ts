import fc from 'fast-check';
import { Dec, type Decimal } from '../../../../src/trading/core/decimal.js';
import { price, quantity } from '../../../../src/trading/core/money.js';
import { applyOrderEvent } from '../../../../src/trading/model/apply-order-event.js';
import { orderRef, type OrderEvent } from '../../../../src/trading/model/order-events.js';
import {
  orderEventFromJson,
  orderEventToJson,
  orderFromJson,
  orderToJson,
} from '../../../../src/trading/model/order-json.js';
import { initOrder, type Order } from '../../../../src/trading/model/order.js';
import { ORDER_STATUSES } from '../../../../src/trading/model/order-state-machine.js';
import { fill } from '../../../support/builders.js';

// Orders and their events are stored and sent as JSON (the store's event payloads, the API, the
// strategy seam). What a trader reads back must be the order that was written: every decimal
// exact and usable as a decimal again, an absent price still absent.

/** A decimal on a grid of 10^-places, up to 18 places (an ERC-20 token's lot). */
const decimal = fc
  .tuple(fc.bigInt({ min: 1n, max: 10n ** 20n }), fc.integer({ min: 0, max: 18 }))
  .map(([m, places]) => Dec(m.toString()).div(Dec(10).pow(places)));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });

const order: fc.Arbitrary<Order> = fc
  .record({
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    type: fc.constantFrom('MARKET' as const, 'LIMIT' as const, 'STOP_MARKET' as const),
    timeInForce: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const),
    quantity: decimal,
    price: maybe(decimal),
    triggerPrice: maybe(decimal),
    postOnly: fc.boolean(),
    reduceOnly: fc.boolean(),
    status: fc.constantFrom(...ORDER_STATUSES),
    venueOrderId: maybe(fc.string({ minLength: 1, maxLength: 8 })),
    filled: decimal,
    notional: decimal,
    reason: maybe(fc.constantFrom('VENUE_REJECTED', 'CANCELED_BY_USER', 'IOC')),
    tag: maybe(fc.string({ maxLength: 8 })),
    createdAt: fc.integer({ min: 0, max: 2 ** 42 }),
  })
  .map((r) => ({
    ...initOrder({
      clientOrderId: 'K-s-1',
      accountId: 'acct',
      strategyId: 's',
      instrumentId: 'PEPE/USDT',
      side: r.side,
      type: r.type,
      timeInForce: r.timeInForce,
      quantity: quantity(r.quantity),
      price: r.price === null ? null : price(r.price),
      triggerPrice: r.triggerPrice === null ? null : price(r.triggerPrice),
      postOnly: r.postOnly,
      reduceOnly: r.reduceOnly,
      createdAt: r.createdAt,
      tag: r.tag,
    }),
    status: r.status,
    venueOrderId: r.venueOrderId,
    filledQuantity: quantity(r.filled),
    filledNotional: r.notional,
    reason: r.reason,
    updatedAt: r.createdAt + 1,
  }));

/** The order with every decimal as its exact text: what two equal orders share. */
function plain(o: Order) {
  const text = (d: Decimal | null) => (d === null ? null : d.toFixed());
  return {
    ...o,
    quantity: text(o.quantity),
    price: text(o.price),
    triggerPrice: text(o.triggerPrice),
    filledQuantity: text(o.filledQuantity),
    filledNotional: text(o.filledNotional),
  };
}

const through = (o: Order) => orderFromJson(JSON.parse(JSON.stringify(orderToJson(o))));
const eventThrough = (e: OrderEvent) =>
  orderEventFromJson(JSON.parse(JSON.stringify(orderEventToJson(e))));

describe('an order stored as JSON and read back', () => {
  it('has every field it was written with, decimals exact and absent prices still absent', () => {
    fc.assert(
      fc.property(order, (o) => {
        const json = orderToJson(o);
        expect(typeof json.quantity).toBe('string');
        expect(Dec(json.quantity).eq(o.quantity)).toBe(true);
        expect(Dec(json.filledNotional).eq(o.filledNotional)).toBe(true);
        const back = through(o);
        expect(plain(back)).toEqual(plain(o));
        // Decimals again, not text: the leaves and the average price are computed from them.
        for (const d of [back.quantity, back.filledQuantity, back.filledNotional])
          expect(d).toBeInstanceOf(Dec);
        expect(back.quantity.minus(back.filledQuantity).toFixed()).toBe(
          o.quantity.minus(o.filledQuantity).toFixed(),
        );
        if (o.price !== null) expect(back.price).toBeInstanceOf(Dec);
        if (o.triggerPrice !== null) expect(back.triggerPrice).toBeInstanceOf(Dec);
      }),
      { numRuns: 200 },
    );
  });
});

describe('an order event stored as JSON and replayed', () => {
  const placed = initOrder({
    clientOrderId: 'K-s-1',
    accountId: 'acct',
    strategyId: 's',
    instrumentId: 'PEPE/USDT',
    side: 'BUY',
    type: 'LIMIT',
    timeInForce: 'GTC',
    quantity: quantity('1500000.5'),
    price: price('0.000012345678'),
    triggerPrice: null,
    postOnly: true,
    reduceOnly: false,
    createdAt: 1,
    tag: 'dip',
  });
  const ref = orderRef(placed);
  const fillOf = (q: string, tradeId: string) => ({
    ...fill('BUY', '0.000012345678', q, '0.0000000123', tradeId),
    accountId: 'acct',
    clientOrderId: 'K-s-1',
    instrumentId: 'PEPE/USDT',
    liquidity: 'MAKER' as const,
  });
  const events: OrderEvent[] = [
    { kind: 'OrderSubmitted', ...ref, ts: 2 },
    { kind: 'OrderAccepted', ...ref, venueOrderId: 'V-77', ts: 3 },
    { kind: 'OrderFilled', ...ref, fill: fillOf('1000000', 'T-1'), ts: 4 },
    { kind: 'OrderPendingCancel', ...ref, ts: 5 },
    { kind: 'OrderCancelRejected', ...ref, reason: 'UNKNOWN_ORDER', ts: 6 },
    { kind: 'OrderFilled', ...ref, fill: fillOf('0.5', 'T-2'), ts: 7 },
    { kind: 'OrderCanceled', ...ref, reason: 'CANCELED_BY_USER', ts: 8 },
  ];

  it('rebuilds the same order as the live events did, fills and fees exact', () => {
    const initialized: OrderEvent = { kind: 'OrderInitialized', ...ref, order: placed, ts: 1 };
    const stored = eventThrough(initialized);
    if (stored.kind !== 'OrderInitialized') throw new Error(stored.kind);
    expect(stored.order.quantity).toBeInstanceOf(Dec);
    expect(plain(stored.order)).toEqual(plain(placed));
    const live = events.reduce(applyOrderEvent, placed);
    const replayed = events.map(eventThrough).reduce(applyOrderEvent, stored.order);
    expect(plain(replayed)).toEqual(plain(live));
    expect(replayed.status).toBe('CANCELED');
    expect(replayed.filledQuantity.toFixed()).toBe('1000000.5');
    expect(replayed.filledNotional.toFixed()).toBe('12.345684172839');
    for (const [i, e] of events.entries()) {
      const back = eventThrough(e);
      expect(orderEventToJson(back)).toEqual(orderEventToJson(e));
      if (back.kind === 'OrderFilled') {
        const f = (e as typeof back).fill;
        for (const d of [back.fill.price, back.fill.quantity, back.fill.fee.amount])
          expect(d).toBeInstanceOf(Dec);
        expect(back.fill.fee.amount.toFixed()).toBe(f.fee.amount.toFixed());
        expect(back.fill.fee.currency).toBe('USD');
        expect(back.fill.liquidity).toBe('MAKER');
      } else expect(back).toEqual(events[i]);
    }
  });
});
