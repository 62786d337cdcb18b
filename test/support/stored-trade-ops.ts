import type { OrderRepository } from '../../src/store/order-repository.js';
import type { Fill } from '../../src/trading/model/fill.js';
import { orderRef, type OrderEvent } from '../../src/trading/model/order-events.js';
import { fill } from './builders.js';

/**
 * A venue's copy of the stored fill `pick` chooses (old ones too: their orders long released, or
 * never restored), reported at `ts`; null when nothing is stored.
 */
export async function copyOfStoredFill(
  repo: OrderRepository,
  pick: number,
  ts: number,
): Promise<OrderEvent | null> {
  const fills = await repo.fills();
  const f = fills[pick % Math.max(1, fills.length)];
  const of = f && (await repo.order(f.clientOrderId));
  return f && of ? { kind: 'OrderFilled', ...orderRef(of), ts, fill: f } : null;
}

/**
 * A new trade `L-<n>` of the CANCELED, unfilled order `pick` chooses, stamped when it closed (a
 * trade made before the cancel took effect, reported late), with its order; null when there is none.
 */
export async function lateTradeOfCanceled(
  repo: OrderRepository,
  pick: number,
  n: number,
  at: { readonly price: string; readonly fee: string } = { price: '1', fee: '0' },
): Promise<{ fill: Fill; report: (ts: number) => OrderEvent } | null> {
  const closed = (await repo.ordersSince(0)).filter(
    (x) => x.status === 'CANCELED' && x.filledQuantity.eq(0),
  );
  const c = closed[pick % Math.max(1, closed.length)];
  if (!c) return null;
  const f: Fill = {
    ...fill(c.side, at.price, '1', at.fee, `L-${n}`),
    accountId: c.accountId,
    clientOrderId: c.clientOrderId,
    ts: c.updatedAt,
  };
  return { fill: f, report: (ts) => ({ kind: 'OrderFilled', ...orderRef(c), ts, fill: f }) };
}
