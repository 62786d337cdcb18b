import { Topics } from '../bus/topics.js';
import type { Clock } from '../clock/clock.js';
import { SimClock } from '../clock/sim-clock.js';
import type { Decimal, DecimalInput } from '../core/decimal.js';
import { ClientOrderIds } from '../core/client-order-id.js';
import { InvariantError, KairosError } from '../core/errors.js';
import { CLOSED_ORDER_RETENTION_MS, retentionMs } from '../execution/order-retention.js';
import type { OmsMemory } from '../execution/order-retention.js';
import type { Bar, TradeTick } from '../data/market-data.js';
import type { ExecutionClient } from '../execution/execution-client.js';
import type {
  OrderStore,
  RestoreQuery,
  StoredOrderEvent,
  StoredOrderLookup,
} from '../execution/order-store.js';
import type { VenueQueries } from '../execution/venue-queries.js';
import { Kernel } from '../kernel/kernel.js';
import type { Alert } from '../model/alert.js';
import type { Instrument } from '../model/instrument.js';
import { orderRef, type OrderEvent } from '../model/order-events.js';
import { initOrder, type Order } from '../model/order.js';
import { applyOrderEvent } from '../model/apply-order-event.js';
import type { Fill } from '../model/fill.js';
import { byMade, reconcile, type ReconciliationResult } from './reconciler.js';
import type { OrderJournal } from './order-journal.js';
import { OrderRecall } from './order-recall.js';
import { orderReports } from './venue-order-reports.js';
import { isOpen } from '../model/order-state-machine.js';
import { LEDGER_CHECKPOINT_FILLS, LedgerCheckpoints } from './ledger-checkpoints.js';
import { loadLedger } from './ledger-start.js';
import { Ledger } from '../portfolio/ledger.js';
import type { Failpoint } from './write-ahead-client.js';

export type { RiskSettings } from '../kernel/kernel.js';

/** A venue a node can trade on and reconcile with, fed the same bars. */
export type NodeVenue = ExecutionClient &
  VenueQueries & {
    onBar(bar: Bar): void;
    onTrade?(tick: TradeTick): void;
    /**
     * The node's store holds every report the venue gave so far, and the trades before
     * `fillsThrough` it will read again: a paper venue releases what it held only for such a node
     * (`docs/decisions/paper-venue-retention.md`). Called by `settle()`.
     */
    confirmStored?(fillsThrough: number): void;
  };

/** What a trading core is built from. */
export interface TradingCoreConfig {
  /** The account traded: its orders, fills and positions (the store is scoped to it too). */
  readonly accountId: string;
  readonly instruments: readonly Instrument[];
  /** Starting cash per currency. */
  readonly cash: Readonly<Record<string, DecimalInput>>;
  readonly orders: OrderStore;
  /** Builds the venue; it must deliver its reports to `deliver`. */
  readonly venue: (
    deliver: (event: OrderEvent) => void,
    /** The OMS's view of an order (venues screen out reports its state cannot take). */
    order: (clientOrderId: string) => Order | undefined,
    /**
     * The store's order for a trade of one the OMS and the venue both released (`OrderRecall`):
     * a venue hands such a trade back as a report of it instead of leaving it to reconciliation.
     */
    stored: StoredOrderLookup,
  ) => NodeVenue;
  readonly allowShort?: boolean;
  readonly onAlert?: (alert: Alert) => void;
  /** Fault tests only: called between commit and send, and between send and the stored answer. */
  readonly failpoint?: (at: Failpoint) => void;
  /**
   * The time the node had reached (a replay's last saved bar): recovery runs, and writes its
   * events, at it or at the latest time the store holds, whichever is later.
   */
  readonly startAt?: number;
  /** The clock (default: a `SimClock` at `startAt`, moved by the bars). */
  readonly clock?: Clock;
  /**
   * The venue's "no such order" is final (a paper venue: it records an order before it answers,
   * in the file every later owner reads): an open order still SUBMITTED or UNKNOWN that it does
   * not know was committed and never sent (a crash, or a lost lease, between commit and send),
   * so recovery sends it now, once, as it would have been (an `ORDER_SENT_ON_RECOVERY` alert
   * each), instead of rejecting it `NOT_AT_VENUE`. Default false: a real venue may not show an
   * order sent a moment ago, and an order is never resent blindly (invariant 4).
   */
  readonly sendUnsent?: boolean;
  /** A live account's venue order-rate window, asked by the risk gate (`RiskSettings`). */
  readonly venueOrderRate?: (clientOrderId: string) => string | null;
  /**
   * How long (ms of `clock`, ≥ 0) the OMS keeps an order after it closed; then the store answers
   * for it (`OrderRecall`). Default 10 minutes (`CLOSED_ORDER_RETENTION_MS`), as the ccxt
   * client's: `docs/decisions/oms-retention.md`.
   */
  readonly closedOrderRetentionMs?: number;
  /**
   * A server account's core (no snapshot time): restore the orders closed within the window too,
   * so a strategy reading through it (`ctx.order`) reads after a restart what it read before. The
   * window ends at the later of the clock's now and the latest `updatedAt` stored (a paper core's
   * clock starts anew at every start): never every finished order.
   */
  readonly restoreClosed?: boolean;
  /**
   * How many fills (≥ 1) the core books between two ledger checkpoints (`LedgerCheckpoints`):
   * start-up reads the fills after the latest one. Default `LEDGER_CHECKPOINT_FILLS`.
   */
  readonly ledgerCheckpointFills?: number;
}

