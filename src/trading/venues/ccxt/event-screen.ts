import type { Order } from '../../model/order.js';
import type { OrderEvent } from '../../model/order-events.js';
import { canTransition } from '../../model/order-state-machine.js';
import type { OrderStatus } from '../../model/order-types.js';

/** The status an event would move the order to; null for events a venue never reports. */
function targetStatus(o: Order, e: OrderEvent): OrderStatus | null {
  switch (e.kind) {
    case 'OrderAccepted':
      return 'ACCEPTED';
    case 'OrderRejected':
      return 'REJECTED';
    case 'OrderUnknown':
      return 'UNKNOWN';
    case 'OrderCanceled':
      return 'CANCELED';
    case 'OrderExpired':
      return 'EXPIRED';
    case 'OrderCancelRejected':
      if (o.status !== 'PENDING_CANCEL') return null;
      return o.filledQuantity.gt(0) ? 'PARTIALLY_FILLED' : 'ACCEPTED';
    case 'OrderFilled':
      return o.filledQuantity.plus(e.fill.quantity).eq(o.quantity) ? 'FILLED' : 'PARTIALLY_FILLED';
    default:
      return null;
  }
}

/**
 * True when a venue report may be applied to the order as it is now. Venues repeat and reorder
 * reports (a late accept after a fill, a second cancel); those would be illegal transitions,
 * which the OMS treats as bugs, so the adapter drops them here.
 *
 * @example
 * if (isLegalReport(exec.order(id)!, event)) deliver(event);
 */
export function isLegalReport(o: Order, e: OrderEvent): boolean {
  // An acknowledgement while a cancel is on its way names the order (it stays PENDING_CANCEL);
  // once it is named, another is a repeat.
  if (e.kind === 'OrderAccepted' && o.status === 'PENDING_CANCEL') return o.venueOrderId === null;
  const to = targetStatus(o, e);
  return to !== null && canTransition(o.status, to);
}
