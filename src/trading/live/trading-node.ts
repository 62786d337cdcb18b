import { toDecimal, type Decimal, type DecimalInput } from '../core/decimal.js';
import type { MessageBus } from '../bus/message-bus.js';
import { Topics } from '../bus/topics.js';
import type { Clock } from '../clock/clock.js';
import { isTrade, type Bar, type MarketEvent, type TradeTick } from '../data/market-data.js';
import { InvariantError } from '../core/errors.js';
import type { OrderStore, StoredOrderLookup } from '../execution/order-store.js';
import { isVenueBusy, type VenueBusyError } from '../execution/venue-busy.js';
import type { Alert } from '../model/alert.js';
import type { Instrument } from '../model/instrument.js';
import type { OrderEvent } from '../model/order-events.js';
import type { Order } from '../model/order.js';
import { orderEventToJson } from '../model/order-json.js';
import type { StrategyDefinition } from '../strategy/define-strategy.js';
import { resolveParams } from '../strategy/params.js';
import { InProcessSeam } from '../strategy/in-process-seam.js';
import type {
  SeamHost,
  StrategyOutput,
  StrategySeam,
  StrategyStart,
} from '../strategy/strategy-seam.js';
import type { ReconciliationResult } from './reconciler.js';
import type { StrategySnapshotStore } from './strategy-snapshot-store.js';
import { TradingCore, type CoreMemory, type NodeVenue, type RiskSettings } from './trading-core.js';

export type { NodeVenue } from './trading-core.js';
import type { Failpoint } from './write-ahead-client.js';
import type { JournalMark } from './order-journal.js';
import { ReplayedBar } from './replayed-bar.js';
import { playsAgain, type LatestClosedBar } from './latest-closed-bar.js';

/** Everything a paper node needs besides its feed. */
export interface TradingNodeConfig {
  readonly instrument: Instrument;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly strategy: StrategyDefinition<any, any, any>;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly strategyId: string;
  /** The account traded: its orders and fills carry it; `orders` must be that account's store. */
  readonly accountId: string;
  readonly cash: DecimalInput;
  readonly orders: OrderStore;
  readonly snapshots: StrategySnapshotStore;
  /**
   * How the node talks to its strategy (default: an `InProcessSeam` over the definition, in this
   * process). A `RemoteSeam` runs it behind text messages (a worker, a Lambda): its calls are
   * awaited, order events reach it at the node's next call, and its tickets are provisional.
   */
  readonly strategySeam?: (host: SeamHost) => StrategySeam;
  /** Builds the venue; it must deliver its reports to `deliver`. */
  readonly venue: (
    deliver: (event: OrderEvent) => void,
    order: (clientOrderId: string) => Order | undefined,
    /** The store's order for a trade of one released by the OMS and the venue (`TradingCoreConfig`). */
    stored: StoredOrderLookup,
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
  /**
   * Given the node's bus once recovery is done, before the first bar: the composition root
   * subscribes to what it logs or pushes (order events, trading-state changes).
   */
  readonly observe?: (bus: Pick<MessageBus, 'subscribe'>) => void;
  /** Fault tests only: called between commit and send, and between send and the stored answer. */
  readonly failpoint?: (at: Failpoint) => void;
  /**
   * What happens to the orders still working at the venue when the run stops: `cancel` them
   * (the kill switch, then their outcome is awaited) or `leave` them working (default).
   */
  readonly onStop?: 'cancel' | 'leave';
  /**
   * The venue is busy (rate limit, ban, unreachable) during start-up recovery: resolve `true` to
   * try again (after waiting, e.g. until `error.untilMs`), `false` to give up (default).
   */
  readonly waitForVenue?: (error: VenueBusyError) => Promise<boolean>;
  /** Stops the venue's streams, after the last reconciliation (what they deliver is still stored). */
  readonly closeVenue?: () => Promise<void>;
  /**
   * A failure (the strategy threw, an invariant broke) ends the run in order either way; then
   * `run` returns it in `failure` (true) or throws the original error (default).
   */
  readonly returnFailures?: boolean;
  /**
   * A replay (default false): the node owns time, so after a crash it replays the bar it was in
   * and that bar makes the same orders again, matched by client order id; an order committed
   * but never sent goes out then, as it would have. On a live feed (false) the bar is gone: a
   * never-sent order is closed (`NOT_AT_VENUE`) and the strategy is told (`onOrderEvent`),
   * unless the venue has closed no bar since (`latestClosedBar`).
   */
  readonly ownsTime?: boolean;
  /**
   * A live feed: the venue's latest closed bar at start (its close time) and when the bar before
   * it closed (closed candles only, whatever gaps: `latestClosedBar`). A node whose snapshot lies
   * between the two died in that bar, and the venue has closed no other since (a quick restart,
   * or a market that waited): the bar is played again as on a replay (`ownsTime`), so the run
   * goes on as if it had not stopped.
   */
  readonly latestClosedBar?: LatestClosedBar;
  /**
   * The clock of a live feed (a `LiveClock`): the node then reconciles on its timers, in-flight
   * checks and the periodic reconciliation alike, whether bars arrive or not (a quiet market, a
   * dropped feed). Absent: a `SimClock` moved by the bars (a replay).
   */
  readonly clock?: Clock;
  /**
   * How long the OMS keeps an order after it closed (ms of the node's clock; default 10 minutes):
   * `TradingCoreConfig.closedOrderRetentionMs`.
   */
  readonly closedOrderRetentionMs?: number;
}

/** Why a run ended early. */
export interface NodeFailure {
  readonly code: string;
  readonly message: string;
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
  /** Set when the run failed (a strategy error, our own bug): nothing more was sent after it. */
  readonly failure: NodeFailure | null;
  /** What was done with the orders still working at the stop. */
  readonly onStop: 'cancel' | 'leave';
  /** Orders still open (working or unresolved) when the run ended. */
  readonly openOrders: number;
  /** Bars only watched, not traded, while the venue was busy (reads deferred, trading paused). */
  readonly pausedBars: number;
  /** The venue was still busy at the end: the last reconciliation could not run. */
  readonly lastReconcileDeferred: VenueBusyError | null;
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
  #core: TradingCore | null = null;
  #rules: Instrument | null = null;

