import fc from 'fast-check';
import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Topics } from '../../../../src/trading/bus/topics.js';
import { quantity } from '../../../../src/trading/core/money.js';
import { ExecutionEngine } from '../../../../src/trading/execution/execution-engine.js';
import type { VenueOrderReport } from '../../../../src/trading/execution/venue-queries.js';
import { byMade, resolveOpen } from '../../../../src/trading/live/reconciler.js';
import { copyOrder, type Order } from '../../../../src/trading/model/order.js';
import type { OrderEvent } from '../../../../src/trading/model/order-events.js';
import type { OrderStatus } from '../../../../src/trading/model/order-types.js';
import { newOrder } from '../../../support/builders.js';

// What `resolveOpen` does to a start-up's open orders (DESIGN 5, recover before trading): what
// the node hears, in which order, and what it reports as drift.

const NOW = 9_000;

/** An order `s-<seq>` made at `createdAt`, in `status`, acknowledged (a venue order id) or not. */
function held(
  seq: number,
  status: OrderStatus,
  o: { createdAt?: number; venueOrderId?: string | null; filled?: string } = {},
): Order {
  const made = newOrder({ createdAt: o.createdAt ?? 0, strategyId: 's' }, `s-${seq}`);
  return copyOrder(made, {
    status,
    venueOrderId:
      o.venueOrderId !== undefined
        ? o.venueOrderId
        : status === 'SUBMITTED' || status === 'UNKNOWN'
          ? null
          : `v-${seq}`,
    filledQuantity: quantity(o.filled ?? '0'),
    filledNotional: made.filledNotional,
    reason: null,
    updatedAt: made.createdAt,
  });
}

function report(
  order: Order,
  status: VenueOrderReport['status'],
  o: { venueOrderId?: string; filled?: string } = {},
): VenueOrderReport {
  return {
    clientOrderId: order.clientOrderId,
    venueOrderId: o.venueOrderId ?? `v-${order.clientOrderId}`,
    status,
    filledQuantity: quantity(o.filled ?? '0'),
    reason: null,
  };
}

/** An OMS holding `orders`; what it publishes on the strategy's topic, as `kind id`. */
function oms(orders: readonly Order[]) {
  const bus = new MessageBus();
  const none = () => undefined;
  const exec = new ExecutionEngine(bus, () => ({ submit: none, cancel: none }));
  for (const o of orders) exec.restore(o);
  const heard: string[] = [];
  bus.subscribe<OrderEvent>(Topics.orderEvents('s'), (e) =>
    heard.push(
      `${e.kind} ${e.clientOrderId}${e.kind === 'OrderAccepted' ? ` ${e.venueOrderId}` : ''}`,
    ),
  );
  return { exec, heard };
}

describe('resolveOpen: an acknowledgement a crash lost is heard before what closed the order', () => {
  it.each([
    ['CANCELED', 'SUBMITTED', 'OrderCanceled'],
    ['EXPIRED', 'UNKNOWN', 'OrderExpired'],
    ['CANCELED', 'PENDING_CANCEL', 'OrderCanceled'],
  ] as const)(
    'venue says %s of an order %s here with no venue order id: OrderAccepted (its venue order id), then %s',
    (said, status, closing) => {
      const o = held(1, status, { venueOrderId: null });
      const { exec, heard } = oms([o]);
      const resolved = new Set<string>();
      const drift = resolveOpen(
        exec,
        new Map([[o, report(o, said, { venueOrderId: 'v-77' })]]),
        NOW,
        resolved,
      );
      expect(heard).toEqual([`OrderAccepted s-1 v-77`, `${closing} s-1`]);
      expect(exec.order('s-1')).toMatchObject({ venueOrderId: 'v-77' });
      expect([...resolved]).toEqual(['s-1']);
      expect(drift).toEqual([]);
    },
  );

  it('a cancel the venue did not do (still open) after an acknowledgement lost: OrderAccepted, then OrderCancelRejected', () => {
    const o = held(1, 'PENDING_CANCEL', { venueOrderId: null });
    const { exec, heard } = oms([o]);
    resolveOpen(exec, new Map([[o, report(o, 'OPEN', { venueOrderId: 'v-5' })]]), NOW, new Set());
    expect(heard).toEqual(['OrderAccepted s-1 v-5', 'OrderCancelRejected s-1']);
    expect(exec.order('s-1')).toMatchObject({ status: 'ACCEPTED', venueOrderId: 'v-5' });
  });

  it('no acknowledgement made up: one heard already, a venue that names no id, a rejection, an order it had filled in part', () => {
    const acked = held(1, 'PENDING_CANCEL', { venueOrderId: 'v-1' });
    const noId = held(2, 'SUBMITTED');
    // A cancel in flight when the venue rejected the order: closed, never acknowledged.
    const rejected = held(3, 'PENDING_CANCEL', { venueOrderId: null });
    const part = held(4, 'PARTIALLY_FILLED', { venueOrderId: null, filled: '2' });
    const { exec, heard } = oms([acked, noId, rejected, part]);
    const drift = resolveOpen(
      exec,
      new Map([
        [acked, report(acked, 'CANCELED', { venueOrderId: 'v-other' })],
        [noId, report(noId, 'CANCELED', { venueOrderId: '' })],
        [rejected, report(rejected, 'REJECTED')],
        [part, report(part, 'CANCELED', { filled: '2' })],
      ]),
      NOW,
      new Set(),
    );
    expect(heard).toEqual([
      'OrderCanceled s-1',
      'OrderCanceled s-2',
      'OrderCanceled s-3',
      'OrderCanceled s-4',
    ]);
    expect(exec.order('s-1')!.venueOrderId).toBe('v-1');
    expect(drift).toEqual([]);
  });
});

