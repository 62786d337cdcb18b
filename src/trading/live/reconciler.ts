import type { MessageBus } from '../bus/message-bus.js';
import { Topics } from '../bus/topics.js';
import type { ExecutionEngine } from '../execution/execution-engine.js';
import type { VenueOrderReport, VenueQueries } from '../execution/venue-queries.js';
import type { Alert } from '../model/alert.js';
import type { Fill } from '../model/fill.js';
import type { Order } from '../model/order.js';
import { orderRef, type OrderEvent } from '../model/order-events.js';
import { isOpen } from '../model/order-state-machine.js';
import { orderReports } from './venue-order-reports.js';
import { ClientOrderIds } from '../core/client-order-id.js';

/** What one reconciliation did. */
export interface ReconciliationResult {
  /** Orders whose state changed to match the venue. */
  readonly resolved: readonly string[];
  /** Fills learned from the venue's trade history. */
  readonly fillsApplied: number;
  /** Differences that need a person (raised as `RECONCILIATION_DRIFT` alerts). */
  readonly drift: readonly string[];
}

/** The store's word on trades of orders the OMS does not hold (`OrderRecall`). */
export interface UnheldTrades {
  /**
   * Those of `fills` the store does not hold, their stored orders taken back into the OMS first
   * (released, or closed before a restart); a stored one is a copy, applied already.
   */
  unstored(fills: readonly Fill[]): Promise<Fill[]>;
}

/**
 * Makes the OMS agree with the venue: applies the venue's trades since `since` (deduplicated by
 * trade id; one of an order not held here is asked of the store, `unheld`: a stored trade is a
 * copy, another's stored order is taken back and the trade applied; what is left is drift only
 * if no order took it by the end of the look-ups: `unknownTrades`), then learns what the venue says of every open order (from one
 * `openOrders()` answer, and by client order id for each order that answer does not hold:
 * `orderReports`) and applies it. An order the venue never saw is rejected (`NOT_AT_VENUE`), never resent. Anything else that
 * does not add up is reported as drift. It runs at start-up (before strategies), after a
 * reconnect and periodically.
 *
 * @example
 * const result = await reconcile(exec, venue, bus, lastFillTs, clock.now());
 */
