import type { MessageBus } from '../bus/message-bus.js';
import { Topics } from '../bus/topics.js';
import type { ExecutionEngine } from '../execution/execution-engine.js';
import { unknownOrderAlert } from '../execution/execution-engine.js';
import type { OrderStore, StoredOrderRef } from '../execution/order-store.js';
import type { Alert } from '../model/alert.js';
import type { Fill } from '../model/fill.js';
import type { OrderEvent } from '../model/order-events.js';
import type { Order } from '../model/order.js';

/**
 * Takes back from the store an order the OMS does not hold (released after its retention
 * window, or closed before a restart) when a report or a trade names it, with the trade keys of
 * its stored fills: the report is then applied as if the order had never left memory (a copy
 * of a stored fill ends there; a new late fill is applied, `LATE_FILL`, or refused,
 * `ORDER_OVERFILL`; any other report is `LATE_REPORT`). An order the store does not hold either
 * is `UNKNOWN_ORDER_REPORT`, as before. See `docs/decisions/oms-retention.md`.
 *
 * @example
 * const recall = new OrderRecall(store, exec, bus, () => journal.durable());
 * new ExecutionEngine(bus, route, { unheld: (e) => recall.report(e) });
 */
export class OrderRecall {
  /** Reports waiting for their order to come back, by client order id, in arrival order. */
  readonly #waiting = new Map<string, OrderEvent[]>();
  readonly #jobs = new Set<Promise<void>>();

  constructor(
    private readonly store: OrderStore,
    private readonly exec: () => ExecutionEngine,
    private readonly bus: MessageBus,
    /** Resolves when every event journaled so far is committed (what the store answers is current). */
    private readonly durable: () => Promise<void>,
  ) {}

  /** A report of an order not held: applied once the order is taken back (reports wait in order). */
  report(event: OrderEvent): void {
    const id = event.clientOrderId;
    const waiting = this.#waiting.get(id);
    if (waiting) return void waiting.push(event);
    this.#waiting.set(id, [event]);
    const job = this.#recall(id).finally(() => this.#jobs.delete(job));
    this.#jobs.add(job);
  }

  /**
   * Of these trades (their orders not held), those the store does not hold; their stored orders
   * are taken back first, so the OMS applies them (reconciliation over an old window).
   */
  async unstored(fills: readonly Fill[]): Promise<Fill[]> {
    if (fills.length === 0) return [];
    await this.durable();
    const stored = await this.store.storedFills(fills);
    const known = new Set(stored.map((f) => `${f.venue}:${f.tradeId}`));
    const fresh = fills.filter((f) => !known.has(`${f.venue}:${f.tradeId}`));
    await this.#takeBack(fresh.map((f) => f.clientOrderId));
    return fresh;
  }

  /**
   * The stored order a venue's trade names (its client id, else its venue order id), read once
   * everything journaled so far is committed: the venue client hands the trade back as a report of
   * it, which brings the order back here (`StoredOrderLookup`).
   */
  async stored(ref: StoredOrderRef): Promise<Order | undefined> {
    await this.durable();
    const byId =
      ref.clientOrderId === undefined ? undefined : await this.store.order(ref.clientOrderId);
    if (byId || ref.venueOrderId === undefined || ref.venueOrderId === '') return byId;
    return this.store.orderByVenueId(ref.venueOrderId);
  }

  /** Resolves when every report handed over so far has been applied (or raised). */
  async idle(): Promise<void> {
    while (this.#jobs.size > 0) await Promise.allSettled([...this.#jobs]);
  }

  /** Orders waiting to be taken back (a diagnostic). */
  get waiting(): number {
    return this.#waiting.size;
  }

  async #recall(id: string): Promise<void> {
    let failure: unknown = null;
    try {
      await this.durable();
      await this.#takeBack([id]);
    } catch (e) {
      failure = e;
    }
    const events = this.#waiting.get(id)!;
    this.#waiting.delete(id);
    const exec = this.exec();
    for (const e of events) {
      if (exec.order(id)) exec.process(e);
      else if (failure === null) this.bus.publish(Topics.alerts, unknownOrderAlert(e));
      else this.#recallFailed(e, failure);
    }
  }

  /** Restores the stored orders among `ids` that the OMS does not hold, with their fills' keys. */
  async #takeBack(ids: readonly string[]): Promise<void> {
    const exec = this.exec();
    const wanted = [...new Set(ids)].filter((id) => !exec.order(id));
    if (wanted.length === 0) return;
    const orders = await this.store.orders(wanted);
    if (orders.length === 0) return;
    const keysOf = new Map<string, string[]>();
    for (const f of await this.store.fillsOf(orders.map((o) => o.clientOrderId))) {
      const keys = keysOf.get(f.clientOrderId) ?? [];
      keys.push(`${f.venue}:${f.tradeId}`);
      keysOf.set(f.clientOrderId, keys);
    }
    // Another report may have brought one back meanwhile.
    for (const o of orders)
      if (!exec.order(o.clientOrderId)) exec.restore(o, keysOf.get(o.clientOrderId) ?? [], true);
  }

  #recallFailed(e: OrderEvent, failure: unknown): void {
    const alert: Alert = {
      kind: 'Alert',
      code: 'ORDER_RECALL_FAILED',
      message: `${e.kind} for ${e.clientOrderId}, not held here: the store could not be read (${(failure as Error).message}); not applied, left to reconciliation`,
      ts: e.ts,
    };
    this.bus.publish(Topics.alerts, alert);
  }
}