/** What a trading core holds now (`TradingCore.memory`, a diagnostic). */
export interface CoreMemory extends OmsMemory {
  /** Orders being taken back from the store for a report that named them. */
  readonly recalling: number;
  /** Closed round trips the ledger holds: none (only a backtest's report reads them). */
  readonly roundTrips: number;
}

/**
 * The orders a replayed bar makes again (made after the node's snapshot, by its strategy): the
 * strategy does not see them until it makes them again (by client order id). `unsent` were
 * committed but never reached the venue (a crash between commit and send): on a replay they
 * are held back from recovery and sent when the replayed bar makes them again.
 */
export interface RedoOrders {
  readonly made: readonly Order[];
  readonly unsent: readonly Order[];
  /**
   * The books without the fills the strategy had not seen at its snapshot (those of its orders,
   * at or after it), kept up with every fill the node makes from now on until
   * `TradingCore.endReplay` (the replayed bar is over): what the strategy saw when it first ran
   * the bar, until the replayed bar reaches those fills again (`later`). Null when the bar is not
   * played again.
   */
  readonly before: Ledger | null;
  /**
   * The strategy's orders with stored events it had not heard at its snapshot (the orders it
   * made after it, and older ones filled or cancelled since), by client order id: the order as
   * it saw it then, and those events in order, for the replayed bar to show again where the
   * first run met them (`ReplayedBar`). Empty when the bar is not played again.
   */
  readonly later: ReadonlyMap<string, LaterEvents>;
  /**
   * The strategy's orders whose cancel it decided after its snapshot, committed and never sent
   * (a crash between the two): left PENDING_CANCEL by recovery, their cancel goes out when the
   * replayed bar cancels them again (`TradingCore.resendCancel`). Empty when not played again.
   */
  readonly cancels: readonly string[];
  /**
   * A broken invariant met after recovery, while reading what the bar is to show again (the
   * store's events of an order do not make it: `STORED_EVENTS_INVALID`): the core is recovered,
   * its writes stored, and nothing may run on it. The caller stops as on any invariant error in
   * a running node (the node throws it before its strategy starts). Null otherwise.
   */
  readonly failure: InvariantError | null;
}

/** An order as a strategy saw it at its snapshot, and its stored events since (`RedoOrders`). */
export interface LaterEvents {
  readonly order: Order;
  readonly events: readonly OrderEvent[];
  /** Each event's place among all the strategy's events since, in the order committed. */
  readonly at: readonly number[];
}

/**
 * What `TradingCore.open` reads of the store at start-up (`OrderStore.restorable`), besides the
 * open orders. A node's strategy still reads (`ctx.order`) an order closed within the window,
 * made before its snapshot too: those come back, so it reads after a restart what it would have
 * read without one (invariant 11). The window runs back `windowMs` from `now` on the node's clock
 * (at least the snapshot's time: a replay's clock starts there), with the orders made since the
 * snapshot; only the window is read and held. A server account's core (`restoreClosed`) has no
 * snapshot: its window ends at the latest update stored if that is later than now (a paper
 * core's clock starts anew). Otherwise only the open orders.
 *
 * @example
 * restoreQuery(null, true, clock.now(), 600_000);
 * // { closedWithin: { ms: 600_000, endsAt: now, orLatestUpdate: true } }
 */
