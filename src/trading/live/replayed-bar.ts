import type { Order } from '../model/order.js';
import type { Position } from '../model/position.js';
import type { Decimal } from '../core/decimal.js';
import { ClientOrderIds } from '../core/client-order-id.js';
import { applyOrderEvent } from '../model/apply-order-event.js';
import { orderRef, type OrderEvent } from '../model/order-events.js';
import { isOpen } from '../model/order-state-machine.js';
import { describeDecision as describe, sameDecision } from '../model/same-decision.js';
import type { Awaitable } from '../strategy/strategy-seam.js';
import type { LaterEvents, RedoOrders, TradingCore } from './trading-core.js';

const seqOf = ClientOrderIds.sequenceOf;

/** The events a replayed bar shows again when the strategy makes an order again (the OMS's). */
const MADE = new Set<OrderEvent['kind']>(['OrderSubmitted', 'OrderDenied']);
/** … when it cancels an order again. */
const CANCELED = new Set<OrderEvent['kind']>([...MADE, 'OrderPendingCancel']);
/** … once what the event it handled sent is stored and sent: the venue's answers. */
const ANSWERS = new Set<OrderEvent['kind']>([
  'OrderAccepted',
  'OrderRejected',
  'OrderUnknown',
  'OrderCanceled',
  'OrderCancelRejected',
  'OrderExpired',
]);
/** … when it reaches the bar itself (the venue matched the bar before the strategy heard it). */
const AT_BAR = new Set<OrderEvent['kind']>([...ANSWERS, 'OrderFilled']);

/**
 * The strategy's view of orders while a node replays the bar it was in when it stopped. The
 * orders that bar had made (after the last snapshot) stay hidden from the strategy (`order`,
 * `openOrders`, so `cancelAll` never cancels them) until it makes each again under the same
 * client order id; then the stored order stands, and one committed but never sent goes out
 * (on a replay), as does a cancel committed and never sent (`RedoOrders.cancels`) when the
 * strategy cancels the order again. Whatever the bar did not make again is raised as
 * `REPLAY_MISMATCH` at its end.
 *
 * What the first run of the bar had already done to the strategy's orders before the crash
 * (`RedoOrders.later`) is shown again where that run met it, in the order committed across the
 * orders (so an order made on hearing one takes the id it took then): the OMS's own events when
 * the strategy makes the order (or cancels it) again, the venue's answers once that is stored and
 * sent (`settled`), fills when the replayed bar reaches the bar itself (its trades first, then the
 * bar, whose match the paper venue makes before `onBar`: `atBar`; not the answers to what the
 * strategy sent on hearing them, which wait for its call to end), the rest at its end. Until then the strategy reads the order as it was (`order`, `openOrders`) and the
 * books without those fills (`position`, `cash`); each event shown is handed to it
 * (`onOrderEvent`) as the first run did.
 *
 * Each event shown in turn (`settled`, `atBar`, `end`) waits for the strategy's call on it to end
 * (`wait`) before the next is chosen: an in-process strategy makes its orders again during the
 * call, a remote one (a Lambda) once the call answers; only then are those orders seen, their
 * stored events shown in turn, and what was not made again known. Those methods then answer a
 * promise (await it); with nothing to wait for they end at once, as in-process.
 *
 * @example
 * const replayed = new ReplayedBar(core, redo, true, alert, deliver, () => pending());
 * runner.onBar(bar); await pending(); await replayed.end(clock.now());
 */
export class ReplayedBar {
  readonly #hidden: Set<string>;
  readonly #unsent: Map<string, Order>;
  /** Until the replayed bar ends: the books without fills not shown yet (`RedoOrders.before`). */
  #before: RedoOrders['before'];
  /** Cancels committed and never sent (`RedoOrders.cancels`), until cancelled again. */
  readonly #cancels: Set<string>;
  /** Orders the strategy made or cancelled again since it last settled (`atBar`). */
  readonly #commanded = new Set<string>();
  /**
   * Orders with stored events not shown yet: as the strategy sees them, those events, and each
   * one's place in the order they were committed across the orders (`LaterEvents.at`).
   */
  readonly #later: Map<
    string,
    { order: Order; readonly events: OrderEvent[]; readonly at: number[] }
  >;

