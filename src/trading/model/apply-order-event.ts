import { assertNever, InvariantError } from '../core/errors.js';
import { addDecimals, compareDecimals, multiplyDecimals, signOf } from '../core/scaled-decimal.js';
import type { Decimal } from '../core/decimal.js';
import type { Quantity } from '../core/money.js';
import { copyOrder, type Order } from './order.js';
import type { OrderEvent } from './order-events.js';
import { closedButFillable, transition } from './order-state-machine.js';
import type { OrderStatus } from './order-types.js';

/**
 * Returns the order after `event`. An illegal transition, an overfill or a fill for another
 * order throws `InvariantError` (the execution engine screens venue reports before this).
 *
 * @example
 * order = applyOrderEvent(order, { kind: 'OrderAccepted', venueOrderId: '42', ...ids, ts });
 */
export function applyOrderEvent(order: Order, event: OrderEvent): Order {
  if (event.clientOrderId !== order.clientOrderId) {
    throw new InvariantError(
      'ORDER_EVENT_MISMATCH',
      // Stryker disable next-line StringLiteral: message text; the stable code before it is asserted
      `${event.kind} for ${event.clientOrderId} applied to ${order.clientOrderId}`,
    );
  }
  const ts = event.ts;
  switch (event.kind) {
    case 'OrderInitialized':
      throw new InvariantError(
        'ORDER_ILLEGAL_TRANSITION',
        // Stryker disable next-line StringLiteral: message text; the stable code before it is asserted
        `order ${order.clientOrderId} is already initialized`,
      );
    case 'OrderDenied':
      return moved(order, ts, 'DENIED', event.reason);
    case 'OrderSubmitted':
      return moved(order, ts, 'SUBMITTED');
    case 'OrderAccepted':
      // A cancel is on its way (asked while the order was, or a repeat of the acknowledgement):
      // the acknowledgement names the order, the cancel's outcome decides its status.
      if (order.status === 'PENDING_CANCEL')
        return copyOrder(order, {
          ...order,
          venueOrderId: order.venueOrderId ?? event.venueOrderId,
          updatedAt: ts,
        });
      return moved(order, ts, 'ACCEPTED', undefined, event.venueOrderId);
    case 'OrderRejected':
      return moved(order, ts, 'REJECTED', event.reason);
    case 'OrderUnknown':
      return moved(order, ts, 'UNKNOWN', event.reason);
    case 'OrderPendingCancel':
      return moved(order, ts, 'PENDING_CANCEL');
    case 'OrderCancelRejected':
      return moved(order, ts, signOf(order.filledQuantity) > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED');
    case 'OrderCanceled':
      return moved(order, ts, 'CANCELED', event.reason);
    case 'OrderExpired':
      return moved(order, ts, 'EXPIRED', event.reason);
    case 'OrderFilled': {
      const fill = event.fill;
      if (fill.side !== order.side) {
        throw new InvariantError(
          'FILL_SIDE_MISMATCH',
          // Stryker disable next-line StringLiteral: message text; the stable code before it is asserted
          `fill ${fill.tradeId} side ${fill.side} on a ${order.side} order`,
        );
      }
      const filled = addDecimals(order.filledQuantity, fill.quantity) as Quantity;
      if (compareDecimals(filled, order.quantity) > 0) {
        throw new InvariantError(
          'ORDER_OVERFILL',
          // Stryker disable next-line StringLiteral: message text; the stable code before it is asserted
          `fill ${fill.tradeId} overfills ${order.clientOrderId}`,
        );
      }
      const notional = addDecimals(
        order.filledNotional,
        multiplyDecimals(fill.price, fill.quantity),
      );
      // A trade made before a cancel or expiry took effect, reported after it: the order stays
      // closed and its filled amounts count the trade.
      if (closedButFillable(order.status))
        return copyOrder(order, {
          ...order,
          filledQuantity: filled,
          filledNotional: notional,
          updatedAt: ts,
        });
      const status = compareDecimals(filled, order.quantity) === 0 ? 'FILLED' : 'PARTIALLY_FILLED';
      return moved(order, ts, status, undefined, undefined, filled, notional);
    }
    default:
      return assertNever(event);
  }
}

/**
 * The order moved to `status` by an event at `ts` (the transition checked): a reason or venue
 * order id given (not undefined) replaces the order's, and so do filled amounts. A function, not a
 * closure made for each event.
 */
function moved(
  order: Order,
  ts: number,
  status: OrderStatus,
  reason?: string,
  venueOrderId?: string,
  filledQuantity: Quantity = order.filledQuantity,
  filledNotional: Decimal = order.filledNotional,
): Order {
  return copyOrder(order, {
    status: transition(order.status, status),
    venueOrderId: venueOrderId !== undefined ? venueOrderId : order.venueOrderId,
    filledQuantity,
    filledNotional,
    reason: reason !== undefined ? reason : order.reason,
    updatedAt: ts,
  });
}