export function restoreQuery(
  alsoRestoreSince: number | null,
  restoreClosed: boolean,
  now: number,
  windowMs: number,
): RestoreQuery {
  if (alsoRestoreSince !== null)
    return {
      madeSince: alsoRestoreSince,
      closedWithin: { ms: windowMs, endsAt: Math.max(now, alsoRestoreSince) },
    };
  return restoreClosed ? { closedWithin: { ms: windowMs, endsAt: now, orLatestUpdate: true } } : {};
}

/**
 * A kernel that persists and recovers: every order event is journaled before anything is sent,
 * and `open` is the recovery path: stored fills rebuild the ledger, open orders (and any the
 * caller names) are restored, and the venue is reconciled by client order id; it refuses to go
 * on while an order is unresolved. Paper, live and the server's desk trade on it.
 *
 * @example
 * const { core } = await TradingCore.open(config);
 * core.onBar(bar); await core.settle();
 */
export class TradingCore extends Kernel<NodeVenue> {
  /** Always there: a trading core persists every order event. */
  declare readonly journal: OrderJournal;
  /** Takes back from the store the orders the OMS released (or never restored) when named. */
  readonly #recall: OrderRecall;
  readonly #stored: Pick<OrderStore, 'eventsAfter' | 'eventsOf'>;
  #lastFillTs = 0;
  /** Order events published, and the count the venue was last told are stored (`settle`). */
  #events = 0;
  #confirmedEvents = 0;
  /**
   * Recovery is done: the store holds the venue's outcome of every order it knows. Before, the
   * venue may hold reports no node heard (a store outage), so nothing is confirmed.
   */
  #recovered = false;
  /** Cancels committed and never sent, held for a replayed bar (`RedoOrders.cancels`). */
  readonly #heldCancels = new Set<string>();
  /** Acknowledgements lost and held for a replayed bar (`#holdAcks`), by client order id. */
  readonly #heldAcks = new Map<string, string>();
  /** Fill rows start-up read (a diagnostic: `startFillsRead`). */
  #startRead = 0;
  readonly #checkpoints: LedgerCheckpoints;
  /** The earliest order this node restored or sent: no fill of its orders can be older. */
  #firstOrderTs = Infinity;
  /**
   * A replayed bar's books (`RedoOrders.before`), until it ends; during recovery without the
   * fills `hides` names (the strategy had not seen them at its snapshot: `ReplayedBar` shows them).
   */
  #replayBooks: {
    readonly ledger: Ledger;
    hides: ((fill: Fill, owner: string | undefined) => boolean) | null;
  } | null = null;

  private constructor(cfg: TradingCoreConfig) {
    const late: { recall?: OrderRecall } = {};
    super({
      accountId: cfg.accountId,
      clock: cfg.clock ?? new SimClock(cfg.startAt ?? 0),
      instruments: cfg.instruments,
      cash: cfg.cash,
      orders: cfg.orders,
      limits: true,
      allowShort: cfg.allowShort ?? false,
      venue: (ports) => cfg.venue(ports.report, ports.order, (ref) => late.recall!.stored(ref)),
      ...(cfg.onAlert ? { onAlert: cfg.onAlert } : {}),
      ...(cfg.failpoint ? { failpoint: cfg.failpoint } : {}),
      ...(cfg.venueOrderRate ? { venueOrderRate: cfg.venueOrderRate } : {}),
      closedOrderRetentionMs: retentionMs(cfg.closedOrderRetentionMs ?? CLOSED_ORDER_RETENTION_MS),
      unheld: (e) => late.recall!.report(e),
    });
    this.#stored = cfg.orders;
    this.#recall = late.recall = new OrderRecall(
      cfg.orders,
      () => this.exec,
      this.bus,
      () => this.journal.durable(),
    );
    this.#checkpoints = new LedgerCheckpoints(
      cfg.orders,
      cfg.ledgerCheckpointFills ?? LEDGER_CHECKPOINT_FILLS,
      () => new Ledger(cfg.cash),
      (id) => this.instrumentOf(id),
      () => this.journal.durable(),
      (message) =>
        cfg.onAlert?.({
          kind: 'Alert',
          code: 'LEDGER_CHECKPOINT_FAILED',
          message,
          ts: this.clock.now(),
        }),
    );
  }

  /** The fill rows start-up read (the fills after the ledger's checkpoint; a diagnostic). */
  get startFillsRead(): number {
    return this.#startRead;
  }

  /** What the core holds now: bounded by the open orders and those closed within the window. */
  get memory(): CoreMemory {
    return {
      ...this.exec.memory,
      recalling: this.#recall.waiting,
      roundTrips: this.ledger.roundTrips.length,
    };
  }

  /** Resolves when every send, every report of an order taken back, and every event is committed. */
  override async settle(): Promise<void> {
    await this.#recall.idle();
    const events = this.#events;
    const fills = this.#lastFillTs;
    await super.settle();
    await this.#checkpoints.idle();
    // Everything published before the commit is stored: the venue may release what it held for
    // a node that missed it (unless a report came meanwhile, or waits for its order: next time).
    if (
      this.#recovered &&
      this.venue.confirmStored !== undefined &&
      events !== this.#confirmedEvents &&
      events === this.#events &&
      this.#recall.waiting === 0
    ) {
      this.#confirmedEvents = events;
      this.venue.confirmStored(fills);
    }
  }

  /**
   * Builds the core and recovers: `alsoRestoreSince` brings back, besides the open orders, those
   * made since then (a node that replays a bar after a crash names its snapshot's time) and those
   * closed within the window, which its strategy still reads (`ctx.order`).
   */
  static async open(
    cfg: TradingCoreConfig,
    alsoRestoreSince: number | null = null,
    /**
     * A node's strategy: its orders made after `alsoRestoreSince` are a replayed bar's
     * (`RedoOrders`). `replays`: the bar is played again (its never-sent orders held back, to go
     * out when made again; the books without its fills kept for the strategy, `before`).
     * `ownsTime`: the node's clock is the market's (a replay), so an event stamped at or after the
     * snapshot's time (a fill: the paper venue stamps a bar's with its open), or after it, came
     * after the snapshot: older orders' such events are shown again too (`RedoOrders.later`). A
     * live clock stamps what the node did for the snapshot's own bar after that bar's close.
     */
    redo?: {
      readonly strategyId: string;
      readonly replays: boolean;
      readonly ownsTime?: boolean;
      /**
       * The client order ids the strategy had used at its snapshot: its orders with a later
       * sequence number are the replayed bar's, whatever their time (a live clock stamps the
       * orders decided on the snapshot's own bar after that bar's close). Absent: those made
       * after `alsoRestoreSince`.
       */
      readonly ordersMade?: number;
      /**
       * The order events stored at the snapshot (`StrategySnapshot.eventsThrough`): of the
       * strategy's orders, those committed after it are the ones it had not heard, whatever their
       * time (a bar's venue events carry its open, the snapshot's own time), live too. Absent (a
       * snapshot saved before stores kept it): told by time, with `ownsTime`.
       */
      readonly eventsThrough?: number;
    },
  ): Promise<{ core: TradingCore; recovery: ReconciliationResult; redo: RedoOrders }> {
    const core = new TradingCore(cfg);
    const {
      open,
      made: sinceSnapshot,
      closed,
    } = await cfg.orders.restorable(
      restoreQuery(
        alsoRestoreSince,
        cfg.restoreClosed ?? false,
        core.clock.now(),
        retentionMs(cfg.closedOrderRetentionMs ?? CLOSED_ORDER_RETENTION_MS),
      ),
    );
    const openIds = new Set(open.map((o) => o.clientOrderId));
    const madeIds = new Set(sinceSnapshot.map((o) => o.clientOrderId));
    const recent = [...sinceSnapshot, ...closed.filter((o) => !madeIds.has(o.clientOrderId))];
    // The ledger from its checkpoint and the fills after it (`loadLedger`); only the restored
    // orders' trade keys are kept (the store answers for the others: `OrderRecall`).
    const restoring = [...new Set([...openIds, ...recent.map((o) => o.clientOrderId)])];
    // The orders the strategy made after its snapshot, by the client order id sequence it had
    // reached then: an order is the bar's it was decided on, not the one its time falls in.
    const afterSnapshot = (o: Order) =>
      redo?.ordersMade === undefined
        ? o.createdAt > alsoRestoreSince!
        : ClientOrderIds.sequenceOf(o.clientOrderId) > redo.ordersMade;
    const made =
      redo && alsoRestoreSince !== null
        ? recent.filter((o) => o.strategyId === redo.strategyId && afterSnapshot(o))
        : [];
    const redoIds = new Set(made.map((o) => o.clientOrderId));
    // A replayed bar's strategy sees the books without the fills it had not seen at its snapshot:
    // its own orders' at or after the snapshot's time (a venue may fill an order at once, and the
    // bar's own fills are stamped with its open), until the replayed bar reaches them again.
    const since = alsoRestoreSince;
    const before = redo?.replays && since !== null ? new Ledger(cfg.cash) : null;
    const exact = redo?.ownsTime ?? false;
    const through = before ? redo?.eventsThrough : undefined;
    // With the snapshot's place among the events: the strategy's fills committed after it.
    const after =
      through === undefined
        ? null
        : await core.#afterSnapshot(cfg.orders, redo!.strategyId, [...open, ...recent], through);
    const unheard = after?.fills ?? null;
    // Cancels the strategy decided after its snapshot: recovery leaves those the venue never got.
    for (const id of after?.cancels ?? []) core.#heldCancels.add(id);
    const unseen = (f: Fill, owner: string | undefined) =>
      owner === redo?.strategyId &&
      (redoIds.has(f.clientOrderId) ||
        (unheard ? unheard.has(`${f.venue}:${f.tradeId}`) : exact && f.ts >= since!));
    const loaded = await loadLedger(
      cfg.orders,
      core.ledger,
      (id) => core.instrumentOf(id),
      before && since !== null ? { ledger: before, after: since, without: unseen } : undefined,
    );
    core.#lastFillTs = loaded.lastFillTs;
    core.#startRead = loaded.read;
    if (loaded.next) core.#checkpoints.save(loaded.next);
    const keysOf = new Map<string, string[]>();
    for (const f of await cfg.orders.fillsOf(restoring)) {
      const keys = keysOf.get(f.clientOrderId);
      if (keys) keys.push(`${f.venue}:${f.tradeId}`);
      else keysOf.set(f.clientOrderId, [`${f.venue}:${f.tradeId}`]);
    }
    const unsent: Order[] = [];
    if (redo?.replays) {
      // One the strategy cancelled before it went out too: it goes out, then its cancel.
      const neverSent = await core.#neverSent(made, true);
      for (const o of made)
        if (o.status === 'INITIALIZED' || neverSent.has(o.clientOrderId)) unsent.push(o);
    }
    // Recovery's own fills of the strategy's orders came after the snapshot, whatever their time.
    const mine = (_f: Fill, owner: string | undefined) => owner === redo?.strategyId;
    if (before) core.#replayBooks = { ledger: before, hides: unheard ? mine : unseen };
    const held = new Set(unsent.map((o) => o.clientOrderId));
    let latest = core.#lastFillTs;
    for (const o of [...open, ...recent.filter((r) => !openIds.has(r.clientOrderId))]) {
      if (held.has(o.clientOrderId)) continue;
      core.exec.restore(o, keysOf.get(o.clientOrderId) ?? []);
      core.#firstOrderTs = Math.min(core.#firstOrderTs, o.createdAt);
      latest = Math.max(latest, o.updatedAt);
    }
    // Recovery happens now: at the latest time the store knows, never at 0.
    core.advanceTo(latest);
    core.bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
      core.#events++;
      if (e.kind === 'OrderSubmitted') core.#firstOrderTs = Math.min(core.#firstOrderTs, e.ts);
      if (e.kind !== 'OrderFilled') return;
      core.#lastFillTs = Math.max(core.#lastFillTs, e.fill.ts);
      core.#checkpoints.onFill();
      const books = core.#replayBooks;
      if (books && !books.hides?.(e.fill, e.strategyId))
        books.ledger.applyFill(e.fill, core.instrumentOf(e.fill.instrumentId), e.strategyId);
    });
    if (cfg.sendUnsent) await core.#sendUnsent(cfg.onAlert);
    if (core.#heldCancels.size > 0) await core.#holdAcks(made, held);
    // A replayed bar's fills are stamped from its open on (the paper venue's match of a bar, of
    // orders made on its trades too): a lost one is read from there, whatever the orders' times.
    const recovery = await core.reconcile(
      redo?.replays && alsoRestoreSince !== null ? alsoRestoreSince : undefined,
    );
    if (core.unresolved()) {
      throw new KairosError(
        'RECOVERY_UNRESOLVED',
        'orders remain unresolved after reconciliation; not starting to trade',
      );
    }
    core.#recovered = true;
    // From now on every fill is one the replayed bar makes as the first run did: booked there.
    if (core.#replayBooks) core.#replayBooks.hides = null;
    let later = new Map<string, LaterEvents>();
    let failure: InvariantError | null = null;
    try {
      if (before && redo && since !== null)
        later = await core.#laterEvents(cfg.orders, redo.strategyId, since, made, exact, through);
    } catch (e) {
      // Recovery is done and stored: the caller stops the core in order (`RedoOrders.failure`).
      if (!(e instanceof InvariantError)) throw e;
      failure = e;
    }
    // Those the venue had (canceled, or filled meanwhile) are resolved: no cancel to send.
    for (const id of core.#heldCancels) {
      // (One never sent is held back from the OMS: `unsent`, its cancel after it.)
      if (!held.has(id) && core.exec.order(id)?.status !== 'PENDING_CANCEL')
        core.#heldCancels.delete(id);
    }
    const cancels = [...core.#heldCancels];
    return { core, recovery, redo: { made, unsent, before, later, cancels, failure } };
  }

  /** The replayed bar is over: its books without its fills (`RedoOrders.before`) are dropped. */
  endReplay(): void {
    this.#replayBooks = null;
  }

  /** A replayed bar's books are still kept up (a diagnostic: `endReplay`). */
  get replaying(): boolean {
    return this.#replayBooks !== null;
  }

  /**
   * `RedoOrders.later`: the stored events of `strategyId`'s orders that it had not heard at its
   * snapshot (`since`): every event of an order made after it (`made`), and with `withOlder` (the
   * clock is the market's) of an older order its fills at or after that time and its other events
   * after it.
   */
  async #laterEvents(
    store: Pick<OrderStore, 'eventsOf'>,
    strategyId: string,
    since: number,
    made: readonly Order[],
    withOlder: boolean,
    /** The events stored at the snapshot (`eventsThrough`): those after it are later, of any order. */
    through?: number,
  ): Promise<Map<string, LaterEvents>> {
    const madeIds = new Set(made.map((o) => o.clientOrderId));
    const older = (withOlder || through !== undefined ? this.exec.allOrders() : []).filter(
      (o) =>
        o.strategyId === strategyId &&
        (through !== undefined || o.updatedAt >= since) &&
        !madeIds.has(o.clientOrderId),
    );
    const orders = [...made, ...older];
    // One read, in the order committed across the orders: each event's place (`at`) in it.
    const stored = await store.eventsOf(orders.map((o) => o.clientOrderId));
    const byId = new Map<string, { seen: OrderEvent[]; events: OrderEvent[]; at: number[] }>();
    for (const o of orders) byId.set(o.clientOrderId, { seen: [], events: [], at: [] });
    stored.forEach(({ seq, event: e }, at) => {
      const of = byId.get(e.clientOrderId);
      if (!of || e.kind === 'OrderInitialized') return;
      const later =
        madeIds.has(e.clientOrderId) ||
        (through !== undefined
          ? seq > through
          : e.kind === 'OrderFilled'
            ? e.fill.ts >= since
            : e.ts > since);
      if (!later) of.seen.push(e);
      else {
        of.events.push(e);
        of.at.push(at);
      }
    });
    const out = new Map<string, LaterEvents>();
    for (const o of orders) {
      const { seen, events, at } = byId.get(o.clientOrderId)!;
      if (events.length === 0) continue;
      let order: Order;
      try {
        order = seen.reduce(applyOrderEvent, initOrder(o));
      } catch (e) {
        // The store's own events do not make its order (corrupt state, or our bug): never
        // shown as something else; the node stops (invariant 12).
        throw new InvariantError(
          'STORED_EVENTS_INVALID',
          `${o.clientOrderId}: its stored events up to the strategy's snapshot do not make the order again (${(e as Error).message})`,
        );
      }
      out.set(o.clientOrderId, { order, events, at });
    }
    return out;
  }

  /**
   * Of `strategyId`'s `orders`, what was committed after `through` (the snapshot): the trade keys
   * of their fills, and the orders PENDING_CANCEL by a cancel made after it.
   */
  async #afterSnapshot(
    store: Pick<OrderStore, 'eventsOf'>,
    strategyId: string,
    orders: readonly Order[],
    through: number,
  ): Promise<{ fills: Set<string>; cancels: string[] }> {
    const mine = orders.filter((o) => o.strategyId === strategyId);
    const pending = new Set(
      mine.filter((o) => o.status === 'PENDING_CANCEL').map((o) => o.clientOrderId),
    );
    const fills = new Set<string>();
    const cancels = new Set<string>();
    for (const { seq, event } of await store.eventsOf([
      ...new Set(mine.map((o) => o.clientOrderId)),
    ])) {
      if (seq <= through) continue;
      if (event.kind === 'OrderFilled') fills.add(`${event.fill.venue}:${event.fill.tradeId}`);
      if (event.kind === 'OrderPendingCancel' && pending.has(event.clientOrderId))
        cancels.add(event.clientOrderId);
    }
    return { fills, cancels: [...cancels] };
  }

  /**
   * The stored events of a strategy's orders committed after `seq`, in the order committed: what
   * it had not heard at a snapshot taken there (`StrategySnapshot.eventsThrough`).
   */
  eventsAfter(strategyId: string, seq: number): Promise<StoredOrderEvent[]> {
    return this.#stored.eventsAfter(strategyId, seq);
  }

  /** The stored events of these orders, in the order committed. */
  eventsOf(clientOrderIds: readonly string[]): Promise<StoredOrderEvent[]> {
    return this.#stored.eventsOf(clientOrderIds);
  }

  /**
   * Sends the cancel of an order held at recovery (`RedoOrders.cancels`) when the replayed bar
   * cancels it again; false when it is not held.
   */
  resendCancel(clientOrderId: string, ts: number): boolean {
    if (!this.#heldCancels.delete(clientOrderId)) return false;
    this.sendCancel(clientOrderId, ts);
    return true;
  }

  /**
   * Acknowledgements a crash lost, held for the replayed bar instead of given by recovery: those
   * of its orders with a held cancel never acknowledged, and of every order it made after the
   * first of those that the venue shows open and the OMS never heard acknowledged. Recovery would
   * give the others at once and these only once the cancel went out again, in another order than
   * the venue gave them: the replayed bar gives them all, in the order made (`acknowledgeHeld`).
   */
  async #holdAcks(made: readonly Order[], unsent: ReadonlySet<string>): Promise<void> {
    const unacked = (o: Order | undefined): o is Order =>
      o !== undefined &&
      o.venueOrderId === null &&
      (o.status === 'SUBMITTED' || o.status === 'UNKNOWN' || o.status === 'PENDING_CANCEL');
    const cancels = [...this.#heldCancels].map((id) => this.exec.order(id)).filter(unacked);
    if (cancels.length === 0) return;
    const orders = [
      ...new Set([
        ...cancels,
        ...made
          .filter((o) => !unsent.has(o.clientOrderId))
          .map((o) => this.exec.order(o.clientOrderId))
          .filter(unacked)
          .filter((o) => o.status !== 'PENDING_CANCEL'),
      ]),
    ].sort(byMade);
    const ids = orders.map((o) => o.clientOrderId);
    const reports = await orderReports(
      this.venue,
      ids,
      ids.length > 1 ? await this.venue.openOrders() : [],
    );
    const open = (o: Order) => reports.get(o.clientOrderId)?.status === 'OPEN';
    // The first order whose cancel the venue never got: from it on, every one still open.
    const first = orders.find((o) => this.#heldCancels.has(o.clientOrderId) && open(o));
    if (!first) return;
    for (const o of orders)
      if (byMade(o, first) >= 0 && open(o))
        this.#heldAcks.set(o.clientOrderId, reports.get(o.clientOrderId)!.venueOrderId);
  }

  /**
   * Gives the acknowledgements held for the replayed bar (`#holdAcks`), in the order the orders
   * were made, while `shown` says the strategy has made the next one again (default: all): once
   * its call is over, where the first run heard them.
   */
  acknowledgeHeld(ts: number, shown: (clientOrderId: string) => boolean = () => true): void {
    const orders = [...this.#heldAcks.keys()]
      .map((id) => this.exec.order(id))
      .filter((o): o is Order => o !== undefined)
      .sort(byMade);
    for (const o of orders) {
      if (!shown(o.clientOrderId)) return;
      const venueOrderId = this.#heldAcks.get(o.clientOrderId)!;
      this.#heldAcks.delete(o.clientOrderId);
      if (isOpen(o.status) && o.venueOrderId === null)
        this.exec.process({ kind: 'OrderAccepted', ...orderRef(o), ts, venueOrderId });
    }
  }

  /** Closes a held cancel the replayed bar did not make again: the order stays working. */
  dropCancel(clientOrderId: string, ts: number): void {
    if (!this.#heldCancels.delete(clientOrderId)) return;
    const o = this.exec.order(clientOrderId);
    if (o?.status !== 'PENDING_CANCEL') return;
    this.exec.process({
      kind: 'OrderCancelRejected',
      ...orderRef(o),
      ts,
      reason: 'NOT_SENT',
    });
  }

  /**
   * The ids of `orders` committed and never sent: passed the gate, unacknowledged (`cancelled`:
   * also those cancelled since, never acknowledged), and unknown to the venue. Two or more are checked against one `openOrders()` answer first (`orderReports`).
   */
  async #neverSent(orders: readonly Order[], cancelled = false): Promise<Set<string>> {
    const ids = orders
      .filter(
        (o) =>
          o.status === 'SUBMITTED' ||
          o.status === 'UNKNOWN' ||
          (cancelled && o.status === 'PENDING_CANCEL' && o.venueOrderId === null),
      )
      .map((o) => o.clientOrderId);
    if (ids.length === 0) return new Set();
    const listed = ids.length > 1 ? await this.venue.openOrders() : [];
    const reports = await orderReports(this.venue, ids, listed);
    return new Set(ids.filter((id) => reports.get(id) === null));
  }

  /** Recovery: sends the open orders committed and never sent (`sendUnsent`), in the order made. */
  async #sendUnsent(onAlert: TradingCoreConfig['onAlert']): Promise<void> {
    const open = this.exec.openOrders().sort((a, b) => a.createdAt - b.createdAt);
    const neverSent = await this.#neverSent(open);
    for (const o of open) {
      if (!neverSent.has(o.clientOrderId)) continue;
      onAlert?.({
        kind: 'Alert',
        code: 'ORDER_SENT_ON_RECOVERY',
        message: `${o.clientOrderId}: committed and never sent (a crash or a lost lease between commit and send); sent now`,
        ts: this.clock.now(),
      });
      this.send(o, this.clock.now());
    }
    await this.settle();
  }

  /**
   * Sends again an order held back at recovery (`RedoOrders.unsent`) when the replayed bar makes
   * it again: an INITIALIZED one goes through the risk gate as it would have, a SUBMITTED one
   * (it passed the gate) straight to the venue.
   */
  resend(order: Order, ts: number): void {
    this.exec.restore(order);
    this.#firstOrderTs = Math.min(this.#firstOrderTs, order.createdAt);
    if (order.status === 'INITIALIZED') this.submit(order, ts);
    else this.send(order, ts);
  }

  /** Closes an order held back at recovery that the replayed bar did not make again. */
  dropUnsent(order: Order, ts: number): void {
    this.exec.restore(order);
    if (order.status === 'INITIALIZED')
      this.exec.deny(
        order,
        { reason: 'NOT_SENT', message: 'not made again on the replayed bar' },
        ts,
      );
    else
      this.exec.process({
        kind: 'OrderRejected',
        ...orderRef(order),
        ts,
        reason: 'NOT_AT_VENUE',
        message: 'never sent, and not made again on the replayed bar',
      });
  }

  /** The last price seen of an instrument. */
  lastPrice(id: string): Decimal | null {
    return this.data.lastPrice(id);
  }

  /** Whether some order is still SUBMITTED or UNKNOWN (its outcome not known). */
  unresolved(): boolean {
    // (One whose acknowledgement is held for a replayed bar is open at the venue: resolved.)
    return this.exec
      .openOrders()
      .some(
        (o) =>
          (o.status === 'SUBMITTED' || o.status === 'UNKNOWN') &&
          !this.#heldAcks.has(o.clientOrderId),
      );
  }

  /** Reconciles with the venue now, then waits until what it changed is committed. */
  async reconcile(
    /** Read the trades from this time at the latest (start-up of a replayed bar: its open). */
    from?: number,
  ): Promise<ReconciliationResult> {
    const now = this.clock.now();
    // Trades since the last fill; before any, since the first order (not the venue's whole
    // history: a live venue pages it day by day).
    const since = Math.min(
      this.#lastFillTs > 0
        ? this.#lastFillTs
        : Number.isFinite(this.#firstOrderTs)
          ? this.#firstOrderTs
          : now,
      from ?? Infinity,
    );
    const r = await reconcile(
      this.exec,
      this.venue,
      this.bus,
      since,
      now,
      undefined,
      () => this.settle(),
      this.#recall,
      this.#heldAcks.size > 0
        ? new Set([...this.#heldCancels, ...this.#heldAcks.keys()])
        : this.#heldCancels,
    );
    await this.settle();
    return r;
  }
}
