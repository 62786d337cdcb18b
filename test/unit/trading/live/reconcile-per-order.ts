// The per-order reconciliation as it was before it asked in bulk (src/trading/live/reconciler.ts
// at d490d68), kept verbatim but for its imports and name, and how it resolves the open orders
// (`resolveOpen`, the reconciler's own since the acknowledgements a crash lost are given first):
// reconcile-bulk.test.ts compares with it.
import type { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Topics } from '../../../../src/trading/bus/topics.js';
import type { ExecutionEngine } from '../../../../src/trading/execution/execution-engine.js';
import type {
  VenueOrderReport,
  VenueQueries,
} from '../../../../src/trading/execution/venue-queries.js';
import type { Alert } from '../../../../src/trading/model/alert.js';
import type { Fill } from '../../../../src/trading/model/fill.js';
import type { Order } from '../../../../src/trading/model/order.js';
import { orderRef } from '../../../../src/trading/model/order-events.js';
import { resolveOpen, type ReconciliationResult } from '../../../../src/trading/live/reconciler.js';

/** One request for each open order, then one for the open orders (the drift check). */
export async function oldReconcile(
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
): Promise<ReconciliationResult> {
  const open = exec.openOrders();
  await sent();
  const resolved = new Set<string>();
  const drift: string[] = [];
  let fillsApplied = 0;
  const apply = (fills: readonly Fill[], only?: ReadonlySet<string>) => {
    for (const fill of fills) {
      if (knownTradeKeys.has(`${fill.venue}:${fill.tradeId}`)) continue;
      if (only && !only.has(fill.clientOrderId)) continue;
      const order = exec.order(fill.clientOrderId);
      if (!order) {
        drift.push(`trade ${fill.tradeId} for unknown order ${fill.clientOrderId}`);
        continue;
      }
      const before = order.filledQuantity;
      exec.process({ kind: 'OrderFilled', ...orderRef(order), ts: fill.ts, fill });
      if (!exec.order(fill.clientOrderId)!.filledQuantity.eq(before)) {
        fillsApplied++;
        resolved.add(fill.clientOrderId);
      }
    }
  };
  apply(await venue.tradesSince(since));
  const reports = new Map<Order, VenueOrderReport | null>();
  for (const order of open) reports.set(order, await venue.orderByClientId(order.clientOrderId));
  // An open order the venue has filled further than the trades since `since` show: a fill lost
  // before the last stored one, or one made after those trades were read and before the order
  // was (a market order filled meanwhile). Its own trades, read again from when it was made.
  const behind = [...reports].filter(
    ([o, r]) => r && r.filledQuantity.gt(exec.order(o.clientOrderId)!.filledQuantity),
  );
  if (behind.length > 0) {
    const from = Math.min(since, ...behind.map(([o]) => o.createdAt));
    apply(await venue.tradesSince(from), new Set(behind.map(([o]) => o.clientOrderId)));
  }
  // How the open orders are resolved is the reconciler's own (`resolveOpen`, as `resolution`).
  drift.push(...resolveOpen(exec, reports, now, resolved));
  const known = new Set(exec.allOrders().map((o) => o.clientOrderId));
  for (const r of await venue.openOrders()) {
    if (!known.has(r.clientOrderId)) drift.push(`venue order ${r.clientOrderId} is not known here`);
  }
  for (const message of drift) {
    const alert: Alert = { kind: 'Alert', code: 'RECONCILIATION_DRIFT', message, ts: now };
    bus.publish(Topics.alerts, alert);
  }
  return { resolved: [...resolved], fillsApplied, drift };
}
