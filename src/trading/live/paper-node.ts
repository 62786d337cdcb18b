import { MessageBus } from '../bus/message-bus.js';
import { Topics } from '../bus/topics.js';
import { SimClock } from '../clock/sim-clock.js';
import { toDecimal, type Decimal, type DecimalInput } from '../core/decimal.js';
import { KairosError } from '../core/errors.js';
import { SeededRandom } from '../core/random.js';
import type { Bar } from '../data/market-data.js';
import type { ExecutionClient } from '../execution/execution-client.js';
import { ExecutionEngine } from '../execution/execution-engine.js';
import type { OrderStore } from '../execution/order-store.js';
import type { VenueQueries } from '../execution/venue-queries.js';
import type { Alert } from '../model/alert.js';
import type { Instrument } from '../model/instrument.js';
import type { OrderEvent } from '../model/order-events.js';
import { Ledger } from '../portfolio/ledger.js';
import { RiskEngine } from '../risk/risk-engine.js';
import { NO_LIMITS, type LimitSet } from '../risk/risk-limits.js';
import type { TradingState } from '../risk/trading-state.js';
import type { StrategyDefinition } from '../strategy/define-strategy.js';
import { resolveParams } from '../strategy/params.js';
import { StrategyRunner } from '../strategy/strategy-runner.js';
import { OrderJournal } from './order-journal.js';
import { reconcile, type ReconciliationResult } from './reconciler.js';
import type { StrategySnapshotStore } from './strategy-snapshot-store.js';
import { WriteAheadClient, type Failpoint } from './write-ahead-client.js';

/** A venue the paper node can trade on and reconcile with, fed the same bars. */
export type PaperNodeVenue = ExecutionClient & VenueQueries & { onBar(bar: Bar): void };

/** Everything a paper node needs besides its feed. */
export interface PaperNodeConfig {
  readonly instrument: Instrument;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly strategy: StrategyDefinition<any, any, any>;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly strategyId: string;
  readonly cash: DecimalInput;
  readonly orders: OrderStore;
  readonly snapshots: StrategySnapshotStore;
  /** Builds the venue; it must deliver its reports to `deliver`. */
  readonly venue: (deliver: (event: OrderEvent) => void) => PaperNodeVenue;
  /** Waits between bars to replay at a chosen speed (none: as fast as possible). */
  readonly pace?: (bar: Bar) => Promise<void>;
  readonly seed?: number;
  /** Reads the current limits and trading states (the database); re-read every `riskRefreshBars` bars. */
  readonly risk?: () => Promise<{
    readonly limits: LimitSet;
    readonly states: {
      readonly global: TradingState;
      readonly strategies: Readonly<Record<string, TradingState>>;
    };
  }>;
  readonly riskRefreshBars?: number;
  /**
   * Simulated ms after which an order still unacknowledged (SUBMITTED or UNKNOWN) at the end of
   * a bar is reconciled by client order id (default 5,000).
   */
  readonly inflightCheckMs?: number;
  /** Simulated ms between full reconciliations while running (default 60,000). */
  readonly reconcileIntervalMs?: number;
  /** Told after every reconciliation (start-up, in-flight checks, periodic). */
  readonly onReconciled?: (result: ReconciliationResult, ts: number) => void;
  readonly onAlert?: (alert: Alert) => void;
  readonly onLog?: (message: string) => void;
  /** Fault tests only: called between commit and send, and between send and the stored answer. */
  readonly failpoint?: (at: Failpoint) => void;
}

/** What a paper run did. */
export interface PaperRunResult {
  readonly recovery: ReconciliationResult;
  /** Reconciliations while running, and the drift they found. */
  readonly reconciliations: number;
  readonly drift: number;
  readonly resumedFrom: number | null;
  readonly barsProcessed: number;
  readonly position: Decimal;
  readonly cash: Decimal;
}

