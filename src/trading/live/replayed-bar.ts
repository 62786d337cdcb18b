import type { Order } from '../model/order.js';
import type { Position } from '../model/position.js';
import type { Decimal } from '../core/decimal.js';
import { orderRef, type OrderEvent } from '../model/order-events.js';
import type { RedoOrders, TradingCore } from './trading-core.js';

/**
 * The strategy's view of orders while a node replays the bar it was in when it stopped. The
 * orders that bar had made (after the last snapshot) stay hidden from the strategy (`order`,
 * `openOrders`, so `cancelAll` never cancels them) until it makes each again under the same
 * client order id; then the stored order stands, and one committed but never sent goes out
 * (on a replay). Whatever the bar did not make again is raised as `REPLAY_MISMATCH` at its end.
 *
 * @example
 * const replayed = new ReplayedBar(core, redo, true, alert);
 * runner.onBar(bar); replayed.end(clock.now());
 */
export class ReplayedBar {
  readonly #hidden: Set<string>;
  readonly #unsent: Map<string, Order>;
  /** Until the replayed bar ends: the books without its orders' fills (`RedoOrders.before`). */
  #before: RedoOrders['before'];

  constructor(
    private readonly core: TradingCore,
    private readonly redo: RedoOrders,
    /** The bar is played again (a replay, or a live node the market waited for). */
    private readonly replays: boolean,
    private readonly mismatch: (message: string) => void,
  ) {
    this.#hidden = new Set(replays ? redo.made.map((o) => o.clientOrderId) : []);
    this.#unsent = new Map(redo.unsent.map((o) => [o.clientOrderId, o]));
    this.#before = replays ? redo.before : null;
    if (!this.#before) core.endReplay();
  }

  /** The strategy's position: during the replayed bar, without the fills of the bar's orders. */
  position(strategyId: string, instrumentId: string): Position {
    return (this.#before ?? this.core.ledger).ownPosition(strategyId, instrumentId);
  }

  /** The account's cash: during the replayed bar, without the fills of the bar's orders. */
  cash(currency: string): Decimal {
    return (this.#before ?? this.core.ledger).cash(currency);
  }

  order(clientOrderId: string): Order | undefined {
    return this.#hidden.has(clientOrderId) ? undefined : this.core.exec.order(clientOrderId);
  }

  openOrders(strategyId: string): readonly Order[] {
    const open = this.core.exec.openOrders(strategyId);
    return this.#hidden.size === 0 ? open : open.filter((o) => !this.#hidden.has(o.clientOrderId));
  }

  /** The stored order with this one's client order id (made again), after sending it if unsent. */
  remade(order: Order): Order | undefined {
    const id = order.clientOrderId;
    if (this.#hidden.delete(id)) {
      const held = this.#unsent.get(id);
      const stored = held ?? this.core.exec.order(id);
      if (stored && !sameDecision(stored, order))
        this.mismatch(
          `${id}: the replayed bar made ${describe(order)}, stored ${describe(stored)}`,
        );
      if (held) {
        this.#unsent.delete(id);
        this.core.resend(held, this.core.clock.now());
      }
    }
    return this.core.exec.order(id);
  }

  /** The client order id count to resume from when the bar is not replayed (live). */
  idsUsed(ordersMade: number): number {
    let n = ordersMade;
    for (const o of this.redo.made) {
      const seq = /-(\d+)$/.exec(o.clientOrderId);
      if (seq) n = Math.max(n, Number(seq[1]));
    }
    return n;
  }

  /** Live: the recovery events closing orders never sent, for the strategy to hear. */
  closedUnsent(resolved: readonly string[]): OrderEvent[] {
    if (this.replays) return [];
    const out: OrderEvent[] = [];
    for (const id of resolved) {
      const o = this.core.exec.order(id);
      if (o?.status === 'REJECTED' && o.reason === 'NOT_AT_VENUE') {
        out.push({
          kind: 'OrderRejected',
          ...orderRef(o),
          ts: o.updatedAt,
          reason: 'NOT_AT_VENUE',
          message: 'never sent before the restart; not sent after it (the market has moved on)',
        });
      }
    }
    return out;
  }

  /** Ends the replayed bar: what it did not make again is shown, and an unsent order closed. */
  end(ts: number): void {
    // Only the replayed bar reads the books without its fills: no fill is booked there after it.
    this.#before = null;
    this.core.endReplay();
    if (this.#hidden.size === 0) return;
    for (const id of this.#hidden) {
      this.mismatch(`${id}: made before the restart, not made again on the replayed bar`);
      const held = this.#unsent.get(id);
      if (held) this.core.dropUnsent(held, ts);
    }
    this.#hidden.clear();
    this.#unsent.clear();
  }
}

function sameDecision(a: Order, b: Order): boolean {
  const eq = (x: { eq(y: never): boolean } | null, y: unknown) =>
    x === null ? y === null : y !== null && x.eq(y as never);
  return (
    a.instrumentId === b.instrumentId &&
    a.side === b.side &&
    a.type === b.type &&
    a.quantity.eq(b.quantity) &&
    eq(a.price, b.price) &&
    eq(a.triggerPrice, b.triggerPrice)
  );
}

function describe(o: Order): string {
  return `${o.side} ${o.quantity.toFixed()} ${o.type}${o.price ? ` @ ${o.price.toFixed()}` : ''}`;
}
