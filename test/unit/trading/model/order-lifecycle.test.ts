import fc from 'fast-check';
import { Dec } from '../../../../src/trading/core/decimal.js';
import { InvariantError } from '../../../../src/trading/core/errors.js';
import { quantity } from '../../../../src/trading/core/money.js';
import { applyOrderEvent } from '../../../../src/trading/model/apply-order-event.js';
import type { OrderEvent } from '../../../../src/trading/model/order-events.js';
import {
  averageFillPrice,
  leavesQuantity,
  type Order,
} from '../../../../src/trading/model/order.js';
import { fill, newOrder, submittedOrder } from '../../../support/builders.js';

// What each venue report does to an order a trader is watching: its status, its reason, its
// venue id and its filled amounts, and the reports that must never be applied.
const ids = { clientOrderId: 'o-1', strategyId: 's', instrumentId: 'TEST/USD' };
const ev = (e: Record<string, unknown> & { kind: OrderEvent['kind'] }, ts = 5): OrderEvent =>
  ({ ...ids, ts, ...e }) as OrderEvent;
const filled = (side: 'BUY' | 'SELL', p: string, q: string, tradeId: string, ts = 7) =>
  ev(
    { kind: 'OrderFilled', fill: { ...fill(side, p, q, '0', tradeId), clientOrderId: 'o-1' } },
    ts,
  );
const apply = (o: Order, ...events: OrderEvent[]) => events.reduce(applyOrderEvent, o);

function invariantCode(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(InvariantError);
    return (e as InvariantError).code;
  }
}

