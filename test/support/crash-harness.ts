import path from 'node:path';
import { OrderRepository } from '../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../src/store/strategy-snapshot-repository.js';
import type { Store } from '../../src/store/open-store.js';
import type { Clock } from '../../src/trading/clock/clock.js';
import { toDecimal } from '../../src/trading/core/decimal.js';
import { isTrade, type Bar, type MarketEvent } from '../../src/trading/data/market-data.js';
import type { OrderStore } from '../../src/trading/execution/order-store.js';
import type { Alert } from '../../src/trading/model/alert.js';
import type { Instrument } from '../../src/trading/model/instrument.js';
import type { StrategySnapshotStore } from '../../src/trading/live/strategy-snapshot-store.js';
import { TradingNode, type NodeVenue } from '../../src/trading/live/trading-node.js';
import type { StrategyDefinition } from '../../src/trading/strategy/define-strategy.js';
import type { SeamHost, StrategySeam } from '../../src/trading/strategy/strategy-seam.js';
import { PaperVenue } from '../../src/trading/venues/paper/paper-venue.js';
import { tempDir } from './temp-dir.js';

/**
 * A live node's clock, without the wall: it reads `lagMs` past the latest market time it was
 * moved to (a bar's close, a trade), as a `LiveClock` does when the node handles a bar some time
 * after it closed. Its timers never fire (the node reconciles at bar ends).
 */
class LaggingClock implements Clock {
  #now: number;
  constructor(
    private readonly lagMs: number,
    /** The venue's time at start. */
    start: number,
  ) {
    this.#now = start + lagMs;
  }
  now(): number {
    return this.#now;
  }
  advanceTo(to: number): void {
    this.#now = Math.max(this.#now, to + this.lagMs);
  }
  setTimer(): void {}
  cancelTimer(): void {}
}

/** Thrown at a kill point: the "process" is gone; nothing after it reaches the store or venue. */
export class Killed extends Error {}

/**
 * Counts the durable steps of a run (each store write, snapshot save and venue call, before and
 * after it) and kills the run at step `at`: from then on every store and venue call of this
 * run throws, as if the process had been `kill -9`ed there. What was committed stays.
 */
