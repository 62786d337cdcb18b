import type { MessageBus } from '../bus/message-bus.js';
import { Endpoints, Topics } from '../bus/topics.js';
import { ZERO, type Decimal } from '../core/decimal.js';
import { assertNever, InvariantError } from '../core/errors.js';
import { addDecimals, compareDecimals } from '../core/scaled-decimal.js';
import type { Alert } from '../model/alert.js';
import { applyOrderEvent } from '../model/apply-order-event.js';
import type { CancelOrder, SubmitOrder, TradingCommand } from '../model/commands.js';
import { OpenOrders } from '../model/open-orders.js';
import type { Order } from '../model/order.js';
import { orderRef, type OrderEvent } from '../model/order-events.js';
import { closedButFillable, isOpen, isTerminal } from '../model/order-state-machine.js';
import type { Denial } from '../risk/pre-trade-check.js';
import type { ExecutionClient } from './execution-client.js';
import { OrderRetention, type OmsMemory } from './order-retention.js';
import { TradeIdSet } from './trade-id-set.js';

/**
 * How the OMS of a node that runs for weeks (live, paper) bounds what it holds; a backtest gives
 * none.
 */
export interface ExecutionEngineOptions {
  /**
   * Releases an order closed for `ms` of `now` (the injected clock) with its trade ids. Absent:
   * every order is kept (a backtest's report reads them all at the end).
   */
  readonly retention?: { readonly ms: number; readonly now: () => number };
  /**
   * Takes a report of an order not held (released, or closed before a restart) instead of
   * raising `UNKNOWN_ORDER_REPORT`: the store may hold it (`OrderRecall`), which then restores it
   * and hands the report back.
   */
  readonly unheld?: (event: OrderEvent) => void;
}

/** An owner's orders taken by this OMS since it started, and the net quantity their fills bought. */
export interface OwnerTally {
  readonly orders: number;
  /** Bought (+) minus sold (-). */
  readonly position: Decimal;
}

/**
 * The alert for a report of an order neither held nor stored.
 *
 * @example
 * bus.publish(Topics.alerts, unknownOrderAlert(event));
 */
export function unknownOrderAlert(event: OrderEvent): Alert {
  return {
    kind: 'Alert',
    code: 'UNKNOWN_ORDER_REPORT',
    message: `${event.kind} for unknown order ${event.clientOrderId}`,
    ts: event.ts,
  };
}

/**
 * The order management system: owns every order (in live and paper, the open ones and those
 * closed within `retention`: `docs/decisions/oms-retention.md`), applies venue reports through
 * the order state machine, deduplicates fills by venue trade id, refuses overfills (raising an
 * alert) and publishes each order event on `events.order.<strategyId>`. It receives commands that passed risk on
 * `ExecutionEngine.execute` and venue reports on `ExecutionEngine.process`.
 *
 * @example
 * const exec = new ExecutionEngine(bus, () => exchange);
 * exec.add(order);
 */
export class ExecutionEngine {
  readonly #orders = new Map<string, Order>();
  /** The open orders with their running totals (what the risk gate reads). */
  readonly open = new OpenOrders();
  /**
   * The venue trade ids of the fills applied, per venue: the fill's own strings, where one
   * `venue:tradeId` key per fill was a string made, hashed and kept for the whole run; a venue's
   * numbered ids as runs of numbers (`TradeIdSet`).
   */
  readonly #tradeIds = new Map<string, TradeIdSet>();
  /** The `venue:tradeId` keys of stored fills given to `restore`. */
  readonly #restoredKeys = new Set<string>();
  /** Cancels asked while the order's outcome was UNKNOWN: sent once the venue's answer is known. */
  readonly #queuedCancels = new Map<string, number>();
  /**
   * The order looked up or stored last, and its id: an order's events, its submit and the
   * strategy's reads of it come one after another, and a look-up in the map of every order of a
   * run (megabytes in a backtest) costs a cache miss or more each time (issue 18).
   */
  #lastId: string | null = null;
  #last: Order | undefined = undefined;
  /** Null: every order is kept (a backtest). */
  readonly #retention: OrderRetention | null;
  /** Calls of `add` and `process` under way (a sweep runs when the outermost ends). */
  #depth = 0;
  /** With retention: each owner's tally, kept as orders come (released orders still count). */
  readonly #tallies = new Map<string, { orders: number; position: Decimal }>();

