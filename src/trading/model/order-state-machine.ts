import { InvariantError } from '../core/errors.js';
import type { OrderStatus } from './order-types.js';

const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  INITIALIZED: ['DENIED', 'SUBMITTED'],
  SUBMITTED: [
    'ACCEPTED',
    'REJECTED',
    'PARTIALLY_FILLED',
    'FILLED',
    'PENDING_CANCEL',
    'CANCELED',
    'EXPIRED',
    'UNKNOWN',
  ],
  // The venue call timed out or failed without an answer: only reconciliation resolves it.
  UNKNOWN: ['ACCEPTED', 'REJECTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED'],
  ACCEPTED: ['PARTIALLY_FILLED', 'FILLED', 'PENDING_CANCEL', 'CANCELED', 'EXPIRED'],
  PARTIALLY_FILLED: ['PARTIALLY_FILLED', 'FILLED', 'PENDING_CANCEL', 'CANCELED', 'EXPIRED'],
  // A fill can race a cancel; a refused cancel returns the order to where it was; a cancel sent
  // while the order was on its way meets the venue's refusal of the order itself.
  PENDING_CANCEL: ['CANCELED', 'PARTIALLY_FILLED', 'FILLED', 'ACCEPTED', 'EXPIRED', 'REJECTED'],
  DENIED: [],
  REJECTED: [],
  FILLED: [],
  CANCELED: [],
  EXPIRED: [],
};

/** Every order status, in lifecycle order. */
export const ORDER_STATUSES = Object.keys(TRANSITIONS) as readonly OrderStatus[];

/**
 * True when the order can move from `from` to `to`.
 *
 * @example
 * canTransition('ACCEPTED', 'FILLED'); // true
 */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Returns `to`, or throws `InvariantError('ORDER_ILLEGAL_TRANSITION')` when the move is illegal.
 *
 * @example
 * transition('SUBMITTED', 'ACCEPTED'); // 'ACCEPTED'
 */
export function transition(from: OrderStatus, to: OrderStatus): OrderStatus {
  if (!canTransition(from, to)) {
    throw new InvariantError('ORDER_ILLEGAL_TRANSITION', `order cannot go from ${from} to ${to}`);
  }
  return to;
}

/**
 * True when an order in this status can never change again.
 *
 * @example
 * isTerminal('FILLED'); // true
 */
export function isTerminal(status: OrderStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/**
 * True when an order in this status may still trade at the venue (in flight or working).
 *
 * @example
 * isOpen('PARTIALLY_FILLED'); // true
 */
export function isOpen(status: OrderStatus): boolean {
  return status !== 'INITIALIZED' && !isTerminal(status);
}

/**
 * Whether a closed order still takes a late fill: CANCELED or EXPIRED (a trade made before the
 * cancel or expiry took effect, reported after it).
 *
 * @example
 * closedButFillable('CANCELED'); // true
 */
export function closedButFillable(status: OrderStatus): boolean {
  return status === 'CANCELED' || status === 'EXPIRED';
}
