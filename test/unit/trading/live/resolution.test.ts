import { quantity } from '../../../../src/trading/core/money.js';
import type { VenueOrderReport } from '../../../../src/trading/execution/venue-queries.js';
import { resolution } from '../../../../src/trading/live/reconciler.js';
import { copyOrder, type Order } from '../../../../src/trading/model/order.js';
import { orderRef } from '../../../../src/trading/model/order-events.js';
import type { OrderStatus } from '../../../../src/trading/model/order-types.js';
import { newOrder } from '../../../support/builders.js';

// What reconciliation does to an open order for each thing the venue can say of it, written out
// case by case: the event (kind, reason, message, venue order id) a trader and an auditor see.

type Open = 'SUBMITTED' | 'UNKNOWN' | 'ACCEPTED' | 'PARTIALLY_FILLED' | 'PENDING_CANCEL';
type Said = 'absent' | VenueOrderReport['status'];

const TS = 7_000;

function order(status: OrderStatus): Order {
  const o = newOrder({ quantity: quantity('10') }, 'c-1');
  return copyOrder(o, {
    status,
    venueOrderId: status === 'SUBMITTED' || status === 'UNKNOWN' ? null : 'v-1',
    filledQuantity: status === 'PARTIALLY_FILLED' ? quantity('4') : quantity('0'),
    filledNotional: o.filledNotional,
    reason: null,
    updatedAt: 1,
  });
}

function report(status: VenueOrderReport['status'], reason: string | null): VenueOrderReport {
  return {
    clientOrderId: 'c-1',
    venueOrderId: 'v-9',
    status,
    filledQuantity: quantity('4'),
    reason,
  };
}

const UNACKED: readonly Open[] = ['SUBMITTED', 'UNKNOWN'];
const ACKED: readonly Open[] = ['ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL'];

/** The expected event's own fields (its order reference and time are always the order's, `TS`). */
type Expected = Record<string, unknown> | null;

const rows: [readonly Open[], Said, string | null, Expected][] = [
  // Never reached the venue: rejected when unacknowledged (never resent), canceled when it had been.
  [
    UNACKED,
    'absent',
    null,
    {
      kind: 'OrderRejected',
      reason: 'NOT_AT_VENUE',
      message: 'the venue has no order with this client order id',
    },
  ],
  [ACKED, 'absent', null, { kind: 'OrderCanceled', reason: 'NOT_AT_VENUE' }],
  // Open at the venue: acknowledged; a cancel the venue did not do is refused; else nothing.
  [UNACKED, 'OPEN', null, { kind: 'OrderAccepted', venueOrderId: 'v-9' }],
  [
    ['PENDING_CANCEL'],
    'OPEN',
    null,
    { kind: 'OrderCancelRejected', reason: 'STILL_OPEN_AT_VENUE' },
  ],
  [['ACCEPTED', 'PARTIALLY_FILLED'], 'OPEN', null, null],
  // Filled: the fills come with the trade history.
  [[...UNACKED, ...ACKED], 'FILLED', null, null],
  [
    [...UNACKED, ...ACKED],
    'CANCELED',
    null,
    { kind: 'OrderCanceled', reason: 'CANCELED_AT_VENUE' },
  ],
  [[...UNACKED, ...ACKED], 'CANCELED', 'USER', { kind: 'OrderCanceled', reason: 'USER' }],
  [[...UNACKED, ...ACKED], 'EXPIRED', null, { kind: 'OrderExpired', reason: 'EXPIRED_AT_VENUE' }],
  [[...UNACKED, ...ACKED], 'EXPIRED', 'IOC', { kind: 'OrderExpired', reason: 'IOC' }],
  [
    UNACKED,
    'REJECTED',
    null,
    { kind: 'OrderRejected', reason: 'REJECTED_AT_VENUE', message: 'rejected by the venue' },
  ],
  [
    UNACKED,
    'REJECTED',
    'INSUFFICIENT_FUNDS',
    { kind: 'OrderRejected', reason: 'INSUFFICIENT_FUNDS', message: 'rejected by the venue' },
  ],
  // Rejected after it was acknowledged: closed as canceled.
  [ACKED, 'REJECTED', null, { kind: 'OrderCanceled', reason: 'REJECTED_AT_VENUE' }],
  [ACKED, 'REJECTED', 'POST_ONLY', { kind: 'OrderCanceled', reason: 'POST_ONLY' }],
];

const cases = rows.flatMap(([locals, said, reason, expected]) =>
  locals.map((local) => [local, said, reason, expected] as const),
);

describe('resolution: what the venue says of an open order becomes one event', () => {
  it.each(cases)('%s, venue says %s (reason %s)', (local, said, reason, expected) => {
    const o = order(local);
    const event = resolution(o, said === 'absent' ? null : report(said, reason), TS);
    expect(event).toEqual(expected === null ? null : { ...orderRef(o), ts: TS, ...expected });
  });

  it('covers every open status against every answer', () => {
    const seen = new Set(cases.map(([local, said]) => `${local}/${said}`));
    expect(seen.size).toBe(5 * 6);
  });
});