export async function reconcile(
  exec: ExecutionEngine,
  venue: VenueQueries,
  bus: MessageBus,
  since: number,
  now: number,
  /** `venue:tradeId` of fills already stored (of orders no longer open). */
  knownTradeKeys: ReadonlySet<string> = new Set(),
  /**
   * Resolves when every send queued so far has been made (or refused): the open orders are
   * taken first, then this is awaited, so an order between its commit and its send (placed
   * while a reconciliation starts) is never taken for one the venue lost.
   */
  sent: () => Promise<void> = async () => undefined,
  /** Where trades of orders not held are checked (absent: only against `knownTradeKeys`). */
  unheld?: UnheldTrades,
  /**
   * Orders held for a replayed bar, left as they are while the venue shows them open: a cancel
   * committed and not sent yet, to go out later (`TradingCore.resendCancel`), or an
   * acknowledgement lost, given later (`TradingCore.acknowledgeHeld`).
   */
  heldCancels: ReadonlySet<string> = new Set(),
): Promise<ReconciliationResult> {
  const open = exec.openOrders();
  await sent();
  const resolved = new Set<string>();
  const drift: string[] = [];
  let fillsApplied = 0;
  // Trades of orders not known here when read: settled after the look-ups (`unknownTrades`).
  const held: Fill[] = [];
  const apply = (fills: readonly Fill[], only?: ReadonlySet<string>) => {
    for (const fill of fills) {
      if (knownTradeKeys.has(`${fill.venue}:${fill.tradeId}`)) continue;
      if (only && !only.has(fill.clientOrderId)) continue;
      const order = exec.order(fill.clientOrderId);
      if (!order) {
        held.push(fill);
        continue;
      }
      const before = order.filledQuantity;
      exec.process({ kind: 'OrderFilled', ...orderRef(order), ts: fill.ts, fill });
      // The order a call of `process` is about stays held after it (`ExecutionEngine`).
      if (!exec.order(fill.clientOrderId)!.filledQuantity.eq(before)) {
        fillsApplied++;
        resolved.add(fill.clientOrderId);
      }
    }
  };
  apply(await venue.tradesSince(since));
  // Read after the trades (a report is never older than them) and after `sent()` (every order
  // in `open` has gone out). It answers for every open order it lists; the rest are asked for one
  // by one. It is also the drift check's list: an order sent after it was read is not in it, and
  // every order in it was committed (write before send) before `known` is read below.
  const listed = await venue.openOrders();
  const byId = await orderReports(
    venue,
    open.map((o) => o.clientOrderId),
    listed,
  );
  const reports = new Map<Order, VenueOrderReport | null>(
    open.map((o) => [o, byId.get(o.clientOrderId)!]),
  );
  // An open order the venue has filled further than the trades since `since` show: a fill lost
  // before the last stored one, or one made after those trades were read and before the order
  // was (a market order filled meanwhile). Its own trades, read again from when it was made.
  const behind = [...reports].filter(([o, r]) => {
    const held = exec.order(o.clientOrderId);
    return r && held && r.filledQuantity.gt(held.filledQuantity);
  });
  if (behind.length > 0) {
    const from = Math.min(since, ...behind.map(([o]) => o.createdAt));
    apply(await venue.tradesSince(from), new Set(behind.map(([o]) => o.clientOrderId)));
  }
  if (unheld && held.length > 0) {
    const fresh = await unheld.unstored(held.splice(0));
    apply(fresh);
  }
  drift.push(...unknownTrades(exec, held));
  drift.push(...resolveOpen(exec, reports, now, resolved, heldCancels));
  const known = new Set(exec.allOrders().map((o) => o.clientOrderId));
  // A listed order of ours under an id this process could not read back until it asked for the
  // order by client id (a digest form): the look-up's answer names its venue order id.
  // Stryker disable next-line MethodExpression: equivalent, an undefined kept in the set matches no listed order's venue order id (a string)
  const asked = new Set([...byId.values()].map((r) => r?.venueOrderId).filter((v) => !!v));
  for (const r of listed) {
    if (!known.has(r.clientOrderId) && !asked.has(r.venueOrderId))
      drift.push(`venue order ${r.clientOrderId} is not known here`);
  }
  for (const message of drift) {
    const alert: Alert = { kind: 'Alert', code: 'RECONCILIATION_DRIFT', message, ts: now };
    bus.publish(Topics.alerts, alert);
  }
  return { resolved: [...resolved], fillsApplied, drift };
}

/**
 * The drift among trades read under an order not known here, once the look-ups by client id
 * have run. A venue whose client order ids do not read back after a restart (hashed or mapped:
 * `docs/venues-client-order-ids.md`) names our order's trades under a placeholder until the
 * order is asked for by client id; that look-up links the order and its client applies them
 * (the OMS then holds their trade ids). Only a trade no order here took is drift.
 */
function unknownTrades(exec: ExecutionEngine, held: readonly Fill[]): string[] {
  return held
    .filter((f) => !exec.hasTrade(f.venue, f.tradeId))
    .map((f) => `trade ${f.tradeId} for unknown order ${f.clientOrderId}`);
}

/**
 * Makes each open order agree with what the venue says of it (`reports`), and answers the drift
 * in fills: the venue's acknowledgements first, in the order the orders were made (as it gave
 * them), then what closed or failed to cancel, so the node hears what it would have heard had it
 * not stopped. `resolved` takes the ids changed.
 *
 * @example
 * const drift = resolveOpen(exec, new Map([[order, report]]), now, resolved);
 */
export function resolveOpen(
  exec: ExecutionEngine,
  reports: ReadonlyMap<Order, VenueOrderReport | null>,
  now: number,
  resolved: Set<string>,
  /** Orders held for a replayed bar (`reconcile`'s `heldCancels`): left as they are while open. */
  heldCancels: ReadonlySet<string> = new Set(),
): string[] {
  const drift: string[] = [];
  const changes: [Order, VenueOrderReport | null, OrderEvent | null][] = [];
  for (const [order, report] of [...reports].sort(([a], [b]) => byMade(a, b))) {
    const current = exec.order(order.clientOrderId);
    // Closed meanwhile (a stream's report) and released already: nothing to resolve.
    if (!current) continue;
    // Held for a replayed bar while the venue shows it open: a cancel the venue never got stays
    // pending, a lost acknowledgement waits (`TradingCore.acknowledgeHeld`), as they were then.
    if (heldCancels.has(order.clientOrderId) && report?.status === 'OPEN') {
      changes.push([order, report, null]);
      continue;
    }
    const event = isOpen(current.status) ? resolution(current, report, now) : null;
    const ack =
      event?.kind === 'OrderAccepted' ? event : event && unheardAck(current, report, event, now);
    if (ack) {
      exec.process(ack);
      resolved.add(order.clientOrderId);
    }
    changes.push([order, report, event === ack ? null : event]);
  }
  for (const [order, report, event] of changes) {
    if (event) {
      exec.process(event);
      resolved.add(order.clientOrderId);
    }
    const after = exec.order(order.clientOrderId)!;
    if (report && !after.filledQuantity.eq(report.filledQuantity)) {
      drift.push(
        `${order.clientOrderId}: filled ${after.filledQuantity.toFixed()} here, ${report.filledQuantity.toFixed()} at the venue`,
      );
    }
  }
  return drift;
}

