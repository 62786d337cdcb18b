import fc from 'fast-check';
import { resumePlan, VENUE_BAR_MS } from '../../../src/system/resume-plan.js';
import type { StoredOrderEvent } from '../../../src/trading/execution/order-store.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';

/** A stored event of order `n` of strategy `s` (client order id `s-n`). */
const ev = (seq: number, n: number, kind: OrderEvent['kind'], ts = seq): StoredOrderEvent => ({
  seq,
  event: { kind, clientOrderId: `s-${n}`, strategyId: 's', accountId: 'a', ts } as OrderEvent,
});
const ids = (es: readonly StoredOrderEvent[]) => es.map((e) => e.seq);

describe('resumePlan: what a resumed instance hears, and when', () => {
  // Orders 1-2 made before the snapshot (ordersMade 2), 3-4 after it (the bar it was killed in).
  const unheard = [
    ev(10, 1, 'OrderFilled'), // an older order filled at the bar's open
    ev(11, 3, 'OrderInitialized', 5_000),
    ev(12, 3, 'OrderSubmitted'),
    ev(13, 2, 'OrderPendingCancel'), // the bar cancels an older order
    ev(14, 2, 'OrderCanceled'),
    ev(15, 4, 'OrderInitialized', 6_000),
    ev(16, 1, 'OrderFilled'), // order 1 after the cancel of another: not the bar's
  ];

  it("on a replay: the bar's orders hidden and told after it, an older order's from its cancel on", () => {
    const plan = resumePlan(unheard, 2, 1_000, true);
    expect(plan.ordersMade).toBe(2);
    expect(ids(plan.now)).toEqual([10, 16]);
    expect(ids(plan.afterBar)).toEqual([11, 12, 13, 14, 15]);
    expect([...plan.hidden].sort()).toEqual(['s-3', 's-4']);
    expect([...plan.cancelledAt]).toEqual([['s-2', 13]]);
    expect(plan.decidedAt).toBeNull();
  });

  it("on a venue's feed: all told at once, new ids after those used, the bar decided", () => {
    const plan = resumePlan(unheard, 2, 1_000, false);
    expect(plan.ordersMade).toBe(4);
    expect(ids(plan.now)).toEqual(ids(unheard));
    expect(plan.afterBar).toEqual([]);
    expect(plan.hidden.size).toBe(0);
    expect(plan.decidedAt).toBe(6_000);
    // A clock ahead of the venue's bar times: capped at the close of the bar after the snapshot's.
    expect(
      resumePlan([ev(1, 3, 'OrderInitialized', 10 * VENUE_BAR_MS)], 2, 0, false).decidedAt,
    ).toBe(VENUE_BAR_MS);
    // Nothing made after the snapshot: nothing decided, the ids go on from the snapshot's.
    const none = resumePlan([ev(1, 1, 'OrderFilled')], 2, 0, false);
    expect([none.decidedAt, none.ordersMade]).toEqual([null, 2]);
  });

  it('property: every unheard event is told once, in the order stored, either way', () => {
    const kinds: OrderEvent['kind'][] = [
      'OrderInitialized',
      'OrderAccepted',
      'OrderPendingCancel',
      'OrderCanceled',
      'OrderFilled',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom(...kinds)), {
          maxLength: 30,
        }),
        fc.integer({ min: 0, max: 6 }),
        fc.boolean(),
        (drawn, made, replays) => {
          const es = drawn.map(([n, kind], i) => ev(i + 1, n, kind));
          const plan = resumePlan(es, made, 0, replays);
          const told = [...plan.now, ...plan.afterBar].sort((a, b) => a.seq - b.seq);
          expect(told).toEqual(es);
          expect(ids(plan.now)).toEqual([...ids(plan.now)].sort((a, b) => a - b));
          expect(ids(plan.afterBar)).toEqual([...ids(plan.afterBar)].sort((a, b) => a - b));
          // Hidden: exactly the orders made after the snapshot (on a replay).
          const after = new Set(
            es
              .filter((e) => Number(e.event.clientOrderId.slice(2)) > made)
              .map((e) => e.event.clientOrderId),
          );
          expect([...plan.hidden].sort()).toEqual(replays ? [...after].sort() : []);
          for (const id of plan.cancelledAt.keys()) expect(after.has(id)).toBe(false);
          expect(plan.ordersMade).toBeGreaterThanOrEqual(made);
        },
      ),
    );
  });
});