  constructor(private readonly config: TradingNodeConfig) {}

  /** What the node's core holds now (null before it started): a diagnostic. */
  get memory(): CoreMemory | null {
    return this.#core?.memory ?? null;
  }

  /**
   * The instrument's new rules (the venue changed its tick, lot or minimums: a markets refresh):
   * orders made from now on snap to them; orders already made keep theirs.
   */
  setInstrument(inst: Instrument): void {
    this.#rules = inst;
    this.#core?.setInstrument(inst);
  }

  async run(feed: AsyncIterable<readonly MarketEvent[]>): Promise<NodeRunResult> {
    const cfg = this.config;
    const inst = cfg.instrument;
    // Recovery: the store first, then the venue; the strategy runs only after. Besides the open
    // orders, every order made after the snapshot comes back (a replayed bar makes them again).
    const snapshot = await cfg.snapshots.latest(cfg.strategyId);
    const ownsTime = cfg.ownsTime ?? false;
    const last = cfg.latestClosedBar;
    // The bar it died in is played again: on a replay, and live when the venue closed no other
    // (that bar, or the one still forming after the snapshot's).
    const replays =
      ownsTime || (snapshot !== null && last !== undefined && playsAgain(snapshot.ts, last));
    const { core, recovery, redo, storedAtStart } = await this.#open(
      snapshot?.ts ?? null,
      replays,
      snapshot?.ordersMade ?? 0,
      snapshot?.eventsThrough,
    );
    this.#core = core;
    if (this.#rules) core.setInstrument(this.#rules);
    const { exec, ledger, clock } = core;
    cfg.onReconciled?.(recovery, clock.now());
    cfg.observe?.(core.bus);
    const refreshRisk = async () => {
      if (cfg.risk) core.applyRisk(await cfg.risk());
    };
    const alert = (code: string, message: string) =>
      cfg.onAlert?.({ kind: 'Alert', code, message, ts: clock.now() });
    let failure: NodeFailure | null = null;
    let failureError: unknown;
    const failed = (what: string, e: unknown) => {
      if (failure) return;
      const err = e as Error;
      failureError = e;
      const code = e instanceof InvariantError ? e.code : 'STRATEGY_FAILED';
      failure = {
        code,
        message: `${cfg.strategyId} ${what} at ${new Date(clock.now()).toISOString()}: ${err.message}`,
      };
      alert(code, `${failure.message}; no more orders are sent, the node stops`);
    };
    // Calls through a remote seam answer later: awaited (`answered`) before the node goes on.
    const calls: Promise<unknown>[] = [];
    const answered = async () => {
      while (calls.length > 0) await calls.shift();
    };
    // Every strategy call: an error in it (the strategy's own, or an invariant error it drove
    // the OMS into) ends the run as a failure; it never escapes the node (invariant 12).
    const guard = (what: string, call: () => unknown): boolean => {
      if (failure) return false;
      try {
        const r = call();
        if (r instanceof Promise) calls.push(r.catch((e: unknown) => failed(what, e)));
        return true;
      } catch (e) {
        failed(what, e);
        return false;
      }
    };
    // Declared below; the events a replayed bar shows again reach the strategy through it.
    let seam: StrategySeam | null = null;
    const replayed = new ReplayedBar(
      core,
      redo,
      replays,
      (message) => alert('REPLAY_MISMATCH', message),
      (e) => void guard('onOrderEvent', () => seam!.onOrderEvent(orderEventToJson(e))),
      // Each event shown waits for the strategy's call on it: a remote one remakes orders after.
      () => (calls.length > 0 ? answered() : null),
    );
    const host: SeamHost = {
      strategyId: cfg.strategyId,
      instrument: inst,
      services: (random) =>
        core.strategyServices(
          cfg.strategyId,
          random,
          (_sid, _ts, message) => cfg.onLog?.(message),
          {
            order: (id) => replayed.order(id),
            remade: (o) => replayed.remade(o),
            openOrders: (sid) => replayed.openOrders(sid),
            canceling: (id) => replayed.canceling(id),
            position: (id) => replayed.position(cfg.strategyId, id),
            cash: (c) => replayed.cash(c),
          },
        ),
    };
    seam = cfg.strategySeam
      ? cfg.strategySeam(host)
      : new InProcessSeam(
          cfg.strategy,
          resolveParams(cfg.strategy.params, cfg.params ?? {}) as never,
          host,
        );
    const start: StrategyStart = {
      state: snapshot?.state ?? null,
      // Live, the bar is not replayed: new ids start after every id already used.
      ordersMade: replays
        ? (snapshot?.ordersMade ?? 0)
        : replayed.idsUsed(snapshot?.ordersMade ?? 0),
      random: snapshot?.random ?? cfg.seed ?? 1,
    };
    // What a replayed bar shows, event by event (`ReplayedBar`'s `wait`), is one stretch of the
    // node's work: a remote seam holds the venue's answers that come meanwhile until it is over,
    // as in-process, where they come after it (and `shown` runs as it is, in the same step).
    const shownInOne = <T>(shown: () => T | Promise<T>, hold = true): T | Promise<T> => {
      const s = seam!;
      if (!hold || !s.hold) return shown();
      s.hold(true);
      let out: T | Promise<T>;
      try {
        out = shown();
      } catch (e) {
        s.hold(false);
        throw e;
      }
      if (!(out instanceof Promise)) s.hold(false);
      return out instanceof Promise ? out.finally(() => s.hold!(false)) : out;
    };
    // In-process, order events reach the strategy as they happen. Behind a remote seam they wait
    // for the next call: those that came while the node settled are handed over now, and what
    // the strategy made of them is settled in turn. Answers, behind a remote seam, the journal's
    // mark right before the drain that found none left: the strategy has heard every event
    // written before it, and none after (null in-process, or on a failure).
    const handOver = async (): Promise<JournalMark | null> => {
      for (;;) {
        const mark = core.journal.mark();
        const call = seam.drain();
        if (!(call instanceof Promise) || failure) return null;
        let out: StrategyOutput;
        try {
          out = await call;
        } catch (e) {
          failed('onOrderEvent', e);
          return null;
        }
        if (out.events === 0) return mark;
        await core.settle();
      }
    };

    // While running: unacknowledged orders are checked soon after the bar that left them so,
    // and everything is reconciled at an interval (both in simulated time).
    const inflightCheckMs = cfg.inflightCheckMs ?? 5_000;
    const reconcileIntervalMs = cfg.reconcileIntervalMs ?? 60_000;
    let due: number | null = null;
    let lastReconcile = -Infinity;
    /** The time of the latest bar close or trade handled. */
    let marketNow = -Infinity;
    const timed = cfg.clock !== undefined;
    let reconciliations = 0;
    let drift = 0;
    // The venue refused a read (429, 418, unreachable): reads are deferred and trading pauses
    // (bars only warm the strategy) until a reconciliation goes through again.
    let busy: VenueBusyError | null = null;
    let pausedBars = 0;
    const reconcileAt = async (at: number): Promise<boolean> => {
      core.advanceTo(at);
      let r: ReconciliationResult;
      try {
        r = await core.reconcile();
      } catch (e) {
        if (!isVenueBusy(e)) throw e;
        await core.settle(); // what the reads brought before the refusal is stored
        if (!busy)
          alert(
            'TRADING_PAUSED',
            `${e.message}: venue reads deferred, trading paused until a reconciliation goes through`,
          );
        busy = e;
        return false;
      }
      if (busy) {
        alert('TRADING_RESUMED', `venue answers again: ${pausedBars} bars were not traded`);
        busy = null;
      }
      reconciliations++;
      drift += r.drift.length;
      // On a live clock the interval is also counted in market time (bars may come faster than
      // real time: a venue replaying history); on a simulated clock the two are the same.
      lastReconcile = timed ? marketNow : clock.now();
      due = null;
      cfg.onReconciled?.(r, clock.now());
      return true;
    };

    // One thing at a time: a bar (or trade) and a reconciliation never interleave.
    let turn: Promise<unknown> = Promise.resolve();
    const exclusive = <T>(job: () => Promise<T>): Promise<T> => {
      const next = turn.then(job);
      turn = next.catch(() => undefined);
      return next;
    };
    // On a live clock, timers also reconcile: at the interval, and soon after an order is left
    // unacknowledged, with or without bars.
    let stopping = false;
    const onTimer = (name: string) => () => {
      if (stopping || failure) return;
      void exclusive(async () => {
        if (!stopping && !failure) await reconcileAt(clock.now());
      })
        .catch((e: unknown) => {
          failureError ??= e;
          failure ??= {
            code: (e as { code?: string }).code ?? 'NODE_FAILED',
            message: (e as Error).message,
          };
        })
        .finally(() => {
          if (name === 'reconcile' && !stopping && !failure) schedulePeriodic();
        });
    };
    const schedulePeriodic = () =>
      clock.setTimer('reconcile', clock.now() + reconcileIntervalMs, onTimer('reconcile'));
    const checkInflight = () => {
      if (timed && core.unresolved())
        clock.setTimer('inflight', clock.now() + inflightCheckMs, onTimer('inflight'));
    };
    if (timed) schedulePeriodic();

    // The strategy hears the market from the data engine; while the venue is busy it only warms.
    core.bus.subscribe<Bar>(Topics.bars(inst.id), (bar) => {
      if (!busy) guard(`bar ${bar.closeTime}`, () => seam.onBar(bar));
      else {
        const w = seam.warm(bar);
        if (w) calls.push(w);
        pausedBars++;
      }
    });
    core.bus.subscribe<TradeTick>(Topics.trades(inst.id), (tick) => {
      if (!busy) guard(`trade ${tick.tradeId}`, () => seam.onTrade(tick));
      else {
        const w = seam.warmTrade(tick);
        if (w) calls.push(w);
      }
    });

    const saveSnapshot = async (ts: number) => {
      const drained = await handOver();
      if (failure) return;
      // The events the strategy had heard when its state was taken: those written before the
      // snapshot call in-process (each reaches it as it is published, after the journal wrote
      // it), before the last drain behind a remote seam (the snapshot call hands over none).
      // Their place in the store, not the store's latest: an event written since (a venue's
      // report after the node settled), or another account's commit, is not one it heard.
      const heard = drained ?? core.journal.mark();
      const saved = await seam.snapshot();
      const place = await core.journal.placeOf(heard);
      // None written by its core yet: what was stored before the core opened (heard, or shown again).
      const eventsThrough = place === null ? storedAtStart : place;
      await cfg.snapshots.save(cfg.strategyId, cfg.strategy.name, {
        ts,
        ordersMade: saved.ordersMade,
        state: saved.state,
        random: saved.random,
        ...(eventsThrough !== undefined && { eventsThrough }),
      });
    };

    let processed = 0;
    try {
      // Recovery met a broken invariant: stopped here, in order, before the strategy runs.
      if (redo.failure) throw redo.failure;
      await refreshRisk();
      if (snapshot) await seam.start(start);
      else guard('init', () => seam.start(start));
      if (calls.length > 0) await answered();
      // Live: an order never sent before the crash was closed by recovery; the strategy hears it.
      for (const e of replayed.closedUnsent(recovery.resolved)) {
        guard('onOrderEvent', () => seam.onOrderEvent(orderEventToJson(e)));
        if (calls.length > 0) await answered();
      }
      // A fresh run on a live feed saves where it starts (the strategy's state after `init`, at
      // the venue's time at start) before its first bar: a crash in that bar then finds a
      // snapshot, and a restart before the venue closed another bar plays it again as any other.
      if (!snapshot && !ownsTime && cfg.warmUntil !== undefined && !failure)
        await saveSnapshot(cfg.warmUntil);
      // Bars and trades before this time were seen before the restart (or are a live feed's
      // history): they only warm the strategy.
      const seenUntil =
        replays && snapshot
          ? snapshot.ts
          : Math.max(snapshot?.ts ?? -Infinity, cfg.warmUntil ?? -Infinity);
      for await (const batch of feed) {
        for (const e of batch) {
          if (failure) break;
          if (isTrade(e)) {
            if (e.ts < seenUntil) {
              // The last price too: what the replayed bar's first decisions were priced at.
              core.warmPrice(e.instrumentId, e.price);
              const w = seam.warmTrade(e);
              if (w) await w;
              continue;
            }
            await exclusive(async () => {
              if (busy) await reconcileAt(e.ts);
              else if (due !== null && due <= e.ts) await reconcileAt(due);
              marketNow = Math.max(marketNow, e.ts);
              core.onTrade(e);
              if (calls.length > 0) await answered();
              if (failure) return;
              await core.settle();
              // A replayed bar: the venue's answers the first run heard here are heard again.
              const answers = shownInOne(() => replayed.settled());
              if (answers instanceof Promise ? await answers : answers) {
                if (calls.length > 0) await answered();
                await core.settle();
              }
              await handOver();
              checkInflight();
            });
            if (failure) break;
            continue;
          }
          const bar = e;
          if (bar.closeTime <= seenUntil) {
            core.warmPrice(bar.instrumentId, bar.close);
            const w = seam.warm(bar);
            if (w) await w;
            continue;
          }
          const traded = await exclusive(async () => {
            // The node gets control only between bars: a check due during this bar runs before it.
            if (busy) await reconcileAt(bar.openTime);
            else if (due !== null && due <= bar.closeTime)
              await reconcileAt(Math.min(due, bar.openTime));
            if (cfg.pace) await cfg.pace(bar);
            if (processed % (cfg.riskRefreshBars ?? 20) === 0) await refreshRisk();
            // The data engine publishes the bar: the strategy hears it (or only warms, paused).
            marketNow = Math.max(marketNow, bar.closeTime);
            // A replayed bar: the fills its match made in the first run are heard again first.
            const replaying = !busy && core.replaying;
            const played = await shownInOne(async () => {
              if (replaying) {
                core.advanceTo(bar.openTime);
                const shown = replayed.atBar();
                if (shown instanceof Promise) await shown;
              }
              core.onBar(bar);
              if (calls.length > 0) await answered();
              if (busy || failure) return false;
              const ended = replayed.end(clock.now());
              if (ended) await ended;
              return true;
            }, replaying);
            if (!played) return false;
            if (calls.length > 0) await answered();
            await core.settle();
            await handOver();
            if (bar.closeTime - lastReconcile >= reconcileIntervalMs)
              await reconcileAt(bar.closeTime);
            else if (core.unresolved()) due ??= bar.closeTime + inflightCheckMs;
            checkInflight();
            await handOver();
            if (failure) return false;
            await saveSnapshot(bar.closeTime);
            return true;
          });
          if (failure) break;
          if (!traded) continue;
          processed++;
        }
        if (failure) break;
      }
    } catch (e) {
      // Our own bug or the store failing: stop in order all the same, then say so.
      failureError ??= e;
      failure ??= {
        code: (e as { code?: string }).code ?? 'NODE_FAILED',
        message: (e as Error).message,
      };
      if (e instanceof InvariantError) alert(e.code, `${e.message}; the node stops`);
    }
    // The stop, in order: the strategy gets no more calls (above); what is in flight is sent and
    // stored; resting orders are cancelled (unless left, or the node failed: then nothing more is
    // sent); one more reconciliation; then the venue's streams close and their last reports are
    // stored. The caller closes the store after this returns.
    const onStop = cfg.onStop ?? 'leave';
    stopping = true;
    clock.cancelTimer('reconcile');
    clock.cancelTimer('inflight');
    await turn;
    const finish = async () => {
      // A replayed bar not over yet is left to the next start, as it is.
      replayed.stop();
      await core.settle();
      if (onStop === 'cancel' && !failure) {
        core.risk.killSwitch(clock.now(), 'node-stop');
        await core.settle();
      }
      // Cancels of orders whose outcome was unknown go out once reconciliation knows them.
      for (let round = 0; round < 3; round++) {
        if (!(await reconcileAt(Math.max(due ?? 0, clock.now())))) break;
        const pending = exec.openOrders().some((o) => o.status === 'PENDING_CANCEL');
        if (!(onStop === 'cancel' && !failure && pending)) break;
        await core.settle();
      }
      await cfg.closeVenue?.();
      await core.settle();
    };
    try {
      await finish();
    } catch (e) {
      if (failure === null) throw e;
      cfg.onLog?.(`stop after failure: ${(e as Error).message}`);
    }
    if (failure !== null && !cfg.returnFailures) throw failureError;
    return {
      recovery,
      reconciliations,
      drift,
      resumedFrom: snapshot?.ts ?? null,
      barsProcessed: processed,
      position: ledger.position(inst.id).quantity,
      cash: ledger.cash(inst.quote),
      failure,
      onStop,
      openOrders: exec.openOrders().length,
      pausedBars,
      lastReconcileDeferred: busy,
    };
  }

