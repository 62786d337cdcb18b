import { toDecimal, type Decimal, type DecimalInput } from '../core/decimal.js';
import { SeededRandom } from '../core/random.js';
import type { Bar } from '../data/market-data.js';
import type { OrderStore } from '../execution/order-store.js';
import type { Alert } from '../model/alert.js';
import type { Instrument } from '../model/instrument.js';
import type { OrderEvent } from '../model/order-events.js';
import type { Order } from '../model/order.js';
import type { StrategyDefinition } from '../strategy/define-strategy.js';
import { resolveParams } from '../strategy/params.js';
import { StrategyRunner } from '../strategy/strategy-runner.js';
import type { ReconciliationResult } from './reconciler.js';
import type { StrategySnapshotStore } from './strategy-snapshot-store.js';
import { TradingCore, type NodeVenue, type RiskSettings } from './trading-core.js';

export type { NodeVenue } from './trading-core.js';
import type { Failpoint } from './write-ahead-client.js';
import { ReplayedBar } from './replayed-bar.js';

/** Everything a paper node needs besides its feed. */
export interface TradingNodeConfig {
  readonly instrument: Instrument;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly strategy: StrategyDefinition<any, any, any>;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly strategyId: string;
  readonly cash: DecimalInput;
  readonly orders: OrderStore;
  readonly snapshots: StrategySnapshotStore;
  /** Builds the venue; it must deliver its reports to `deliver`. */
  readonly venue: (
    deliver: (event: OrderEvent) => void,
    order: (clientOrderId: string) => Order | undefined,
  ) => NodeVenue;
  /** Bars that close at or before this time only warm the strategy (a live feed's history). */
  readonly warmUntil?: number;
  /** Waits between bars to replay at a chosen speed (none: as fast as possible). */
  readonly pace?: (bar: Bar) => Promise<void>;
  readonly seed?: number;
  /** Reads the current limits and trading states (the database); re-read every `riskRefreshBars` bars. */
  readonly risk?: () => Promise<RiskSettings>;
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
  /**
   * A replay (default false): the node owns time, so after a crash it replays the bar it was in
   * and that bar makes the same orders again, matched by client order id; an order committed
   * but never sent goes out then, as it would have. On a live feed (false) the bar is gone: a
   * never-sent order is closed (`NOT_AT_VENUE`) and the strategy is told (`onOrderEvent`).
   */
  readonly ownsTime?: boolean;
}

/** What a paper run did. */
export interface NodeRunResult {
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
 * A trading node (paper on a replay, or live on a venue's feed): the strategy runs in-process,
 * through the risk gate and the OMS, to a venue, with every order event journaled before anything is sent. Start-up
 * is the recovery path: open orders and fills come back from the store, the venue is reconciled
 * by client order id, the strategy's last snapshot is restored and its indicators are warmed on
 * the bars it already saw; only then does it trade. A snapshot is saved after each bar.
 *
 * @example
 * const result = await new TradingNode(config).run(openBars(file, { instrumentId }));
 */
export class TradingNode {
  constructor(private readonly config: TradingNodeConfig) {}

  async run(feed: AsyncIterable<readonly Bar[]>): Promise<NodeRunResult> {
    const cfg = this.config;
    const inst = cfg.instrument;
    // Recovery: the store first, then the venue; the strategy runs only after. Besides the open
    // orders, every order made after the snapshot comes back (a replayed bar makes them again).
    const snapshot = await cfg.snapshots.latest(cfg.strategyId);
    const ownsTime = cfg.ownsTime ?? false;
    // Orders made after the snapshot were made by the bar it was in when it stopped (before any
    // snapshot: by the first bar).
    const since = snapshot?.ts ?? Number.MIN_SAFE_INTEGER;
    const { core, recovery, redo } = await TradingCore.open(
      {
        instruments: [inst],
        cash: { [inst.quote]: toDecimal(cfg.cash) },
        orders: cfg.orders,
        venue: cfg.venue,
        onAlert: cfg.onAlert,
        failpoint: cfg.failpoint,
        ...(snapshot ? { startAt: snapshot.ts } : {}),
      },
      since,
      { strategyId: cfg.strategyId, resendUnsent: ownsTime },
    );
    const { exec, ledger, clock } = core;
    cfg.onReconciled?.(recovery, clock.now());
    const refreshRisk = async () => {
      if (cfg.risk) core.applyRisk(await cfg.risk());
    };
    await refreshRisk();
    const replayed = new ReplayedBar(core, redo, ownsTime, (message) =>
      cfg.onAlert?.({ kind: 'Alert', code: 'REPLAY_MISMATCH', message, ts: clock.now() }),
    );
    const rng = new SeededRandom(snapshot?.random ?? cfg.seed ?? 1);
    const runner = new StrategyRunner(
      cfg.strategy,
      resolveParams(cfg.strategy.params, cfg.params ?? {}) as never,
      cfg.strategyId,
      inst,
      {
        bus: core.bus,
        clock,
        random: () => rng.next(),
        instrument: (id) => core.instrument(id),
        addOrder: (o) => exec.add(o),
        deny: (o, d, ts) => exec.deny(o, d, ts),
        order: (id) => replayed.order(id),
        remade: (o) => replayed.remade(o),
        openOrders: (sid) => replayed.openOrders(sid),
        position: (id) => ledger.position(id),
        cash: (c) => ledger.cash(c),
        log: (_sid, _ts, message) => cfg.onLog?.(message),
      },
      // Live, the bar is not replayed: new ids start after every id already used.
      ownsTime ? (snapshot?.ordersMade ?? 0) : replayed.idsUsed(snapshot?.ordersMade ?? 0),
    );
    if (snapshot) runner.resume(snapshot.state);
    else runner.start();
    // Live: an order never sent before the crash was closed by recovery; the strategy hears it.
    for (const e of replayed.closedUnsent(recovery.resolved)) runner.deliver(e);

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
      const r = await core.reconcile();
      reconciliations++;
      drift += r.drift.length;
      lastReconcile = at;
      due = null;
      cfg.onReconciled?.(r, at);
    };

    let processed = 0;
    for await (const batch of feed) {
      for (const bar of batch) {
        if (bar.closeTime <= Math.max(snapshot?.ts ?? -Infinity, cfg.warmUntil ?? -Infinity)) {
          runner.warm(bar);
          continue;
        }
        // The node gets control only between bars: a check due during this bar runs before it.
        if (due !== null && due <= bar.closeTime) await reconcileAt(Math.min(due, bar.openTime));
        if (cfg.pace) await cfg.pace(bar);
        if (processed % (cfg.riskRefreshBars ?? 20) === 0) await refreshRisk();
        core.onBar(bar);
        runner.onBar(bar);
        replayed.end(clock.now());
        await core.settle();
        if (bar.closeTime - lastReconcile >= reconcileIntervalMs) await reconcileAt(bar.closeTime);
        else if (core.unresolved()) due ??= bar.closeTime + inflightCheckMs;
        await cfg.snapshots.save(cfg.strategyId, cfg.strategy.name, {
          ts: bar.closeTime,
          ordersMade: runner.ordersMade,
          state: runner.snapshot(),
          random: rng.state(),
        });
        processed++;
      }
    }
    replayed.end(clock.now());
    await core.settle();
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