describe('an order through its venue reports', () => {
  const order = submittedOrder({ quantity: quantity('10') });

  it('records the venue order id on acceptance and keeps it through fills and a cancel', () => {
    const accepted = apply(order, ev({ kind: 'OrderAccepted', venueOrderId: 'V42' }, 3));
    expect(accepted.status).toBe('ACCEPTED');
    expect(accepted.venueOrderId).toBe('V42');
    expect(accepted.updatedAt).toBe(3);
    const later = apply(
      accepted,
      filled('BUY', '100', '4', 't1'),
      ev({ kind: 'OrderPendingCancel' }),
      ev({ kind: 'OrderCanceled', reason: 'CANCELED_BY_USER' }, 9),
    );
    expect(later.venueOrderId).toBe('V42');
    expect(later.status).toBe('CANCELED');
    expect(later.reason).toBe('CANCELED_BY_USER');
    expect(later.updatedAt).toBe(9);
  });

  it('closes a rejected order as REJECTED with the venue reason, and a denied one as DENIED', () => {
    const rejected = apply(
      order,
      ev({ kind: 'OrderRejected', reason: 'VENUE_REJECTED', message: 'm' }),
    );
    expect(rejected.status).toBe('REJECTED');
    expect(rejected.reason).toBe('VENUE_REJECTED');
    expect(rejected.filledQuantity.toFixed()).toBe('0');
    const denied = apply(
      newOrder({ quantity: quantity('10') }),
      ev({ kind: 'OrderDenied', reason: 'POSITION_LIMIT', message: 'm' }),
    );
    expect(denied.status).toBe('DENIED');
    expect(denied.reason).toBe('POSITION_LIMIT');
    const unknown = apply(order, ev({ kind: 'OrderUnknown', reason: 'VENUE_TIMEOUT' }));
    expect(unknown.status).toBe('UNKNOWN');
    expect(unknown.reason).toBe('VENUE_TIMEOUT');
    const expired = apply(
      order,
      ev({ kind: 'OrderAccepted', venueOrderId: 'V' }),
      ev({ kind: 'OrderExpired', reason: 'IOC' }),
    );
    expect(expired.status).toBe('EXPIRED');
    expect(expired.reason).toBe('IOC');
  });

  it('returns a refused cancel to ACCEPTED, or to PARTIALLY_FILLED once something traded', () => {
    const accepted = apply(order, ev({ kind: 'OrderAccepted', venueOrderId: 'V' }));
    const back = apply(
      accepted,
      ev({ kind: 'OrderPendingCancel' }),
      ev({ kind: 'OrderCancelRejected', reason: 'x' }),
    );
    expect(back.status).toBe('ACCEPTED');
    const part = apply(
      accepted,
      filled('BUY', '100', '1', 't1'),
      ev({ kind: 'OrderPendingCancel' }),
      ev({ kind: 'OrderCancelRejected', reason: 'x' }),
    );
    expect(part.status).toBe('PARTIALLY_FILLED');
    expect(part.filledQuantity.toFixed()).toBe('1');
  });

  it('keeps a cancel pending through an acknowledgement that comes late or again; its outcome decides', () => {
    // Cancelled while on its way: the venue's acknowledgement then arrives.
    const asked = apply(order, ev({ kind: 'OrderPendingCancel' }, 3));
    const named = apply(asked, ev({ kind: 'OrderAccepted', venueOrderId: 'V1' }, 4));
    expect(named).toMatchObject({ status: 'PENDING_CANCEL', venueOrderId: 'V1', updatedAt: 4 });
    // The acknowledgement again (another channel, a repeat): the first name stays.
    const again = apply(named, ev({ kind: 'OrderAccepted', venueOrderId: 'V2' }, 5));
    expect(again).toMatchObject({ status: 'PENDING_CANCEL', venueOrderId: 'V1', updatedAt: 5 });
    expect(apply(again, ev({ kind: 'OrderCanceled', reason: 'CANCELED' }))).toMatchObject({
      status: 'CANCELED',
      venueOrderId: 'V1',
    });
    expect(apply(again, ev({ kind: 'OrderCancelRejected', reason: 'x' }))).toMatchObject({
      status: 'ACCEPTED',
      venueOrderId: 'V1',
    });
    // Accepted, partly filled, a cancel asked, the acknowledgement repeated: still pending.
    const part = apply(
      order,
      ev({ kind: 'OrderAccepted', venueOrderId: 'V' }),
      filled('BUY', '100', '2', 't1'),
      ev({ kind: 'OrderPendingCancel' }),
      ev({ kind: 'OrderAccepted', venueOrderId: 'V' }),
    );
    expect(part).toMatchObject({ status: 'PENDING_CANCEL', venueOrderId: 'V' });
    expect(part.filledQuantity.toFixed()).toBe('2');
  });

  it('fills exactly: quantity, notional and average price add up, FILLED only at the full quantity', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ q: fc.integer({ min: 1, max: 4 }), p: fc.integer({ min: 1, max: 999 }) }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        (fills) => {
          let o = apply(order, ev({ kind: 'OrderAccepted', venueOrderId: 'V' }));
          let q = Dec(0);
          let notional = Dec(0);
          for (const [n, f] of fills.entries()) {
            const px = Dec(f.p).div(100);
            if (q.plus(f.q).gt(10)) {
              const before = o;
              expect(
                invariantCode(() =>
                  applyOrderEvent(o, filled('BUY', px.toFixed(), String(f.q), `t${n}`)),
                ),
              ).toBe('ORDER_OVERFILL');
              expect(o).toBe(before);
              return;
            }
            o = applyOrderEvent(o, filled('BUY', px.toFixed(), String(f.q), `t${n}`, 100 + n));
            q = q.plus(f.q);
            notional = notional.plus(px.times(f.q));
            expect(o.filledQuantity.toFixed()).toBe(q.toFixed());
            expect(o.filledNotional.toFixed()).toBe(notional.toFixed());
            expect(leavesQuantity(o).toFixed()).toBe(Dec(10).minus(q).toFixed());
            expect(averageFillPrice(o)?.toFixed()).toBe(notional.div(q).toFixed());
            expect(o.status).toBe(q.eq(10) ? 'FILLED' : 'PARTIALLY_FILLED');
            expect(o.updatedAt).toBe(100 + n);
          }
        },
      ),
    );
  });

  it('refuses a fill on the wrong side, a fill meant for another order, and a second initialization', () => {
    const accepted = apply(order, ev({ kind: 'OrderAccepted', venueOrderId: 'V' }));
    expect(invariantCode(() => applyOrderEvent(accepted, filled('SELL', '1', '1', 't')))).toBe(
      'FILL_SIDE_MISMATCH',
    );
    expect(
      invariantCode(() =>
        applyOrderEvent(accepted, { ...filled('BUY', '1', '1', 't'), clientOrderId: 'o-2' }),
      ),
    ).toBe('ORDER_EVENT_MISMATCH');
    expect(
      invariantCode(() =>
        applyOrderEvent(accepted, ev({ kind: 'OrderInitialized', order: accepted })),
      ),
    ).toBe('ORDER_ILLEGAL_TRANSITION');
    expect(invariantCode(() => applyOrderEvent(accepted, filled('BUY', '1', '11', 't')))).toBe(
      'ORDER_OVERFILL',
    );
    expect(
      invariantCode(() => applyOrderEvent(accepted, filled('BUY', '1', '10', 't'))),
    ).toBeNull();
  });

  it.each(['OrderCanceled', 'OrderExpired'] as const)(
    'counts a trade reported after %s without reopening the order',
    (kind) => {
      const closed = apply(
        order,
        ev({ kind: 'OrderAccepted', venueOrderId: 'V' }),
        filled('BUY', '10', '2', 't1'),
        ev({ kind, reason: 'r' }),
      );
      const late = applyOrderEvent(closed, filled('BUY', '11', '3', 't2', 50));
      expect(late.status).toBe(closed.status);
      expect(late.reason).toBe('r');
      expect(late.venueOrderId).toBe('V');
      expect(late.filledQuantity.toFixed()).toBe('5');
      expect(late.filledNotional.toFixed()).toBe('53');
      expect(late.updatedAt).toBe(50);
      expect(invariantCode(() => applyOrderEvent(late, filled('BUY', '1', '6', 't3')))).toBe(
        'ORDER_OVERFILL',
      );
    },
  );

  it('never applies anything to a FILLED, REJECTED or DENIED order', () => {
    const done = [
      apply(order, ev({ kind: 'OrderAccepted', venueOrderId: 'V' }), filled('BUY', '1', '10', 't')),
      apply(order, ev({ kind: 'OrderRejected', reason: 'r', message: 'm' })),
    ];
    for (const o of done) {
      expect(
        invariantCode(() => applyOrderEvent(o, ev({ kind: 'OrderCanceled', reason: 'x' }))),
      ).toBe('ORDER_ILLEGAL_TRANSITION');
      expect(invariantCode(() => applyOrderEvent(o, filled('BUY', '1', '0', 't9')))).toBe(
        'ORDER_ILLEGAL_TRANSITION',
      );
    }
  });

  it('shows no reason while an order works, and keeps the last one given', () => {
    const working = apply(
      order,
      ev({ kind: 'OrderAccepted', venueOrderId: 'V' }),
      filled('BUY', '100', '1', 't1'),
      ev({ kind: 'OrderPendingCancel' }),
      // The venue's text for a refused cancel is not the order's reason: it works on.
      ev({ kind: 'OrderCancelRejected', reason: 'CANCEL_REJECTED' }),
    );
    expect(working.status).toBe('PARTIALLY_FILLED');
    expect(working.reason).toBeNull();
    expect(averageFillPrice(order)).toBeNull();
    expect(averageFillPrice(working)?.toFixed()).toBe('100');
    // A timed-out submit resolved by reconciliation: accepted, the timeout still on record.
    const resolved = apply(
      order,
      ev({ kind: 'OrderUnknown', reason: 'VENUE_TIMEOUT' }),
      ev({ kind: 'OrderAccepted', venueOrderId: 'V9' }),
      filled('BUY', '100', '10', 't2'),
    );
    expect(resolved.status).toBe('FILLED');
    expect(resolved.venueOrderId).toBe('V9');
    expect(resolved.reason).toBe('VENUE_TIMEOUT');
  });
});