/** Orders in the order they were made: time, then client order id sequence. */
export function byMade(a: Order, b: Order): number {
  return (
    a.createdAt - b.createdAt ||
    ClientOrderIds.sequenceOf(a.clientOrderId) - ClientOrderIds.sequenceOf(b.clientOrderId)
  );
}

/** What the venue says of an order only after it acknowledged it. */
const AFTER_ACK: ReadonlySet<OrderEvent['kind']> = new Set([
  'OrderCanceled',
  'OrderExpired',
  'OrderCancelRejected',
]);

/**
 * The venue's acknowledgement of an order the OMS never heard acknowledged (no venue order id),
 * when what the venue says of it now (`event`: closed, or a cancel that did not take) came after
 * one: the `OrderAccepted` a crash lost, before that event. Null otherwise.
 */
function unheardAck(
  order: Order,
  report: VenueOrderReport | null,
  event: OrderEvent,
  ts: number,
): OrderEvent | null {
  if (report === null || report.status === 'REJECTED') return null;
  if (order.venueOrderId !== null || report.venueOrderId === '') return null;
  // (One the venue filled in part is acknowledged by its fill.)
  if (!['SUBMITTED', 'UNKNOWN', 'PENDING_CANCEL'].includes(order.status)) return null;
  // Stryker disable next-line ConditionalExpression: equivalent, `resolution` answers an order unacknowledged here, not rejected at the venue, with one of these (or OrderAccepted, taken before this is called)
  return AFTER_ACK.has(event.kind)
    ? { kind: 'OrderAccepted', ...orderRef(order), ts, venueOrderId: report.venueOrderId }
    : null;
}

/**
 * The event that makes an open order agree with what the venue says of it (`null`: no such
 * order), or null when nothing is to change (its fills come with the trade history).
 *
 * @example
 * const event = resolution(order, await venue.orderByClientId(order.clientOrderId), now);
 */
export function resolution(
  order: Order,
  report: VenueOrderReport | null,
  ts: number,
): OrderEvent | null {
  const base = { ...orderRef(order), ts };
  const unacked = order.status === 'SUBMITTED' || order.status === 'UNKNOWN';
  if (report === null) {
    return unacked
      ? {
          kind: 'OrderRejected',
          ...base,
          reason: 'NOT_AT_VENUE',
          message: 'the venue has no order with this client order id',
        }
      : { kind: 'OrderCanceled', ...base, reason: 'NOT_AT_VENUE' };
  }
  switch (report.status) {
    case 'OPEN':
      if (unacked) return { kind: 'OrderAccepted', ...base, venueOrderId: report.venueOrderId };
      if (order.status === 'PENDING_CANCEL')
        return { kind: 'OrderCancelRejected', ...base, reason: 'STILL_OPEN_AT_VENUE' };
      return null;
    case 'FILLED':
      return null; // Its fills came with the trade history; a shortfall is reported as drift.
    case 'CANCELED':
      return { kind: 'OrderCanceled', ...base, reason: report.reason ?? 'CANCELED_AT_VENUE' };
    case 'EXPIRED':
      return { kind: 'OrderExpired', ...base, reason: report.reason ?? 'EXPIRED_AT_VENUE' };
    case 'REJECTED':
      return unacked
        ? {
            kind: 'OrderRejected',
            ...base,
            reason: report.reason ?? 'REJECTED_AT_VENUE',
            message: 'rejected by the venue',
          }
        : { kind: 'OrderCanceled', ...base, reason: report.reason ?? 'REJECTED_AT_VENUE' };
  }
}
