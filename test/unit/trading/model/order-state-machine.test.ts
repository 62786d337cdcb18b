import fc from 'fast-check';
import { InvariantError } from '../../../../src/trading/core/errors.js';
import {
  ORDER_STATUSES,
  canTransition,
  closedButFillable,
  isOpen,
  isTerminal,
  transition,
} from '../../../../src/trading/model/order-state-machine.js';
import type { OrderStatus } from '../../../../src/trading/model/order-types.js';

// The allowed moves, written independently of the implementation (from the issue and docs/orders.md).
const ALLOWED: Record<OrderStatus, OrderStatus[]> = {
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
  ACCEPTED: ['PARTIALLY_FILLED', 'FILLED', 'PENDING_CANCEL', 'CANCELED', 'EXPIRED'],
  PARTIALLY_FILLED: ['PARTIALLY_FILLED', 'FILLED', 'PENDING_CANCEL', 'CANCELED', 'EXPIRED'],
  PENDING_CANCEL: ['CANCELED', 'PARTIALLY_FILLED', 'FILLED', 'ACCEPTED', 'EXPIRED', 'REJECTED'],
  UNKNOWN: ['ACCEPTED', 'REJECTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED'],
  DENIED: [],
  REJECTED: [],
  FILLED: [],
  CANCELED: [],
  EXPIRED: [],
};

describe('order state machine', () => {
  it('knows all eleven states', () => {
    expect([...ORDER_STATUSES].sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it('rejects every illegal transition, naming both statuses, and allows every legal one (all pairs)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ORDER_STATUSES),
        fc.constantFrom(...ORDER_STATUSES),
        (from, to) => {
          const legal = ALLOWED[from].includes(to);
          expect(canTransition(from, to)).toBe(legal);
          if (legal) expect(transition(from, to)).toBe(to);
          else {
            expect(() => transition(from, to)).toThrow(InvariantError);
            try {
              transition(from, to);
            } catch (e) {
              expect((e as InvariantError).code).toBe('ORDER_ILLEGAL_TRANSITION');
              // The log line names both ends of the refused move.
              expect((e as InvariantError).message).toBe(
                `ORDER_ILLEGAL_TRANSITION: order cannot go from ${from} to ${to}`,
              );
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never leaves a terminal state along random walks', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ORDER_STATUSES), { maxLength: 30 }), (steps) => {
        let s: OrderStatus = 'INITIALIZED';
        for (const to of steps) {
          if (!canTransition(s, to)) continue;
          const wasTerminal = isTerminal(s);
          s = transition(s, to);
          expect(wasTerminal).toBe(false);
        }
      }),
    );
  });

  it('closes an order for good only when DENIED, REJECTED, FILLED, CANCELED or EXPIRED; every status between INITIALIZED and those is open', () => {
    const closed = ['DENIED', 'REJECTED', 'FILLED', 'CANCELED', 'EXPIRED'];
    for (const s of ORDER_STATUSES) {
      expect(isTerminal(s)).toBe(closed.includes(s));
      // Open: in flight or working at the venue, so it counts against the limits.
      expect(isOpen(s)).toBe(s !== 'INITIALIZED' && !closed.includes(s));
      // Only a cancel or an expiry can meet a trade made before it took effect.
      expect(closedButFillable(s)).toBe(s === 'CANCELED' || s === 'EXPIRED');
    }
  });
});