  constructor(
    private readonly bus: MessageBus,
    private readonly route: (order: Order) => ExecutionClient,
    private readonly options: ExecutionEngineOptions = {},
  ) {
    const r = options.retention;
    this.#retention = r ? new OrderRetention(r.ms, r.now) : null;
    bus.register<TradingCommand>(Endpoints.execution, (cmd) => this.execute(cmd));
    bus.register<OrderEvent>(Endpoints.executionReports, (e) => this.process(e));
  }

  /** Records a new INITIALIZED order. A duplicate client order id is a bug. */
  add(order: Order): void {
    if (this.#retention !== null)
      return this.#outermost(order.clientOrderId, () => this.#add(order));
    this.#add(order);
  }

  #add(order: Order): void {
    this.#track(order);
    if (this.#retention !== null) {
      this.#retention.held(order.clientOrderId);
      this.#count(order, 1, order.filledQuantity);
    }
    // orderRef's fields written out, in its order: a spread of it is an extra object and a copy.
    this.#publish({
      kind: 'OrderInitialized',
      order,
      clientOrderId: order.clientOrderId,
      accountId: order.accountId,
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      ts: order.createdAt,
    });
  }

  /**
   * Takes back an order loaded from the store at start-up (no event is published), with the
   * venue trade ids of its stored fills so they are never applied twice.
   */
  restore(
    order: Order,
    // Stryker disable next-line ArrayDeclaration: equivalent, no trade key ("venue:tradeId") is Stryker's filler text
    tradeKeys: readonly string[] = [],
    /** Taken back after a release (`OrderRecall`): counted already, or before this OMS started. */
    recalled = false,
  ): void {
    this.#track(order);
    if (isOpen(order.status)) this.open.update(undefined, order);
    for (const k of tradeKeys) this.#restoredKeys.add(k);
    if (this.#retention === null) return;
    if (!recalled) this.#count(order, 1, order.filledQuantity);
    // Kept a whole window from now, like an order just closed.
    this.#retention.held(order.clientOrderId, tradeKeys);
    this.#retention.touched(order.clientOrderId, isTerminal(order.status));
  }

  /** Denies an INITIALIZED order (called by the risk engine). */
  deny(order: Order, denial: Denial, ts: number): void {
    this.process({
      kind: 'OrderDenied',
      clientOrderId: order.clientOrderId,
      accountId: order.accountId,
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      ts,
      reason: denial.reason,
      message: denial.message,
    });
  }

  /** Handles a command that passed risk. */
  execute(cmd: TradingCommand): void {
    switch (cmd.kind) {
      case 'SubmitOrder':
        return this.#submit(cmd);
      case 'CancelOrder':
        return this.#cancel(cmd);
      default:
        return assertNever(cmd);
    }
  }

  /** Applies a venue report or an internal event. */
  process(event: OrderEvent): void {
    if (this.#retention !== null)
      return this.#outermost(event.clientOrderId, () => this.#process(event));
    this.#process(event);
  }

  #process(event: OrderEvent): void {
    const order = this.#get(event.clientOrderId);
    if (!order) {
      if (this.options.unheld) return this.options.unheld(event);
      this.bus.publish(Topics.alerts, unknownOrderAlert(event));
      return;
    }
    if (event.kind === 'OrderFilled') {
      const { venue, tradeId } = event.fill;
      let ids = this.#tradeIds.get(venue);
      if (ids === undefined) this.#tradeIds.set(venue, (ids = new TradeIdSet()));
      // Added first, one look-up where `has` and then `add` were two; taken out again when the
      // fill is not applied.
      if (!ids.add(tradeId)) return;
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, an empty set has no key (its size spares making one per fill)
      const restored = this.#restoredKeys.size > 0;
      if (restored && this.#restoredKeys.has(`${venue}:${tradeId}`)) {
        ids.delete(tradeId);
        return;
      }
      if (
        compareDecimals(addDecimals(order.filledQuantity, event.fill.quantity), order.quantity) > 0
      ) {
        ids.delete(tradeId);
        this.#alert(
          'ORDER_OVERFILL',
          `fill ${event.fill.tradeId} would overfill ${order.clientOrderId}`,
          event.ts,
        );
        return;
      }
      if (this.#retention !== null) {
        this.#retention.held(order.clientOrderId).trades.push(venue, tradeId);
        this.#count(order, 0, event.fill.quantity);
      }
    }
    const lateFill = event.kind === 'OrderFilled' && closedButFillable(order.status);
    if (lateFill) {
      // A trade made before the cancel or expiry took effect, reported after it: it happened,
      // so it is applied (the order stays closed) and raised.
      this.#alert(
        'LATE_FILL',
        `fill ${event.fill.tradeId} for ${order.clientOrderId}, already ${order.status}: applied`,
        event.ts,
      );
    } else if (isTerminal(order.status)) {
      // Venues repeat and reorder reports (a second reject, a cancel after the fill): any other
      // report about an order already closed is raised, never applied.
      this.#alert(
        'LATE_REPORT',
        `${event.kind} for ${order.clientOrderId}, already ${order.status}: ignored`,
        event.ts,
      );
      return;
    }
    const next = applyOrderEvent(order, event);
    this.#set(order.clientOrderId, next);
    this.open.update(
      isOpen(order.status) ? order : undefined,
      isOpen(next.status) ? next : undefined,
    );
    this.#publish(event);
    this.#sendQueuedCancel(next);
  }

  /** Whether a cancel of this order waits for its outcome to be known. */
  cancelQueued(clientOrderId: string): boolean {
    return this.#queuedCancels.has(clientOrderId);
  }

  /** Whether a fill with this venue trade id was applied in this run. */
  hasTrade(venue: string, tradeId: string): boolean {
    return this.#tradeIds.get(venue)?.has(tradeId) === true;
  }

  /** One order by client order id. */
  order(clientOrderId: string): Order | undefined {
    return this.#get(clientOrderId);
  }

  /** Open orders (submitted and not terminal), in creation order, optionally of one strategy. */
  openOrders(strategyId?: string): Order[] {
    const out: Order[] = [];
    for (const o of this.open.all()) {
      if (strategyId === undefined || o.strategyId === strategyId) out.push(o);
    }
    return out;
  }

  /** True when any order is open. */
  get hasOpenOrders(): boolean {
    return this.open.size > 0;
  }

  /**
   * An owner's (strategy's or trader's) orders taken since this OMS started (made, or restored at
   * start-up) and the net quantity their fills bought: released orders still count.
   */
  tally(strategyId: string): OwnerTally {
    if (this.#retention !== null) {
      // A copy: the kept tally changes with the next order.
      const t = this.#tallies.get(strategyId);
      return t ? { orders: t.orders, position: t.position } : { orders: 0, position: ZERO };
    }
    let orders = 0;
    let position = ZERO;
    for (const o of this.#orders.values()) {
      if (o.strategyId !== strategyId) continue;
      orders++;
      position =
        o.side === 'BUY' ? position.plus(o.filledQuantity) : position.minus(o.filledQuantity);
    }
    return { orders, position };
  }

  /** Adds `orders` and `filled` (on the order's side) to its owner's tally. */
  #count(order: Order, orders: number, filled: Decimal): void {
    let t = this.#tallies.get(order.strategyId);
    if (t === undefined) this.#tallies.set(order.strategyId, (t = { orders: 0, position: ZERO }));
    t.orders += orders;
    t.position = order.side === 'BUY' ? t.position.plus(filled) : t.position.minus(filled);
  }

  /** What the OMS holds now (a diagnostic: with retention, the open and recently closed orders). */
  get memory(): OmsMemory {
    let tradeIds = 0;
    for (const ids of this.#tradeIds.values()) tradeIds += ids.size;
    return {
      orders: this.#orders.size,
      tradeIds,
      restoredKeys: this.#restoredKeys.size,
      queuedCancels: this.#queuedCancels.size,
    };
  }

  /**
   * Runs one call of `add` or `process` about an order; when it is the outermost one, the orders
   * closed for the retention window are released after it (at most once a minute), never the
   * order it was about (its caller reads it next). A report about a closed order keeps it a
   * whole window from now.
   */
  #outermost(clientOrderId: string, call: () => void): void {
    const retention = this.#retention!;
    this.#depth++;
    try {
      call();
    } finally {
      const o = this.#get(clientOrderId);
      if (o) retention.touched(clientOrderId, isTerminal(o.status));
      if (--this.#depth === 0) {
        const due = retention.due((id) => {
          const held = this.#orders.get(id)!;
          return isTerminal(held.status) ? held.updatedAt : undefined;
        }, clientOrderId);
        for (const [id, held] of due) this.#release(id, held.trades, held.restored);
      }
    }
  }

  /** Forgets a closed order: the store answers for it from now on (`OrderRecall`). */
  #release(clientOrderId: string, trades: readonly string[], restored: readonly string[]): void {
    this.#orders.delete(clientOrderId);
    // Never true today (#outermost reads its own order, so the cache holds it, and never releases
    // that one); kept so the cache can never hand out a released order.
    // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: unreachable, above
    if (this.#lastId === clientOrderId) {
      this.#lastId = null;
      this.#last = undefined;
    }
    // Stryker disable next-line EqualityOperator: equivalent, past the end a venue reads undefined, whose set is none
    for (let i = 0; i < trades.length; i += 2)
      this.#tradeIds.get(trades[i]!)?.delete(trades[i + 1]!);
    for (const k of restored) this.#restoredKeys.delete(k);
    this.#queuedCancels.delete(clientOrderId);
  }

  /** Every order as it is now, in creation order. */
  allOrders(): Order[] {
    // A map iterates in insertion order (an update keeps an entry's place): creation order.
    return [...this.#orders.values()];
  }

  #get(clientOrderId: string): Order | undefined {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, a cache: a miss looks the order up in the map
    if (clientOrderId === this.#lastId) return this.#last;
    const order = this.#orders.get(clientOrderId);
    this.#lastId = clientOrderId;
    this.#last = order;
    return order;
  }

  #set(clientOrderId: string, order: Order): void {
    this.#orders.set(clientOrderId, order);
    this.#lastId = clientOrderId;
    this.#last = order;
  }

  #track(order: Order): void {
    if (this.#get(order.clientOrderId) !== undefined) {
      throw new InvariantError(
        'DUPLICATE_CLIENT_ORDER_ID',
        `client order id ${order.clientOrderId} is taken`,
      );
    }
    this.#set(order.clientOrderId, order);
  }

  #submit(cmd: SubmitOrder): void {
    const order = this.#get(cmd.order.clientOrderId);
    if (!order)
      throw new InvariantError(
        'UNKNOWN_ORDER',
        `submit of unknown order ${cmd.order.clientOrderId}`,
      );
    this.process({
      kind: 'OrderSubmitted',
      clientOrderId: order.clientOrderId,
      accountId: order.accountId,
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      ts: cmd.ts,
    });
    this.route(order).submit(this.#get(order.clientOrderId)!, cmd.ts);
  }

  #cancel(cmd: CancelOrder): void {
    const order = this.#get(cmd.clientOrderId);
    if (!order || !isOpen(order.status) || order.status === 'PENDING_CANCEL') return;
    // The venue may or may not have it: the cancel waits until reconciliation knows (an order
    // that turns out open is then cancelled; one that turns out closed needs nothing).
    if (order.status === 'UNKNOWN')
      return void this.#queuedCancels.set(order.clientOrderId, cmd.ts);
    this.process({ kind: 'OrderPendingCancel', ...orderRef(order), ts: cmd.ts });
    this.route(order).cancel(order.clientOrderId, cmd.ts);
  }

  #sendQueuedCancel(order: Order): void {
    const ts = this.#queuedCancels.get(order.clientOrderId);
    // A queued cancel's order was UNKNOWN, and no report leaves it UNKNOWN (#cancel would queue it again).
    if (ts === undefined) return;
    this.#queuedCancels.delete(order.clientOrderId);
    // Stryker disable next-line ConditionalExpression,LogicalOperator: #cancel itself ignores an order that is not open or already PENDING_CANCEL
    if (isOpen(order.status) && order.status !== 'PENDING_CANCEL')
      this.#cancel({
        kind: 'CancelOrder',
        clientOrderId: order.clientOrderId,
        strategyId: order.strategyId,
        ts: Math.max(ts, order.updatedAt),
      });
  }

  #publish(event: OrderEvent): void {
    this.bus.publish(Topics.orderEvents(event.strategyId), event);
  }

  #alert(code: string, message: string, ts: number): void {
    const alert: Alert = { kind: 'Alert', code, message, ts };
    this.bus.publish(Topics.alerts, alert);
  }
}