  constructor(
    private readonly core: TradingCore,
    private readonly redo: RedoOrders,
    /** The bar is played again (a replay, or a live node the market waited for). */
    private readonly replays: boolean,
    private readonly mismatch: (message: string) => void,
    /** Hands the strategy an event shown again (`onOrderEvent`). */
    private readonly deliver: (event: OrderEvent) => void = () => undefined,
    /** The strategy's calls not ended yet, to wait for (null: none; in-process, always none). */
    private readonly wait: () => Promise<void> | null = () => null,
  ) {
    this.#hidden = new Set(replays ? redo.made.map((o) => o.clientOrderId) : []);
    this.#unsent = new Map(redo.unsent.map((o) => [o.clientOrderId, o]));
    this.#cancels = new Set(redo.cancels);
    this.#before = replays ? redo.before : null;
    this.#later = new Map(
      replays
        ? [...redo.later].map(([id, l]: [string, LaterEvents]) => [
            id,
            { order: l.order, events: [...l.events], at: [...l.at] },
          ])
        : [],
    );
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
    if (this.#hidden.has(clientOrderId)) return undefined;
    return this.#later.get(clientOrderId)?.order ?? this.core.exec.order(clientOrderId);
  }

  openOrders(strategyId: string): readonly Order[] {
    const open = this.core.exec.openOrders(strategyId);
    if (this.#hidden.size === 0 && this.#later.size === 0) return open;
    const shown = (id: string) => !this.#hidden.has(id) && !this.#later.has(id);
    const out = open.filter((o) => shown(o.clientOrderId));
    if (this.#later.size === 0) return out;
    for (const [id, { order }] of this.#later)
      if (!this.#hidden.has(id) && order.strategyId === strategyId && isOpen(order.status))
        out.push(order);
    // In the order they were made, as the first run listed them.
    return out.sort(
      (a, b) => a.createdAt - b.createdAt || seqOf(a.clientOrderId) - seqOf(b.clientOrderId),
    );
  }

  /** The strategy cancels this order (again): the cancel's stored events are shown. */
  canceling(clientOrderId: string): void {
    this.#commanded.add(clientOrderId);
    this.#ownCancelFirst(clientOrderId);
    // Committed before the crash and never sent: it goes out now, as it did then.
    if (this.#cancels.delete(clientOrderId)) {
      this.#show(clientOrderId, CANCELED);
      this.core.resendCancel(clientOrderId, this.core.clock.now());
      return;
    }
    const o = this.core.exec.order(clientOrderId);
    if (!o || !isOpen(o.status) || o.status === 'PENDING_CANCEL') {
      this.#show(clientOrderId, CANCELED);
      return;
    }
    // Still working (recovery heard the venue acknowledge it after that cancel, which never
    // went out): the cancel is made again, and the strategy hears that one, not the stored one.
    this.#show(clientOrderId, MADE);
    this.#skip(clientOrderId, 'OrderPendingCancel');
  }

  /** The acknowledgements held for the orders made again (`TradingCore.acknowledgeHeld`). */
  #acknowledge(): void {
    this.core.acknowledgeHeld(this.core.clock.now(), (id) => !this.#hidden.has(id));
  }

  /**
   * The cancel's stored `OrderPendingCancel` goes before the venue's answers stored ahead of it,
   * not shown yet: those answers came while the strategy's call that cancelled was out (a remote
   * seam, a Lambda), so they were committed first, but the strategy heard its own cancel during
   * that call and them after it (as in-process, where they come after the call). Those answers
   * keep their place in the order committed (`at`), shown once the call is over.
   */
  #ownCancelFirst(clientOrderId: string): void {
    const later = this.#later.get(clientOrderId);
    if (!later) return;
    const i = later.events.findIndex((e) => !ANSWERS.has(e.kind));
    if (i <= 0 || later.events[i]!.kind !== 'OrderPendingCancel') return;
    later.events.unshift(...later.events.splice(i, 1));
    later.at.unshift(...later.at.splice(i, 1));
  }

  /** Passes over an order's next stored event of this kind without handing it over. */
  #skip(clientOrderId: string, kind: OrderEvent['kind']): void {
    const later = this.#later.get(clientOrderId);
    if (later?.events[0]?.kind !== kind) return;
    later.order = applyOrderEvent(later.order, later.events.shift()!);
    later.at.shift();
    if (later.events.length === 0) this.#later.delete(clientOrderId);
  }

  /** What the strategy's last call sent is stored and sent: the venue's answers are shown. */
  settled(): Awaitable<boolean> {
    this.#acknowledge();
    return then(this.#showAll(ANSWERS), (shown) => {
      this.#commanded.clear();
      return shown;
    });
  }

  /**
   * The replayed bar reaches the bar itself: what the venue's match of it made is shown; not the
   * answers to what the strategy sent or cancelled since it last settled (on hearing a fill of
   * the bar, say): those came once its call was over (`settled`, `end`).
   */
  atBar(): Awaitable<boolean> {
    return this.#showAll(AT_BAR, this.#commanded);
  }

  /**
   * Shows, one at a time and in the order they were committed across the orders, the next events
   * of orders the strategy sees whose kind is in `kinds` (null: any): what the first run heard,
   * in the order it heard it, so orders it makes on hearing them take the ids they took then.
   * After each, the strategy's call on it ends (`wait`): the orders it made again are seen before
   * the next is chosen. True when an event was shown.
   */
  #showAll(
    kinds: ReadonlySet<OrderEvent['kind']> | null,
    /** Orders whose events wait (`atBar`). */
    waiting: ReadonlySet<string> = new Set(),
    shown = false,
  ): Awaitable<boolean> {
    for (;;) {
      let next: string | null = null;
      let first = Infinity;
      for (const [id, { events, at }] of this.#later) {
        if (this.#hidden.has(id) || waiting.has(id) || events.length === 0) continue;
        if ((kinds === null || kinds.has(events[0]!.kind)) && at[0]! < first) {
          first = at[0]!;
          next = id;
        }
      }
      if (next === null) return shown;
      this.#show(next, kinds, 1);
      shown = true;
      const call = this.wait();
      if (call) return call.then(() => this.#showAll(kinds, waiting, true));
    }
  }

  /** Shows the stored events of an order from the first on (at most `most`), while their kind is in `kinds`. */
  #show(
    clientOrderId: string,
    kinds: ReadonlySet<OrderEvent['kind']> | null,
    most = Infinity,
  ): boolean {
    const later = this.#later.get(clientOrderId);
    if (!later) return false;
    const before = later.events.length;
    while (
      later.events.length > 0 &&
      before - later.events.length < most &&
      (kinds === null || kinds.has(later.events[0]!.kind))
    ) {
      const e = later.events.shift()!;
      later.at.shift();
      later.order = applyOrderEvent(later.order, e);
      if (e.kind === 'OrderFilled')
        this.#before?.applyFill(e.fill, this.core.instrumentOf(e.fill.instrumentId), e.strategyId);
      this.deliver(e);
    }
    const shown = later.events.length < before;
    if (later.events.length === 0) this.#later.delete(clientOrderId);
    return shown;
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
      this.#show(id, MADE);
      this.#commanded.add(id);
      if (held) {
        this.#unsent.delete(id);
        this.core.resend(held, this.core.clock.now());
      }
    }
    return this.order(id);
  }

