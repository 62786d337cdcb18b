import type { Order } from '../model/order.js';
import { isTerminal } from '../model/order-state-machine.js';

/**
 * Whether a strategy still reads `order` at `now` (`ctx.order`): open, or closed (its last event,
 * `updatedAt`) less than `windowMs` ago. The same rule in every mode, on the mode's clock: a
 * paper or live OMS releases a closed order only after it (`closedOrderRetentionMs`), and a
 * backtest, which keeps every order for its report, hides it the same way
 * (`docs/decisions/strategy-order-window.md`). `windowMs` undefined: every order is read.
 *
 * @example
 * const o = services.order(id);
 * return o && inOrderWindow(o, clock.now(), 600_000) ? o : undefined;
 */
export function inOrderWindow(order: Order, now: number, windowMs: number | undefined): boolean {
  return windowMs === undefined || !isTerminal(order.status) || now - order.updatedAt < windowMs;
}