describe('resolveOpen: what the node hears comes in the order the orders were made', () => {
  it('the acknowledgements first, then what closed or refused a cancel, each in the order made (time, then sequence), whatever order the reports come in (property)', () => {
    const said = fc.constantFrom(
      'OPEN' as const,
      'CANCELED' as const,
      'EXPIRED' as const,
      'FILLED' as const,
    );
    const spec = fc.record({
      createdAt: fc.integer({ min: 0, max: 3 }),
      status: fc.constantFrom('SUBMITTED' as const, 'ACCEPTED' as const, 'PENDING_CANCEL' as const),
      said,
    });
    fc.assert(
      fc.property(
        fc.array(spec, { minLength: 1, maxLength: 8 }),
        fc.infiniteStream(fc.nat()),
        (specs, shuffle) => {
          // Sequences follow creation, as the strategy's ids do; ties in time are common.
          const ordered = [...specs].sort((a, b) => a.createdAt - b.createdAt);
          const orders = ordered.map((s, i) => held(i + 1, s.status, { createdAt: s.createdAt }));
          const reports = orders.map((o, i) => [o, report(o, ordered[i]!.said)] as const);
          // The reports in any order.
          const mixed = [...reports];
          const draws = shuffle.take(mixed.length);
          let k = 0;
          for (const d of draws) {
            const j = k + (d % (mixed.length - k));
            [mixed[k], mixed[j]] = [mixed[j]!, mixed[k]!];
            k++;
          }
          const { exec, heard } = oms(orders);
          resolveOpen(exec, new Map(mixed), NOW, new Set());
          const acks: string[] = [];
          const rest: string[] = [];
          for (const [o, r] of reports) {
            const unacked = o.status === 'SUBMITTED';
            if (unacked && r.status !== 'FILLED')
              acks.push(`OrderAccepted ${o.clientOrderId} ${r.venueOrderId}`);
            if (r.status === 'CANCELED') rest.push(`OrderCanceled ${o.clientOrderId}`);
            if (r.status === 'EXPIRED') rest.push(`OrderExpired ${o.clientOrderId}`);
            if (r.status === 'OPEN' && o.status === 'PENDING_CANCEL')
              rest.push(`OrderCancelRejected ${o.clientOrderId}`);
          }
          expect(heard).toEqual([...acks, ...rest]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('byMade: earlier first; at the same time, the lower sequence first (by number, not text)', () => {
    const a = held(2, 'ACCEPTED', { createdAt: 5 });
    const b = held(10, 'ACCEPTED', { createdAt: 5 });
    const c = held(1, 'ACCEPTED', { createdAt: 6 });
    expect([c, b, a].sort(byMade).map((o) => o.clientOrderId)).toEqual(['s-2', 's-10', 's-1']);
    expect(byMade(a, a)).toBe(0);
    expect(Math.sign(byMade(b, a))).toBe(1);
    expect(Math.sign(byMade(c, b))).toBe(1);
    expect(Math.sign(byMade(a, c))).toBe(-1);
  });
});

describe('resolveOpen: orders held for a replayed bar, and orders gone', () => {
  it('an order held for a replayed bar that the venue shows open is left as it is (its cancel stays pending), its fills still checked', () => {
    const pending = held(1, 'PENDING_CANCEL', { venueOrderId: null });
    const { exec, heard } = oms([pending]);
    const resolved = new Set<string>();
    const drift = resolveOpen(
      exec,
      new Map([[pending, report(pending, 'OPEN', { filled: '1' })]]),
      NOW,
      resolved,
      new Set(['s-1']),
    );
    expect(heard).toEqual([]);
    expect(exec.order('s-1')).toMatchObject({ status: 'PENDING_CANCEL', venueOrderId: null });
    expect([...resolved]).toEqual([]);
    expect(drift).toEqual(['s-1: filled 0 here, 1 at the venue']);
  });

  it('held for a replayed bar but closed at the venue: resolved as any other', () => {
    const pending = held(1, 'PENDING_CANCEL', { venueOrderId: null });
    const { exec, heard } = oms([pending]);
    resolveOpen(
      exec,
      new Map([[pending, report(pending, 'CANCELED', { venueOrderId: 'v-3' })]]),
      NOW,
      new Set(),
      new Set(['s-1']),
    );
    expect(heard).toEqual(['OrderAccepted s-1 v-3', 'OrderCanceled s-1']);
  });

  it('an order the OMS no longer holds (closed and released meanwhile) is passed over, with no drift', () => {
    const gone = held(1, 'ACCEPTED');
    const { exec, heard } = oms([]);
    const drift = resolveOpen(
      exec,
      new Map([[gone, report(gone, 'CANCELED', { filled: '3' })]]),
      NOW,
      new Set(),
    );
    expect(heard).toEqual([]);
    expect(drift).toEqual([]);
  });
});
