import { assertNever, InvariantError } from '../core/errors.js';
import { addDecimals, compareDecimals, multiplyDecimals, signOf } from '../core/scaled-decimal.js';
import type { Quantity } from '../core/money.js';
import { copyOrder, type Order, type OrderState } from './order.js';
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
  const next = (status: OrderStatus, extra: Partial<OrderState> = {}): Order =>
    copyOrder(order, {
      status: transition(order.status, status),
      venueOrderId: extra.venueOrderId !== undefined ? extra.venueOrderId : order.venueOrderId,
      filledQuantity: extra.filledQuantity ?? order.filledQuantity,
      filledNotional: extra.filledNotional ?? order.filledNotional,
      reason: extra.reason !== undefined ? extra.reason : order.reason,
      updatedAt: event.ts,
    });
  switch (event.kind) {
    case 'OrderInitialized':
      throw new InvariantError(
        'ORDER_ILLEGAL_TRANSITION',
        // Stryker disable next-line StringLiteral: message text; the stable code before it is asserted
        `order ${order.clientOrderId} is already initialized`,
      );
    case 'OrderDenied':
      return next('DENIED', { reason: event.reason });
    case 'OrderSubmitted':
      return next('SUBMITTED');
    case 'OrderAccepted':
      return next('ACCEPTED', { venueOrderId: event.venueOrderId });
    case 'OrderRejected':
      return next('REJECTED', { reason: event.reason });
    case 'OrderUnknown':
      return next('UNKNOWN', { reason: event.reason });
    case 'OrderPendingCancel':
      return next('PENDING_CANCEL');
    case 'OrderCancelRejected':
      return next(signOf(order.filledQuantity) > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED');
    case 'OrderCanceled':
      return next('CANCELED', { reason: event.reason });
    case 'OrderExpired':
      return next('EXPIRED', { reason: event.reason });
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
      const amounts = {
        filledQuantity: filled,
        filledNotional: addDecimals(
          order.filledNotional,
          multiplyDecimals(fill.price, fill.quantity),
        ),
      };
      // A trade made before a cancel or expiry took effect, reported after it: the order stays
      // closed and its filled amounts count the trade.
      if (closedButFillable(order.status))
        return copyOrder(order, { ...order, ...amounts, updatedAt: event.ts });
      return next(
        compareDecimals(filled, order.quantity) === 0 ? 'FILLED' : 'PARTIALLY_FILLED',
        amounts,
      );
    }
    default:
      return assertNever(event);
  }
}