export class Killer {
  #steps = 0;
  /** What each step was (`trace[n - 1]` is step n): the call, before or after it, and `where`. */
  readonly trace: string[] = [];
  /** Where the run is (set by its caller: the market event being handled). */
  where = '';
  #dead = false;
  #submits = 0;
  constructor(
    private readonly at: number,
    /** Kills instead right before the n-th venue submit (between commit and send). */
    private readonly beforeSubmit = Infinity,
  ) {}
  submitting(): void {
    if (!this.#dead && ++this.#submits === this.beforeSubmit) {
      this.#dead = true;
      throw new Killed('killed');
    }
  }
  get steps(): number {
    return this.#steps;
  }
  get dead(): boolean {
    return this.#dead;
  }
  step(what = ''): void {
    if (this.#dead) throw new Killed('killed');
    this.trace.push(`${this.where} ${what}`);
    if (++this.#steps === this.at) {
      this.#dead = true;
      throw new Killed('killed');
    }
  }
  /** A call that is durable once it returns: a kill point before it and after it. */
  async around<T>(call: () => Promise<T>, what = ''): Promise<T> {
    this.step(`before ${what}`);
    const r = await call();
    this.step(`after ${what}`);
    return r;
  }
  aroundSync<T>(call: () => T, what = ''): T {
    this.step(`before ${what}`);
    const r = call();
    this.step(`after ${what}`);
    return r;
  }
}

function killableOrders(repo: OrderRepository, k: Killer): OrderStore {
  return {
    insertOrder: (o, e) => k.around(() => repo.insertOrder(o, e), `commit ${e.kind}`),
    recordEvent: (o, e) => k.around(() => repo.recordEvent(o, e), `commit ${e.kind}`),
    commitBatch: (items, durability) =>
      k.around(
        () => repo.commitBatch(items, durability),
        `commit ${items.map((i) => i.event.kind).join(',')}`,
      ),
    flush: () => k.around(() => repo.flush()),
    order: (id) => k.around(() => repo.order(id)),
    orderByVenueId: (id) => k.around(() => repo.orderByVenueId(id)),
    orders: (ids) => k.around(() => repo.orders(ids)),
    restorable: (q) => k.around(() => repo.restorable(q)),
    fills: (since) => k.around(() => repo.fills(since)),
    fillsOf: (ids) => k.around(() => repo.fillsOf(ids)),
    ledgerStart: (whole) => k.around(() => repo.ledgerStart(whole)),
    saveLedgerCheckpoint: (cp) => k.around(() => repo.saveLedgerCheckpoint(cp)),
    storedFills: (keys) => k.around(() => repo.storedFills(keys)),
    events: (id) => k.around(() => repo.events(id)),
    eventsOf: (ids) => k.around(() => repo.eventsOf(ids)),
    eventsAfter: (sid, seq) => k.around(() => repo.eventsAfter(sid, seq)),
  };
}

function killableVenue(v: PaperVenue, k: Killer): NodeVenue {
  return {
    submit: (o, ts) => {
      k.submitting();
      k.aroundSync(() => v.submit(o, ts), 'send');
    },
    cancel: (id, ts) => k.aroundSync(() => v.cancel(id, ts), 'cancel'),
    onBar: (bar) => k.aroundSync(() => v.onBar(bar), 'venue bar'),
    orderByClientId: (id) => k.around(() => v.orderByClientId(id)),
    openOrders: () => k.around(() => v.openOrders()),
    tradesSince: (ts) => k.around(() => v.tradesSince(ts)),
  };
}

/** One paper account on a store: runs of a strategy over bars, each may be killed. */
export interface CrashRig {
  readonly venueFile: string;
  /** Runs the node over `bars`; `killAt` kills it at that step. True when it finished. */
  run(
    killAt?: number,
    beforeSubmit?: number,
  ): Promise<{
    finished: boolean;
    steps: number;
    alerts: Alert[];
    state: unknown;
    /** What each step was (`Killer.trace`): the call, and the market event being handled. */
    trace: readonly string[];
  }>;
  /** What the account ended with, as plain comparable values. */
  outcome(): Promise<Outcome>;
}

export interface Outcome {
  readonly orders: readonly string[];
  readonly fills: readonly string[];
  readonly cash: string;
  readonly position: string;
  readonly equity: string;
}

export function crashRig(opts: {
  readonly store: Store;
  readonly account: string;
  readonly instrument: Instrument;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly strategy: StrategyDefinition<any, any, any>;
  readonly params: Readonly<Record<string, unknown>>;
  readonly cash: string;
  readonly bars: readonly Bar[];
  /**
   * The feed instead of `bars`: trades with the bars they make (each bar after its trades). Each
   * event is handed over alone, so every step's trace names the event it happened in.
   */
  readonly events?: readonly MarketEvent[];
  /** A replay (default) or a live feed (`TradingNodeConfig.ownsTime`). */
  readonly ownsTime?: boolean;
  /**
   * A live feed on a real-like clock (`ownsTime` false): the node's clock reads `lagMs` past the
   * latest bar close or trade it was handed (it decides on a bar after the bar closed, so its
   * orders carry times inside the next bar); the first `warmBars` bars are history at the first
   * start. The market waits while the node is down: a restart's venue has closed no bar after
   * the last one handed to the node that died (`latestClosedBar`, `warmUntil`).
   */
  readonly live?: { readonly lagMs: number; readonly warmBars: number };
  /**
   * Hosts the strategy behind this seam (a `LambdaSeam` on the local Lambda endpoint) instead of
   * in-process: each run (each restart) builds a new one, as a restarted process would.
   */
  readonly strategySeam?: (host: SeamHost) => StrategySeam;
}): CrashRig {
  const dir = tempDir('kairos-crash-rig-');
  const venueFile = path.join(dir, 'venue.json');
  const repo = new OrderRepository(opts.store.db, opts.account);
  const snaps = new StrategySnapshotRepository(opts.store.db, opts.account);
  let last: { cash: string; position: string } | null = null;
  // Client order ids are global: each account's run has its own strategy id (compared without it).
  const strategyId = `${opts.strategy.name}-${opts.account}`;
  const local = (id: string) => id.replace(`${strategyId}-`, '#');
  const live = opts.live;
  const closes = opts.bars.map((b) => b.closeTime);
  /** Live: the close of the latest bar the venue has closed (the last one handed to a node). */
  let reached = live ? closes[live.warmBars - 1]! : -Infinity;
  return {
    venueFile,
    async run(killAt = Infinity, beforeSubmit = Infinity) {
      const k = new Killer(killAt, beforeSubmit);
      const alerts: Alert[] = [];
      const snapshots: StrategySnapshotStore = {
        latest: (id) => k.around(() => snaps.latest(id), 'read snapshot'),
        save: (id, name, s) => k.around(() => snaps.save(id, name, s), 'save snapshot'),
        eventsStored: () => k.around(() => snaps.eventsStored(), 'read stored events'),
      };
      let venue: PaperVenue | null = null;
      const node = new TradingNode({
        instrument: opts.instrument,
        strategy: opts.strategy,
        params: opts.params,
        strategyId,
        accountId: opts.account,
        cash: opts.cash,
        orders: killableOrders(repo, k),
        snapshots,
        venue: (deliver) =>
          killableVenue(
            (venue = new PaperVenue(
              venueFile,
              { venue: 'PAPER', instruments: [opts.instrument] },
              deliver,
            )),
            k,
          ),
        onAlert: (a) => alerts.push(a),
        ...(opts.strategySeam ? { strategySeam: opts.strategySeam } : {}),
        ownsTime: live ? false : (opts.ownsTime ?? true),
        ...(live
          ? {
              clock: new LaggingClock(live.lagMs, reached),
              warmUntil: reached,
              latestClosedBar: {
                closeTime: reached,
                previousCloseTime:
                  closes.filter((c) => c < reached).at(-1) ?? Number.MIN_SAFE_INTEGER,
              },
            }
          : {}),
      });
      const events = opts.events;
      const died = () => ({ finished: false, steps: k.steps, alerts, state: null, trace: k.trace });
      try {
        const r = await node.run(
          (async function* () {
            if (!events && !live) yield opts.bars;
            else
              for (const e of events ?? opts.bars) {
                k.where = isTrade(e) ? `trade ${e.tradeId}` : `bar ${e.closeTime}`;
                if (!isTrade(e)) reached = Math.max(reached, e.closeTime);
                yield [e];
              }
            k.where = 'end';
          })(),
        );
        if (k.dead) return died();
        last = { cash: r.cash.toFixed(), position: r.position.toFixed() };
        const state = (await snaps.latest(strategyId))?.state ?? null;
        return { finished: true, steps: k.steps, alerts, state, trace: k.trace };
      } catch (e) {
        if (k.dead) return died();
        throw e;
      } finally {
        (venue as PaperVenue | null)?.close();
      }
    },
    async outcome() {
      const orders = await opts.store.db
        .selectFrom('orders')
        .selectAll()
        .where('account_id', '=', opts.account)
        .orderBy('client_order_id')
        .execute();
      const fills = await repo.fills();
      const close = opts.bars.at(-1)!.close;
      const cash = toDecimal(last!.cash);
      const position = toDecimal(last!.position);
      return {
        orders: orders.map((o) =>
          [
            local(o.client_order_id),
            o.side,
            o.type,
            toDecimal(o.quantity).toFixed(),
            o.price === null ? '-' : toDecimal(o.price).toFixed(),
            o.status,
            toDecimal(o.filled_quantity).toFixed(),
            toDecimal(o.filled_notional).toFixed(),
          ].join(' '),
        ),
        fills: fills.map((f) =>
          [
            f.tradeId,
            local(f.clientOrderId),
            f.side,
            f.price.toFixed(),
            f.quantity.toFixed(),
            f.fee.amount.toFixed(),
            f.ts,
          ].join(' '),
        ),
        cash: cash.toFixed(),
        position: position.toFixed(),
        equity: cash.plus(position.times(close)).toFixed(),
      };
    },
  };
}