  /** The client order id count to resume from when the bar is not replayed (live). */
  idsUsed(ordersMade: number): number {
    let n = ordersMade;
    for (const o of this.redo.made) n = Math.max(n, seqOf(o.clientOrderId));
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

  /**
   * The run stops before the replayed bar ended (a failure, a kill, the feed ended): nothing is
   * decided of what it has not made again yet. Its orders stay as stored (one never sent, or a
   * cancel never sent, for the next start to play again) and no mismatch is raised.
   */
  stop(): void {
    this.#later.clear();
    this.#before = null;
    this.core.endReplay();
    this.#hidden.clear();
    this.#unsent.clear();
    this.#cancels.clear();
    this.#commanded.clear();
  }

  /**
   * Ends the replayed bar: the stored events not shown yet are handed over (each once the
   * strategy's call on the one before has ended), then what it did not make again is raised, and
   * an unsent order (or cancel) closed.
   */
  end(ts: number): Awaitable<void> {
    this.#acknowledge();
    // In the order committed: an order made again on hearing one of them is shown in turn.
    return then(this.#showAll(null), () => this.#check(ts));
  }

  /** The replayed bar's end, once every stored event was shown and heard (`end`). */
  #check(ts: number): void {
    this.#later.clear();
    this.#commanded.clear();
    // Those of orders not made again too: they are at the venue.
    this.core.acknowledgeHeld(ts);
    // Only the replayed bar reads the books without its fills: no fill is booked there after it.
    this.#before = null;
    this.core.endReplay();
    for (const id of this.#cancels) {
      this.mismatch(`${id}: cancelled before the restart, not cancelled again on the replayed bar`);
      this.core.dropCancel(id, ts);
    }
    this.#cancels.clear();
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

/** `f` of a value, at once when it is one, or once its promise resolves. */
function then<T, U>(v: Awaitable<T>, f: (t: T) => U): Awaitable<U> {
  return v instanceof Promise ? v.then(f) : f(v);
}