  /** Builds the core and recovers; a busy venue is waited out while `waitForVenue` says so. */
  async #open(
    snapshotTs: number | null,
    replays: boolean,
    /** The client order ids the strategy had used at its snapshot (0 without one). */
    snapshotOrders: number,
    /** The order events stored at the snapshot (`StrategySnapshot.eventsThrough`). */
    eventsThrough: number | undefined,
  ): Promise<
    Awaited<ReturnType<typeof TradingCore.open>> & {
      /**
       * Where the stored order events ended before the core that opened wrote any (this node is
       * its account's one writer): the place of what its strategy heard until it writes one.
       */
      readonly storedAtStart: number | undefined;
    }
  > {
    const cfg = this.config;
    for (;;) {
      // Read again before each attempt: one given up on (a busy venue) may have written some.
      const storedAtStart = await cfg.snapshots.eventsStored?.();
      try {
        const opened = await TradingCore.open(
          {
            accountId: cfg.accountId,
            instruments: [cfg.instrument],
            cash: { [cfg.instrument.quote]: toDecimal(cfg.cash) },
            orders: cfg.orders,
            venue: cfg.venue,
            onAlert: cfg.onAlert,
            failpoint: cfg.failpoint,
            ...(snapshotTs !== null ? { startAt: snapshotTs } : {}),
            ...(cfg.clock ? { clock: cfg.clock } : {}),
            ...(cfg.closedOrderRetentionMs !== undefined
              ? { closedOrderRetentionMs: cfg.closedOrderRetentionMs }
              : {}),
          },
          // Orders made after the snapshot were made by the bar it was in when it stopped
          // (before any snapshot: by the first bar).
          snapshotTs ?? Number.MIN_SAFE_INTEGER,
          {
            strategyId: cfg.strategyId,
            replays,
            ownsTime: cfg.ownsTime ?? false,
            ordersMade: snapshotOrders,
            ...(eventsThrough !== undefined ? { eventsThrough } : {}),
          },
        );
        return { ...opened, storedAtStart };
      } catch (e) {
        if (!isVenueBusy(e) || !(await cfg.waitForVenue?.(e))) throw e;
      }
    }
  }
}