/**
 * A paper trading node: the strategy runs in-process on a replayed feed, through the risk gate
 * and the OMS, to a venue, with every order event journaled before anything is sent. Start-up
 * is the recovery path: open orders and fills come back from the store, the venue is reconciled
 * by client order id, the strategy's last snapshot is restored and its indicators are warmed on
 * the bars it already saw; only then does it trade. A snapshot is saved after each bar.
 *
 * @example
 * const result = await new PaperNode(config).run(openBars(file, { instrumentId }));
 */
export class PaperNode {
  constructor(private readonly config: PaperNodeConfig) {}

  async run(feed: AsyncIterable<readonly Bar[]>): Promise<PaperRunResult> {
    const cfg = this.config;
    const inst = cfg.instrument;
    const clock = new SimClock(0);
    const bus = new MessageBus();
    const ledger = new Ledger({ [inst.quote]: toDecimal(cfg.cash) });
    let last: Decimal | null = null;
    const engine: { exec?: ExecutionEngine } = {};
    const venue = cfg.venue((e) => engine.exec!.process(e));
    const journal = new OrderJournal(bus, cfg.orders, (id) => engine.exec!.order(id));
    const client = new WriteAheadClient(
      venue,
      journal,
      (id, why) =>
        cfg.onAlert?.({
          kind: 'Alert',
          code: 'ORDER_NOT_SENT',
          message: `${id}: ${(why as Error).message}`,
          ts: clock.now(),
        }),
      cfg.failpoint,
    );
    const exec = (engine.exec = new ExecutionEngine(bus, () => client));
    const lookup = (id: string) => (id === inst.id ? inst : undefined);
    if (cfg.onAlert) bus.subscribe<Alert>(Topics.alerts, cfg.onAlert);

    // Recovery: the store first, then the venue; strategies run only after.
    const storedFills = await cfg.orders.fills();
    for (const f of storedFills) ledger.applyFill(f, inst.quote);
    const snapshot = await cfg.snapshots.latest(cfg.strategyId);
    // Open orders, and every order made after the snapshot (a replayed bar makes them again).
    const recent = snapshot ? await cfg.orders.ordersSince(snapshot.ts) : [];
    const open = await cfg.orders.openOrders();
    const toRestore = [
      ...open,
      ...recent.filter((r) => !open.some((o) => o.clientOrderId === r.clientOrderId)),
    ];
    for (const o of toRestore) {
      exec.restore(
        o,
        storedFills
          .filter((f) => f.clientOrderId === o.clientOrderId)
          .map((f) => `${f.venue}:${f.tradeId}`),
      );
    }
    bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
      if (e.kind === 'OrderFilled') ledger.applyFill(e.fill, inst.quote);
    });
    // Every fill known here, so a reconciliation never mistakes one for drift.
    let lastFillTs = storedFills.reduce((m, f) => Math.max(m, f.ts), 0);
    const known = new Set(storedFills.map((f) => `${f.venue}:${f.tradeId}`));
    bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
      if (e.kind !== 'OrderFilled') return;
      lastFillTs = Math.max(lastFillTs, e.fill.ts);
      known.add(`${e.fill.venue}:${e.fill.tradeId}`);
    });
    const recovery = await reconcile(exec, venue, bus, lastFillTs, clock.now(), known);
    await journal.committed();
    cfg.onReconciled?.(recovery, clock.now());
    if (exec.openOrders().some((o) => o.status === 'SUBMITTED' || o.status === 'UNKNOWN')) {
      throw new KairosError(
        'RECOVERY_UNRESOLVED',
        'orders remain unresolved after reconciliation; not starting the strategy',
      );
    }

    let limits: LimitSet = NO_LIMITS;
    const risk = new RiskEngine(
      bus,
      {
        instrument: lookup,
        cash: (c) => ledger.cash(c),
        position: (id) => ledger.position(id),
        openOrders: () => exec.openOrders(),
        lastPrice: () => last,
        deny: (o, d, ts) => exec.deny(o, d, ts),
      },
      {
        allowShort: false,
        get limits() {
          return limits;
        },
      },
    );
    /** Applies stored limits and states; a newly HALTED scope gets the kill switch (cancels). */
    const applied = new Map<string, TradingState>([['', 'ACTIVE']]);
    const refreshRisk = async () => {
      if (!cfg.risk) return;
      const fresh = await cfg.risk();
      limits = fresh.limits;
      const apply = (state: TradingState, strategyId?: string) => {
        const key = strategyId ?? '';
        if (applied.get(key) === state) return;
        applied.set(key, state);
        if (state === 'HALTED') risk.killSwitch(clock.now(), 'store', strategyId);
        else risk.setState(state, clock.now(), 'store', strategyId);
      };
      apply(fresh.states.global);
      for (const [id, state] of Object.entries(fresh.states.strategies)) apply(state, id);
    };
    await refreshRisk();
    const rng = new SeededRandom(snapshot?.random ?? cfg.seed ?? 1);
    const runner = new StrategyRunner(
      cfg.strategy,
      resolveParams(cfg.strategy.params, cfg.params ?? {}) as never,
      cfg.strategyId,
      inst,
      {
        bus,
        clock,
        random: () => rng.next(),
        instrument: lookup,
        addOrder: (o) => exec.add(o),
        deny: (o, d, ts) => exec.deny(o, d, ts),
        order: (id) => exec.order(id),
        openOrders: (sid) => exec.openOrders(sid),
        position: (id) => ledger.position(id),
        cash: (c) => ledger.cash(c),
        log: (_sid, _ts, message) => cfg.onLog?.(message),
      },
      snapshot?.ordersMade ?? 0,
    );
    if (snapshot) runner.resume(snapshot.state);
    else runner.start();

    // While running: unacknowledged orders are checked soon after the bar that left them so,
    // and everything is reconciled at an interval (both in simulated time).
    const inflightCheckMs = cfg.inflightCheckMs ?? 5_000;
    const reconcileIntervalMs = cfg.reconcileIntervalMs ?? 60_000;
    let due: number | null = null;
    let lastReconcile = -Infinity;
    let reconciliations = 0;
    let drift = 0;
    const reconcileAt = async (at: number) => {
      clock.advanceTo(at);
      const r = await reconcile(exec, venue, bus, lastFillTs, at, known);
      await client.idle();
      await journal.committed();
      reconciliations++;
      drift += r.drift.length;
      lastReconcile = at;
      due = null;
      cfg.onReconciled?.(r, at);
    };
    const unresolved = () =>
      exec.openOrders().some((o) => o.status === 'SUBMITTED' || o.status === 'UNKNOWN');

    let processed = 0;
    for await (const batch of feed) {
      for (const bar of batch) {
        if (snapshot && bar.closeTime <= snapshot.ts) {
          runner.warm(bar);
          continue;
        }
        // The node gets control only between bars: a check due during this bar runs before it.
        if (due !== null && due <= bar.closeTime) await reconcileAt(Math.min(due, bar.openTime));
        if (cfg.pace) await cfg.pace(bar);
        if (cfg.risk && processed % (cfg.riskRefreshBars ?? 20) === 0) await refreshRisk();
        clock.advanceTo(bar.openTime);
        venue.onBar(bar);
        clock.advanceTo(bar.closeTime);
        last = toDecimal(bar.close);
        risk.observePrice(inst.id, last, bar.closeTime);
        runner.onBar(bar);
        await client.idle();
        await journal.committed();
        if (bar.closeTime - lastReconcile >= reconcileIntervalMs) await reconcileAt(bar.closeTime);
        else if (unresolved()) due ??= bar.closeTime + inflightCheckMs;
        await cfg.snapshots.save(cfg.strategyId, cfg.strategy.name, {
          ts: bar.closeTime,
          ordersMade: runner.ordersMade,
          state: runner.snapshot(),
          random: rng.state(),
        });
        processed++;
      }
    }
    await client.idle();
    await journal.committed();
    // A last reconciliation, so the run ends agreeing with the venue.
    await reconcileAt(Math.max(due ?? 0, clock.now()));
    return {
      recovery,
      reconciliations,
      drift,
      resumedFrom: snapshot?.ts ?? null,
      barsProcessed: processed,
      position: ledger.position(inst.id).quantity,
      cash: ledger.cash(inst.quote),
    };
  }
}
