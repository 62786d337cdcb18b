import { Endpoints } from '../bus/topics.js';
import { KairosError } from '../core/errors.js';
import type { OrderRequest } from '../execution/order-request.js';
import { makeOrder } from '../execution/order-factory.js';
import type { OrderStore } from '../execution/order-store.js';
import type { Order } from '../model/order.js';
import { describeDecision, sameDecision } from '../model/same-decision.js';
import { GroupedLookup } from './grouped-lookup.js';
import type { TradingCore } from './trading-core.js';

/** A trader's order request: everything of an order request, the instrument required. */
export type DeskOrderRequest = OrderRequest & { readonly instrumentId: string };

/** What placing an order did: the order as it stands, and whether this call made it. */
export interface Placed {
  readonly order: Order;
  readonly created: boolean;
}

/**
 * Order entry for people (the API): orders are made from requests exactly as a strategy's are
 * (snapped to the grid or denied with a reason), pass the same risk gate and OMS, and belong to
 * an owner (kept in the order's `strategyId`, e.g. `user:42`). Placing is idempotent by client
 * order id, also across restarts (the store is asked) and for concurrent calls.
 *
 * @example
 * const { order, created } = await desk.place('user:42', 'k3f…', { instrumentId, side: 'BUY', quantity: '1' });
 */
export class TradingDesk {
  readonly #pending = new Map<string, Promise<Placed>>();
  /** Stored orders by client order id; concurrent placings share one query. */
  readonly #stored: GroupedLookup<Order>;

  constructor(
    private readonly core: TradingCore,
    private readonly store: OrderStore,
    /**
     * Runs before an order is made: makes its instrument tradable on the account and follows its
     * market (a venue's market taken on demand, its bars held); throws `UNKNOWN_INSTRUMENT` naming
     * it when there is no such market. Absent: the core's instruments are all there are.
     */
    private readonly useInstrument?: (instrumentId: string) => Promise<void>,
  ) {
    this.#stored = new GroupedLookup(
      (ids) => store.orders(ids),
      (o) => o.clientOrderId,
    );
  }

  place(owner: string, clientOrderId: string, req: DeskOrderRequest): Promise<Placed> {
    const inFlight = this.#pending.get(clientOrderId);
    // Another call with this id is under way: its order, once on record, answers this one (its
    // refusal is its own: another request under the key; this one is then placed on its own).
    if (inFlight)
      return inFlight.then(
        (p) => this.#same(owner, p.order, req),
        () => this.place(owner, clientOrderId, req),
      );
    const placing = this.#place(owner, clientOrderId, req).finally(() =>
      this.#pending.delete(clientOrderId),
    );
    this.#pending.set(clientOrderId, placing);
    return placing;
  }

  /** Resolves once every placing under way has its order on record (or has failed). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#pending.values()]);
  }

  /**
   * Asks to cancel an open order of `owner` (one owner id, or several: a user and the strategies
   * they run); null when the owner has no such order.
   */
  async cancel(owner: string | readonly string[], clientOrderId: string): Promise<Order | null> {
    const order = await this.find(owner, clientOrderId);
    if (!order) return null;
    this.core.bus.send(Endpoints.risk, {
      kind: 'CancelOrder',
      clientOrderId,
      strategyId: order.strategyId,
      ts: this.core.clock.now(),
    });
    await this.core.settle();
    return this.core.exec.order(clientOrderId) ?? order;
  }

  /** One order of `owner` (one id or several; another owner's order is not found). */
  async find(owner: string | readonly string[], clientOrderId: string): Promise<Order | null> {
    const order = this.core.exec.order(clientOrderId) ?? (await this.store.order(clientOrderId));
    const owners: readonly string[] = typeof owner === 'string' ? [owner] : owner;
    return order && owners.includes(order.strategyId) ? order : null;
  }

  async #place(owner: string, clientOrderId: string, req: DeskOrderRequest): Promise<Placed> {
    const held = this.core.exec.order(clientOrderId);
    if (held) {
      // Known here: answered once it is on record. An order whose write failed (the journal
      // failed: its lease lost meanwhile) stays in memory but was never stored, so it is never
      // answered from memory: the journal's failure is (LEASE_LOST: 503, retried elsewhere).
      await this.core.journal.durable();
      return this.#same(owner, this.core.exec.order(clientOrderId) ?? held, req);
    }
    const known = await this.#stored.get(clientOrderId);
    if (known) return this.#same(owner, known, req);
    await this.useInstrument?.(req.instrumentId);
    const inst = this.core.instrument(req.instrumentId);
    if (!inst) {
      const listed = this.core.instrumentIds();
      throw new KairosError(
        'UNKNOWN_INSTRUMENT',
        `instrumentId: account ${this.core.accountId} does not trade "${req.instrumentId}" (it trades ${listed.slice(0, 10).join(', ')}${listed.length > 10 ? ', …' : ''})`,
      );
    }
    const ts = this.core.clock.now();
    const { order, denial } = makeOrder(req, inst, {
      clientOrderId,
      accountId: this.core.accountId,
      strategyId: owner,
      ts,
    });
    this.core.exec.add(order);
    if (denial) this.core.exec.deny(order, denial, ts);
    else this.core.bus.send(Endpoints.risk, { kind: 'SubmitOrder', order, ts });
    // Answer once this order is on record (not when every other order's events are): its
    // venue outcome follows on the WebSocket and in GET /orders/{id}.
    await this.core.journal.durable();
    // Released meanwhile (closed for the whole retention window): the store has it as it ended.
    const now = this.core.exec.order(clientOrderId) ?? (await this.store.order(clientOrderId));
    return { order: now ?? order, created: true };
  }

  #same(owner: string, order: Order, req: DeskOrderRequest): Placed {
    // The same key from another owner cannot happen (ids are derived from the owner); if it
    // does, it is refused rather than shown.
    if (order.strategyId !== owner) {
      throw new KairosError('IDEMPOTENCY_CONFLICT', 'Idempotency-Key: already used');
    }
    // A retry must ask for the order the key made: another request under it is a client's bug
    // (a SELL sent with the BUY's key), answered as such, never with the BUY as if placed.
    const inst = this.core.instrument(req.instrumentId);
    const asked =
      req.instrumentId === order.instrumentId && inst
        ? makeOrder(req, inst, {
            clientOrderId: order.clientOrderId,
            accountId: order.accountId,
            strategyId: owner,
            ts: order.createdAt,
          }).order
        : null;
    if (req.instrumentId !== order.instrumentId || (asked && !sameDecision(asked, order))) {
      throw new KairosError(
        'IDEMPOTENCY_KEY_REUSED',
        `Idempotency-Key: already used for another order (${order.instrumentId} ${describeDecision(order)}, ${order.clientOrderId}); this request asks for ${req.instrumentId} ${asked ? describeDecision(asked) : 'another'}: use a new key for a new order`,
      );
    }
    return { order, created: false };
  }
}
