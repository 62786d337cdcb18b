import fc from 'fast-check';
import { price, quantity } from '../../../../src/trading/core/money.js';
import { applyOrderEvent } from '../../../../src/trading/model/apply-order-event.js';
import type { NewOrder, Order } from '../../../../src/trading/model/order.js';
import { describeDecision, sameDecision } from '../../../../src/trading/model/same-decision.js';
import { newOrder } from '../../../support/builders.js';

/** A decision's fields from small sets, so two drawn decisions often share some and differ in others. */
const decision = fc.record({
  instrumentId: fc.constantFrom('BTC/USDT', 'ETH/USDT'),
  side: fc.constantFrom('BUY' as const, 'SELL' as const),
  type: fc.constantFrom('MARKET' as const, 'LIMIT' as const, 'STOP_MARKET' as const),
  timeInForce: fc.constantFrom('GTC' as const, 'IOC' as const),
  postOnly: fc.boolean(),
  reduceOnly: fc.boolean(),
  // Written in several ways: '1', '1.0' and '1.00' are one quantity.
  quantity: fc.constantFrom('1', '1.0', '1.00', '2', '0.5'),
  price: fc.constantFrom(null, '100', '100.00', '101'),
  triggerPrice: fc.constantFrom(null, '90', '90.0', '95'),
});
type Decision = typeof decision extends fc.Arbitrary<infer D> ? D : never;

/** Everything that is not the decision: ids, owner, times, tag. */
const rest = fc.record({
  clientOrderId: fc.constantFrom('s-1', 's-2'),
  accountId: fc.constantFrom('desk', 'other'),
  strategyId: fc.constantFrom('s', 't'),
  createdAt: fc.integer({ min: 0, max: 10 }),
  tag: fc.constantFrom(null, 'entry'),
});

const orderOf = (
  d: Decision,
  r: Omit<NewOrder, keyof Decision | 'clientOrderId'> & { clientOrderId: string },
): Order =>
  newOrder(
    {
      ...r,
      ...d,
      quantity: quantity(d.quantity),
      price: d.price === null ? null : price(d.price),
      triggerPrice: d.triggerPrice === null ? null : price(d.triggerPrice),
    },
    r.clientOrderId,
  );

/** The same decision by value, field by field, written independently of `sameDecision`. */
const sameByValue = (a: Decision, b: Decision): boolean => {
  const num = (x: string | null, y: string | null) =>
    x === null || y === null ? x === y : Number(x) === Number(y);
  return (
    a.instrumentId === b.instrumentId &&
    a.side === b.side &&
    a.type === b.type &&
    a.timeInForce === b.timeInForce &&
    a.postOnly === b.postOnly &&
    a.reduceOnly === b.reduceOnly &&
    num(a.quantity, b.quantity) &&
    num(a.price, b.price) &&
    num(a.triggerPrice, b.triggerPrice)
  );
};

describe('sameDecision: a replayed bar or an API retry under the same key made the order first made', () => {
  it('is true exactly when instrument, side, type, time in force, flags, quantity and prices are equal by value (property)', () => {
    fc.assert(
      fc.property(decision, decision, rest, rest, (da, db, ra, rb) => {
        const a = orderOf(da, ra);
        const b = orderOf(db, rb);
        const expected = sameByValue(da, db);
        expect(sameDecision(a, b)).toBe(expected);
        expect(sameDecision(b, a)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("ignores the order's ids, owner, times, tag and state", () => {
    const first = newOrder({ price: price('100'), type: 'LIMIT' }, 's-1');
    const later = applyOrderEvent(
      newOrder(
        {
          price: price('100.0'),
          type: 'LIMIT',
          accountId: 'other',
          strategyId: 't',
          createdAt: 99,
          tag: 'x',
        },
        's-9',
      ),
      { kind: 'OrderSubmitted', ...refOf('s-9', 'other', 't'), ts: 100 },
    );
    expect(later.status).toBe('SUBMITTED');
    expect(sameDecision(first, later)).toBe(true);
  });

  it('tells a price from none, either way', () => {
    const market = newOrder();
    const limit = newOrder({ price: price('100') });
    expect(sameDecision(market, limit)).toBe(false);
    expect(sameDecision(limit, market)).toBe(false);
    const stop = newOrder({ triggerPrice: price('90') });
    expect(sameDecision(market, stop)).toBe(false);
    expect(sameDecision(stop, market)).toBe(false);
  });
});

describe('describeDecision: the decision in a few words, for REPLAY_MISMATCH and idempotency errors', () => {
  it('names side, quantity, type, then the price and the trigger when there are some', () => {
    expect(describeDecision(newOrder({ quantity: quantity('0.50') }))).toBe('BUY 0.5 MARKET');
    expect(
      describeDecision(newOrder({ side: 'SELL', type: 'LIMIT', price: price('101.250') })),
    ).toBe('SELL 10 LIMIT @ 101.25');
    expect(describeDecision(newOrder({ type: 'STOP_MARKET', triggerPrice: price('90') }))).toBe(
      'BUY 10 STOP_MARKET trigger 90',
    );
    expect(
      describeDecision(
        newOrder({ type: 'STOP_LIMIT', price: price('89.5'), triggerPrice: price('90') }),
      ),
    ).toBe('BUY 10 STOP_LIMIT @ 89.5 trigger 90');
  });
});

function refOf(clientOrderId: string, accountId: string, strategyId: string) {
  return { clientOrderId, accountId, strategyId, instrumentId: 'TEST/USD' };
}
