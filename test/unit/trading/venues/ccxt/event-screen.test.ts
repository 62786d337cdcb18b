import { quantity } from '../../../../../src/trading/core/money.js';
import { applyOrderEvent } from '../../../../../src/trading/model/apply-order-event.js';
import type { OrderEvent } from '../../../../../src/trading/model/order-events.js';
import type { Order } from '../../../../../src/trading/model/order.js';
import { isLegalReport } from '../../../../../src/trading/venues/ccxt/event-screen.js';
import { submittedOrder } from '../../../../support/builders.js';

const ids = { clientOrderId: 'o-1', strategyId: 's', instrumentId: 'TEST/USD' };
const ev = (e: Record<string, unknown> & { kind: OrderEvent['kind'] }): OrderEvent =>
  ({ ...ids, ts: 1, ...e }) as OrderEvent;
const apply = (o: Order, ...events: OrderEvent[]) => events.reduce(applyOrderEvent, o);
const ack = (venueOrderId: string) => ev({ kind: 'OrderAccepted', venueOrderId });

describe('isLegalReport: which venue reports reach the OMS', () => {
  const order = submittedOrder({ quantity: quantity('10') });

  it('takes the acknowledgement of an order whose cancel went out before it; drops it repeated', () => {
    const pending = apply(order, ev({ kind: 'OrderPendingCancel' }));
    expect(isLegalReport(pending, ack('V1'))).toBe(true);
    const named = apply(pending, ack('V1'));
    expect(named.status).toBe('PENDING_CANCEL');
    expect(isLegalReport(named, ack('V1'))).toBe(false);
    // Acknowledged first, then the cancel asked: a repeat of the acknowledgement is dropped.
    const asked = apply(order, ack('V1'), ev({ kind: 'OrderPendingCancel' }));
    expect(isLegalReport(asked, ack('V1'))).toBe(false);
    // The cancel's outcome is taken either way.
    expect(isLegalReport(named, ev({ kind: 'OrderCanceled', reason: 'x' }))).toBe(true);
    expect(isLegalReport(named, ev({ kind: 'OrderCancelRejected', reason: 'x' }))).toBe(true);
  });

  it('drops an acknowledgement repeated on a working or closed order, takes the first', () => {
    expect(isLegalReport(order, ack('V1'))).toBe(true);
    const accepted = apply(order, ack('V1'));
    expect(isLegalReport(accepted, ack('V1'))).toBe(false);
    const canceled = apply(accepted, ev({ kind: 'OrderCanceled', reason: 'x' }));
    expect(isLegalReport(canceled, ack('V1'))).toBe(false);
    // A refused cancel only while one is pending.
    expect(isLegalReport(accepted, ev({ kind: 'OrderCancelRejected', reason: 'x' }))).toBe(false);
  });
});
