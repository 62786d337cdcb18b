import type { OrderEvent } from '../trading/model/order-events.js';
import type { Order } from '../trading/model/order.js';
import { fillView } from './fill-view.js';
import { orderView } from './order-schemas.js';
import { balanceViews, positionView } from './portfolio-views.js';
import type { WsGatewayOptions } from './ws-gateway-options.js';

/**
 * The frames of one order event: the order (made on the first call, the same text after: orders
 * are immutable values, so it is the order as this event left it whenever it is made), and the
 * fill when it is one (as `GET /fills` shows it).
 */
export function orderFrames(
  e: OrderEvent,
  order: Order,
): { order: () => string; fill: string | null } {
  const kind = e.kind;
  let text: string | undefined;
  return {
    order: () =>
      (text ??= JSON.stringify({
        type: 'order',
        kind,
        accountId: order.accountId,
        order: orderView(order),
      })),
    fill:
      e.kind === 'OrderFilled'
        ? JSON.stringify({ type: 'fill', accountId: order.accountId, fill: fillView(e.fill) })
        : null,
  };
}

/** The position and balance frames after a fill (null when the account's ledger is not here). */
export function portfolioFrames(
  e: Extract<OrderEvent, { kind: 'OrderFilled' }>,
  opts: Pick<WsGatewayOptions, 'portfolio' | 'instruments' | 'instrumentsOf'>,
): { position: string; balances: string[] } | null {
  const src = opts.portfolio(e.accountId);
  const p = src?.ledger.allPositions().find((x) => x.instrumentId === e.fill.instrumentId);
  if (!src || !p) return null;
  const instruments = opts.instrumentsOf?.(e.accountId) ?? opts.instruments;
  const quote = instruments.find((i) => i.id === e.fill.instrumentId)?.quote;
  const accountId = e.accountId;
  return {
    position: JSON.stringify({
      type: 'position',
      accountId,
      position: positionView(accountId, p, src.lastPrice(p.instrumentId)),
    }),
    balances: balanceViews(accountId, src, instruments, quote).map((balance) =>
      JSON.stringify({ type: 'balance', accountId, balance }),
    ),
  };
}
