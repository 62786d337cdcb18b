import { ClientOrderIds } from '../trading/core/client-order-id.js';
import type { StoredOrderEvent } from '../trading/execution/order-store.js';

/** The bars of a venue's feed (a live or venue-fed account's `onBar`): one minute each. */
export const VENUE_BAR_MS = 60_000;

/** What a resumed strategy instance is told, and when (`resumePlan`). */
export interface ResumePlan {
  /** The ids its new orders start after (`StrategyStart.ordersMade`). */
  readonly ordersMade: number;
  /** Told at once, before it hears a bar. */
  readonly now: readonly StoredOrderEvent[];
  /** Told after the replayed bar (a replay only). */
  readonly afterBar: readonly StoredOrderEvent[];
  /** Orders it made after its snapshot: hidden until the replayed bar makes them again. */
  readonly hidden: ReadonlySet<string>;
  /**
   * Older orders the replayed bar had cancelled: each with the place of its first such event,
   * read as it was before it until the bar cancels it again.
   */
  readonly cancelledAt: ReadonlyMap<string, number>;
  /** On a venue's feed: bars closed by then were decided already (null: none). */
  readonly decidedAt: number | null;
}

/**
 * How a strategy instance resumed from a snapshot (`ordersMade` ids used, taken at `snapshotAt`)
 * hears the stored events of its orders it had not heard then (`unheard`, in the order stored),
 * when the process was killed after it. On a replay (`replays`) the bar after the snapshot is
 * played again and makes its orders again under the same ids: they stand, hidden until then, and
 * what that bar did (its orders' events, and an older order's from the bar's cancel of it on) is
 * told after it, as the first run heard it. On a venue's feed that bar never comes as a decision
 * again: the next orders take ids after those used, everything is told at once, and the bar is
 * marked decided (at the latest the bar after the snapshot's).
 *
 * @example
 * const plan = resumePlan(await core.eventsAfter(id, snapshot.eventsThrough), snapshot.ordersMade, snapshot.ts, true);
 */
export function resumePlan(
  unheard: readonly StoredOrderEvent[],
  ordersMade: number,
  snapshotAt: number,
  replays: boolean,
): ResumePlan {
  const seqOf = ClientOrderIds.sequenceOf;
  const later = ({ event }: StoredOrderEvent) => seqOf(event.clientOrderId) > ordersMade;
  if (!replays) {
    let decidedAt: number | null = null;
    for (const e of unheard)
      if (e.event.kind === 'OrderInitialized' && later(e))
        // Its core's clock may run ahead of the venue's bar times: the next bar's close caps it.
        decidedAt = Math.min(
          Math.max(decidedAt ?? e.event.ts, e.event.ts),
          snapshotAt + VENUE_BAR_MS,
        );
    return {
      ordersMade: Math.max(ordersMade, ...unheard.map((e) => seqOf(e.event.clientOrderId))),
      now: unheard,
      afterBar: [],
      hidden: new Set(),
      cancelledAt: new Map(),
      decidedAt,
    };
  }
  const cancelledAt = new Map<string, number>();
  for (const { seq, event } of unheard)
    if (
      event.kind === 'OrderPendingCancel' &&
      !later({ seq, event }) &&
      !cancelledAt.has(event.clientOrderId)
    )
      cancelledAt.set(event.clientOrderId, seq);
  const ofTheBar = (e: StoredOrderEvent) =>
    later(e) || e.seq >= (cancelledAt.get(e.event.clientOrderId) ?? Infinity);
  const afterBar = unheard.filter(ofTheBar);
  return {
    ordersMade,
    now: unheard.filter((e) => !ofTheBar(e)),
    afterBar,
    hidden: new Set(afterBar.filter(later).map((e) => e.event.clientOrderId)),
    cancelledAt,
    decidedAt: null,
  };
}
