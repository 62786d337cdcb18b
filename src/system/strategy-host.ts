import { randomBytes } from 'node:crypto';
import { AuditRepository } from '../store/audit-repository.js';
import type { Store } from '../store/open-store.js';
import {
  StrategyDeploymentRepository,
  type Deployment,
  type LambdaBinding,
  type StrategyRuntime,
} from '../store/strategy-deployment-repository.js';
import { HeldBus } from '../trading/bus/held-bus.js';
import { Endpoints } from '../trading/bus/topics.js';
import { toDecimal, type Decimal } from '../trading/core/decimal.js';
import { ClientOrderIds } from '../trading/core/client-order-id.js';
import { InvariantError, KairosError } from '../trading/core/errors.js';
import { noopLogger, type Logger } from '../trading/core/logger.js';
import type { Bar } from '../trading/data/market-data.js';
import type { StoredOrderEvent } from '../trading/execution/order-store.js';
import type { JournalMark } from '../trading/live/order-journal.js';
import type { StrategySnapshotStore } from '../trading/live/strategy-snapshot-store.js';
import type { TradingCore } from '../trading/live/trading-core.js';
import type { Alert } from '../trading/model/alert.js';
import { instrumentToJson, type Instrument } from '../trading/model/instrument.js';
import { applyOrderEvent } from '../trading/model/apply-order-event.js';
import { orderEventToJson } from '../trading/model/order-json.js';
import { isOpen } from '../trading/model/order-state-machine.js';
import type { Order } from '../trading/model/order.js';
import { describeDecision, sameDecision } from '../trading/model/same-decision.js';
import type { TradingState } from '../trading/risk/trading-state.js';
import type { StrategyDefinition } from '../trading/strategy/define-strategy.js';
import { resolveParams } from '../trading/strategy/params.js';
import type { JsonObject } from '../trading/strategy/strategy-context.js';
import { InProcessSeam } from '../trading/strategy/in-process-seam.js';
import { tradeInputs } from '../trading/strategy/trade-inputs.js';
import type { Awaitable, SeamHost, StrategySeam } from '../trading/strategy/strategy-seam.js';
import type { FileCatalog } from './file-catalog.js';
import { bundleStrategy, importStrategy, writeBundle } from './load-strategy.js';
import { resumePlan, type ResumePlan } from './resume-plan.js';
import {
  StrategyThread,
  ThreadSeam,
  type StrategyThreadData,
  type StrategyThreadLimits,
} from './strategy-thread.js';
import type { ChangeActor } from './user-accounts.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStrategy = StrategyDefinition<any, any, any>;

/** What a strategy host is built from. */
export interface StrategyHostConfig {
  readonly db: Store['db'];
  /** The core of the default account (`desk`), with `snapshots` (absent: `account` gives it). */
  readonly core?: TradingCore;
  /** The instrument the server's feed trades (the one strategies run on). */
  readonly instrument: Instrument;
  readonly catalog: FileCatalog;
  readonly snapshots?: StrategySnapshotStore;
  /**
   * The core and snapshot store of another account an instance may run on (`kairos serve`: one
   * core per account); undefined when the account has none. Without it, every instance runs on
   * `core`.
   */
  readonly account?: (
    accountId: string,
  ) => { readonly core: TradingCore; readonly snapshots: StrategySnapshotStore } | undefined;
  /**
   * The instruments an instance on an account may trade (an account on a venue: the venue's); it
   * trades the one its start named, else the first. Empty or absent: `instrument`, the server's
   * replayed one.
   */
  readonly instrumentsOf?: (accountId: string) => readonly Instrument[];
  /**
   * Makes an instrument tradable on an account and holds its bars for an instance (`holder`, its
   * id) while it runs (an account on a venue: any market it lists, taken on demand;
   * `UNKNOWN_INSTRUMENT` naming it otherwise). Absent: `instrumentsOf` are all there are.
   */
  readonly useInstrument?: (
    accountId: string,
    instrumentId: string,
    holder: string,
  ) => Promise<Instrument>;
  /** Lets go of what an instance held (`useInstrument`) once it stops. */
  readonly releaseInstrument?: (accountId: string, holder: string) => void;
  /** Where strategy bundles are written. */
  readonly buildDir: string;
  readonly now: () => number;
  /** Where strategy messages and failures are logged (component `strategy-host`). */
  readonly logger?: Logger;
  /**
   * How a started strategy is reached: in this process (the default, an `InProcessSeam`) or
   * behind a `RemoteSeam` (a worker, a Lambda function). The host only talks to the seam.
   */
  readonly seam?: (
    definition: AnyStrategy,
    params: Readonly<Record<string, unknown>>,
    host: SeamHost,
  ) => StrategySeam;
  /** How an instance started with runtime `lambda` is reached (none: such a start is refused). */
  readonly lambda?: LambdaRuntime;
  /**
   * Each instance not on Lambda runs on its own worker thread with these limits
   * (`KAIROS_STRATEGY_THREADS=1`): a strategy that never returns or eats memory fails alone (`STRATEGY_TIMEOUT`,
   * `STRATEGY_THREAD_EXITED`) and the server's event loop goes on. Absent: in this process
   * (`seam`).
   */
  readonly threads?: StrategyThreadLimits;
  /**
   * The newest `limit` closed bars of an instrument on a venue-fed account (its venue's REST,
   * `ServerVenues.recentBars`), oldest first; null for an account the replay feeds (its old bars
   * come again). An instance resumed there warms on them before it hears a bar.
   */
  readonly venueBars?: (
    accountId: string,
    instrumentId: string,
    limit: number,
  ) => Promise<readonly Bar[]> | null;
  /**
   * Most bars a resumed instance on a venue warms on (default: its history capacity, the
   * definition's `history`, else 500; at most 999, one venue request).
   */
  readonly warmBars?: number;
  /** How long a resumed instance waits for its venue's bars, else resumes cold (default 10 s). */
  readonly warmWaitMs?: number;
  /**
   * Where an instance resumed cold is told (`STRATEGY_NOT_WARMED`), and a replayed bar that
   * decided otherwise (`REPLAY_MISMATCH`).
   */
  readonly onAlert?: (alert: Alert) => void;
}

/** The most bars one venue request answers (Binance: 1000, one of them the forming bar). */
const MAX_WARM_BARS = 999;
const DEFAULT_WARM_WAIT_MS = 10_000;

/** Strategies as Lambda functions, for the host (`LambdaStrategies` in `lambda-strategy.ts`). */
export interface LambdaRuntime {
  /**
   * Checks `spec` (`name[:alias|version]`; `field` names it in errors) exists and is a deploy
   * of the strategy named `strategy` (its definition's name); answers the binding, with the
   * version it names now.
   */
  bind(spec: string, field: string, strategy: string): Promise<LambdaBinding>;
  /** The seam of an instance bound to a function. */
  seam(
    binding: LambdaBinding,
    params: Readonly<Record<string, unknown>>,
    host: SeamHost,
  ): Awaitable<StrategySeam>;
}

/** What a start asks for. */
export interface StartRequest {
  readonly name: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /** `in-process` (default) or `lambda`. */
  readonly runtime?: StrategyRuntime;
  /** With `lambda`: `name[:alias|version]` (default: the strategy's name, alias `live`). */
  readonly function?: string;
  /** The account it trades on (checked by the caller; default `desk`). */
  readonly accountId?: string;
  /** The instrument it trades, one of its account's (default: the account's first). */
  readonly instrumentId?: string;
}

/** A catalog strategy loaded here: its definition, its bundle's module and hash, and its file. */
interface Loaded {
  readonly def: AnyStrategy;
  readonly module: string;
  readonly sha256: string;
  readonly file: string;
}

const inProcess = (
  definition: AnyStrategy,
  params: Readonly<Record<string, unknown>>,
  host: SeamHost,
): StrategySeam => new InProcessSeam(definition, params as never, host);

/** A deployment with what the running core knows of it. */
export interface InstanceView extends Deployment {
  /** The instrument it trades (its bars are the ones it hears). */
  readonly instrumentId: string;
  /** Orders of this instance its core took since the server started (made, or restored). */
  readonly orders: number;
  readonly openOrders: readonly Order[];
  /** Net quantity its fills bought (+) or sold (-), since the server started. */
  readonly position: Decimal;
  /** The state after the last bar (plain JSON), null before the first. */
  readonly state: JsonObject | null;
  /** Close time of the last bar it handled. */
  readonly lastBarAt: number | null;
  /** The trading state the risk gate applies to its orders (HALTED after failed Lambda steps). */
  readonly tradingState: TradingState;
}

interface Instance {
  deployment: Deployment;
  /** The core of its account, and where its snapshots go. */
  readonly core: TradingCore;
  readonly snapshots: StrategySnapshotStore;
  readonly seam: StrategySeam;
  readonly name: string;
  /** What it trades: only this instrument's bars of its account's market reach it. */
  readonly instrument: Instrument;
  /** Set once it is stopped or failed: its handlers run no more. */
  halted: boolean;
  state: JsonObject | null;
  lastBarAt: number | null;
  /** Close time of the last bar its indicators took since it was launched (heard or warmed). */
  fedTo: number | null;
  /** Resumed on a venue: its warm on the venue's bars, until done (no bar is heard before). */
  warming: Promise<void> | null;
  /**
   * The place among the stored order events (`StoredOrderEvent.seq`) through which it has heard
   * its orders' events while its core has written none since it was launched (undefined: not
   * known, a snapshot saved before snapshots kept it).
   */
  heardThrough: number | undefined;
  /**
   * Resumed on a replay: the stored events of the orders it made after its snapshot, told once
   * the replayed bar has made them again (`#launch`).
   */
  afterBar: StoredOrderEvent[];
  /**
   * Their orders, hidden from it until then (`hidden`), and older orders the bar cancelled, shown
   * as they were before (`asWas`): both empty but on a replayed bar (`#launch`).
   */
  readonly hidden: Set<string>;
  readonly asWas: Map<string, Order>;
  /**
   * Resumed on a venue's feed after orders made past its snapshot: the time they were made. A bar
   * closed by then was decided already (the bar it was killed in): warmed, never heard again.
   */
  decidedAt: number | null;
}

/**
 * Strategies of the catalog running on the server's trading core, next to the traders' desk:
 * each with its own strategy id (its orders, its risk scope, its snapshots), through the same
 * risk gate and OMS. Starting and stopping are stored with their audit rows in one transaction
 * before they take effect. Stop calls `onStop`, saves the state and cancels the instance's
 * open orders. A handler that throws fails the instance (stored, audited, open orders
 * canceled); it never stops the feed or another instance. At start-up, deployments stored as
 * running resume from their last snapshot.
 *
 * @example
 * const host = new StrategyHost({ db, core, instrument, catalog, snapshots, buildDir, now: Date.now });
 * const view = await host.start(userId, { name: 'sma-cross', params: { fast: 5 } }, by);
 */
export class StrategyHost {
  readonly #live = new Map<string, Instance>();
  /** Deployments being resumed now (`resume`), each once. */
  readonly #resuming = new Map<string, Promise<void>>();
  /** Instances ending now (a stop, a failure), each once: a stop meanwhile waits for that end. */
  readonly #ending = new Map<string, Promise<void>>();
  /** Halted (the server stops): nothing resumes any more. */
  #halted = false;
  readonly #log: Logger;

  constructor(private readonly cfg: StrategyHostConfig) {
    this.#log = (cfg.logger ?? noopLogger).child({ component: 'strategy-host' });
  }

  /** The strategy files it may start. */
  get catalog(): FileCatalog {
    return this.cfg.catalog;
  }

  /** Starts a catalog strategy for `ownerUserId` (params checked against its rules first). */
  async start(ownerUserId: string, req: StartRequest, by: ChangeActor): Promise<InstanceView> {
    if (req.function !== undefined && req.runtime !== 'lambda')
      throw new KairosError('USAGE', 'function: only with the runtime lambda');
    const loaded = await this.#load(req.name);
    const { def, sha256 } = loaded;
    const params = resolveParams(def.params, req.params ?? {});
    // The server feeds its strategies bars: one that hears trades would decide otherwise than in
    // its backtest, so it is refused, naming what hears them.
    const trades = tradeInputs(def, params);
    if (trades.length > 0)
      throw new KairosError(
        'STRATEGY_NEEDS_TRADES',
        `strategy "${req.name}" hears public trades (${trades.join(', ')}); kairos serve feeds its strategies bars only: run it with kairos paper or kairos live, or on bars`,
      );
    // A Lambda instance's function is checked before anything is stored.
    const lambda =
      req.runtime === 'lambda' ? await this.#bind(this.#functionOf(req), def.name) : null;
    const accountId = req.accountId ?? DEFAULT_ACCOUNT;
    if (!this.#account(accountId))
      throw new KairosError('ACCOUNT_NOT_FOUND', `accountId: account ${accountId} not found`);
    const instrumentId = req.instrumentId ?? null;
    // Short, so client order ids (`<id>-<n>`, at most 36 characters) keep it whole.
    const id = `${req.name.slice(0, 10).replace(/[^A-Za-z0-9-]/g, '-')}-${randomBytes(5).toString('hex')}`;
    // An instrument its account cannot trade is refused before anything is stored.
    const instrument = await this.#use(accountId, instrumentId, id);
    const unheld = (e: unknown): never => {
      // Not started: what it held is let go.
      if (!this.#live.has(id)) this.cfg.releaseInstrument?.(accountId, id);
      throw e;
    };
    const startedAt = this.cfg.now();
    const deployment = await this.cfg.db
      .transaction()
      .execute(async (tx) => {
        const d = await new StrategyDeploymentRepository(tx).create({
          id,
          ownerUserId,
          name: req.name,
          codeSha256: sha256,
          params,
          startedAt,
          lambda,
          accountId,
          instrumentId,
        });
        await new AuditRepository(tx).append(
          {
            ts: startedAt,
            actor: by.actor,
            role: by.role,
            action: 'strategy.started',
            subject: id,
            payload: {
              name: req.name,
              codeSha256: sha256,
              params,
              accountId,
              instrumentId: instrument.id,
              ...(lambda ? { runtime: 'lambda', lambda: { ...lambda } } : {}),
            },
          },
          tx,
        );
        return d;
      })
      .catch(unheld);
    // Not launched (its thread did not load, its function did not answer): stored as failed.
    await this.#launch(deployment, loaded, null).catch(async (e: unknown) => {
      const message = `not started: ${(e as Error).message}`;
      await this.#endStored(id, 'failed', message, SYSTEM, {}).catch(() => undefined);
      return unheld(e);
    });
    this.#log.info('strategy started', {
      strategyId: id,
      name: req.name,
      runtime: deployment.runtime,
      ...(lambda
        ? { function: `${lambda.function}:${lambda.qualifier}`, version: lambda.version }
        : {}),
      userId: ownerUserId,
      actor: by.actor,
    });
    return this.#view(deployment);
  }

  /** The catalog strategy `name`, bundled, written to `buildDir` and imported. */
  async #load(name: string): Promise<Loaded> {
    const file = await this.cfg.catalog.resolve(name);
    const bundle = await bundleStrategy(file);
    const module = await writeBundle(bundle, this.cfg.buildDir);
    return {
      def: await importStrategy(module, undefined, file),
      module,
      sha256: bundle.sha256,
      file,
    };
  }

  async #bind(spec: string, strategy: string): Promise<LambdaBinding> {
    if (!this.cfg.lambda)
      throw new KairosError('LAMBDA_REQUEST', 'this server runs no strategy as a Lambda function');
    return this.cfg.lambda.bind(spec, 'body.function', strategy);
  }

  /** The function a Lambda start names, else the catalog name when that is a function name. */
  #functionOf(req: StartRequest): string {
    if (req.function !== undefined) return req.function;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(req.name))
      throw new KairosError(
        'VALIDATION',
        `body.function: required, since the strategy name ${JSON.stringify(req.name)} is not a Lambda function name (1-64 letters, digits, - or _)`,
      );
    return req.name;
  }

  /** Stops an instance of `ownerUserId`; null when the owner has no such instance. */
  async stop(ownerUserId: string, id: string, by: ChangeActor): Promise<InstanceView | null> {
    const found = await this.#find(ownerUserId, id);
    if (!found) return null;
    // Failing or stopping already: answered as that end left it (never a 409 for the race).
    const ending = this.#ending.get(id);
    if (ending) {
      await ending.catch(() => undefined);
      return this.#view((await this.#find(ownerUserId, id)) ?? found);
    }
    const inst = this.#live.get(id);
    if (!inst || found.status !== 'running') return this.#view(found);
    const open = inst.core.exec.openOrders(id).length;
    await this.#once(id, this.#end(inst, 'stopped', null, by, { canceledOrders: open }));
    this.#log.info('strategy stopped', { strategyId: id, actor: by.actor, canceledOrders: open });
    return this.#view(inst.deployment);
  }

  /** The deployments of `ownerUserId`, oldest first. */
  async list(ownerUserId: string): Promise<InstanceView[]> {
    const all = await new StrategyDeploymentRepository(this.cfg.db).list(ownerUserId);
    return all.map((d) => this.#view(this.#live.get(d.id)?.deployment ?? d));
  }

  /** Whether an instance runs on the account. */
  runsOn(accountId: string): boolean {
    return [...this.#live.values()].some((i) => i.deployment.accountId === accountId);
  }

  /** The strategy ids of every instance `ownerUserId` started. */
  async ownedIds(ownerUserId: string): Promise<string[]> {
    return (await new StrategyDeploymentRepository(this.cfg.db).list(ownerUserId)).map((d) => d.id);
  }

  /** One deployment of `ownerUserId`; null when the owner has none with this id. */
  async state(ownerUserId: string, id: string): Promise<InstanceView | null> {
    const d = await this.#find(ownerUserId, id);
    return d && this.#view(d);
  }

  /**
   * Plays a bar to every running instance on the bar's instrument whose account `feeds` says this
   * market drives (the replay: paper accounts; a venue's bars: the accounts on it), after their
   * cores have seen it; then saves their states.
   */
  async onBar(bar: Bar, feeds: (accountId: string) => boolean = () => true): Promise<void> {
    if (this.#live.size === 0) return;
    const ran: Instance[] = [];
    for (const inst of [...this.#live.values()]) {
      if (inst.halted || inst.instrument.id !== bar.instrumentId) continue;
      if (!feeds(inst.deployment.accountId)) continue;
      // Resumed on a venue: its indicators take the venue's bars before it hears one.
      if (inst.warming) await inst.warming;
      if (inst.halted) continue;
      // A bar it was saved after already (resumed from a later snapshot, on a replay that starts
      // again from its first bar; a bar delivered twice), or decided already (`decidedAt`): never
      // heard, nor saved, again. Its indicators and history take it once, as before the restart
      // (they are not in the snapshot).
      const decided = inst.decidedAt !== null && bar.closeTime <= inst.decidedAt;
      if (decided || (inst.lastBarAt !== null && bar.closeTime <= inst.lastBarAt)) {
        if (inst.fedTo === null || bar.closeTime > inst.fedTo) {
          inst.fedTo = bar.closeTime;
          await this.#call(inst, () => inst.seam.warm(bar));
        }
        continue;
      }
      // Warmed on the venue's bars after its snapshot (the outage): gone as decisions.
      if (inst.fedTo !== null && bar.closeTime <= inst.fedTo) continue;
      inst.fedTo = bar.closeTime;
      await this.#call(inst, () => inst.seam.onBar(bar));
      // The replayed bar made its orders again: their events, as it heard them after the bar
      // (one it did not make again shows from now on, raised as the trading node's replayed bar).
      for (const id of inst.hidden)
        this.#mismatch(inst, `${id}: made before the restart, not made again on the replayed bar`);
      for (const id of inst.asWas.keys())
        this.#mismatch(
          inst,
          `${id}: cancelled before the restart, not cancelled again on the replayed bar`,
        );
      inst.hidden.clear();
      inst.asWas.clear();
      if (inst.afterBar.length > 0) await this.#tell(inst, inst.afterBar.splice(0));
      if (!inst.halted) ran.push(inst);
    }
    for (const core of new Set(ran.map((i) => i.core))) await core.settle();
    for (const inst of ran) {
      if (inst.halted) continue;
      const heard = await this.#handOver(inst);
      const snap = inst.halted ? null : await this.#call(inst, () => inst.seam.snapshot());
      if (!snap || inst.halted) continue;
      try {
        // Their place in the store (`eventsThrough`): a restart tells it those after it.
        const place = await inst.core.journal.placeOf(heard);
        const eventsThrough = place ?? inst.heardThrough;
        await inst.snapshots.save(inst.deployment.id, inst.name, {
          ts: bar.closeTime,
          ordersMade: snap.ordersMade,
          state: snap.state,
          random: [...snap.random],
          ...(eventsThrough !== undefined && { eventsThrough }),
        });
        inst.state = snap.state;
        inst.lastBarAt = bar.closeTime;
        inst.heardThrough = eventsThrough;
      } catch (e) {
        this.#fail(inst, e);
      }
    }
  }

  /**
   * The venue's answers that came while settling reach the strategy before its state is saved.
   * In this process each reaches it as it is published: it has heard every event written before
   * the snapshot. Behind a remote seam they wait for a call: handed over now (and one that comes
   * while a call is out, with them), and what the strategy made of them settled in turn, until a
   * drain finds none. Answers the journal's mark right before that drain: it has heard every
   * event written before it, and none after (as the trading node's hand-over).
   */
  async #handOver(inst: Instance): Promise<JournalMark> {
    for (;;) {
      const mark = inst.core.journal.mark();
      let remote = false;
      const out = await this.#call(inst, () => {
        const drained = inst.seam.drain();
        remote = drained instanceof Promise;
        return drained;
      });
      if (!remote) return inst.core.journal.mark();
      if (!out || out.events === 0 || inst.halted) return mark;
      await inst.core.settle();
    }
  }

  /**
   * Resumes the deployments stored as running (a restart), each from its last snapshot; with
   * `accountId`, only those on that account (an account this instance just took over, or whose
   * core just opened). One on an account whose core is not open here (a live account whose venue
   * did not answer) stays running in the store, for the call when it opens. Answers how many
   * are stored as running (on that account).
   */
  async resume(accountId?: string): Promise<number> {
    const running = (await new StrategyDeploymentRepository(this.cfg.db).list(null)).filter(
      (d) => accountId === undefined || d.accountId === accountId,
    );
    for (const d of running) {
      if (this.#halted) break;
      if (this.#live.has(d.id)) continue;
      // Being resumed by another call (the account opened while a resume of it ran): that one.
      const under = this.#resuming.get(d.id);
      if (under) {
        await under;
        continue;
      }
      // Its account's core is not open here (a live account whose venue did not answer at the
      // start): it stays running in the store and resumes when the core opens (`resume(id)`).
      const account = this.#account(d.accountId);
      if (!account) continue;
      const resumed = (async () => {
        try {
          await this.#launch(d, await this.#load(d.name), await account.snapshots.latest(d.id));
        } catch (e) {
          const message = `not resumed: ${(e as Error).message}`;
          await this.#endStored(d.id, 'failed', message, SYSTEM, {});
        }
      })();
      this.#resuming.set(d.id, resumed);
      try {
        await resumed;
      } finally {
        this.#resuming.delete(d.id);
      }
    }
    return running.length;
  }

  /** Stops feeding every instance (they stay `running` in the store and resume at the next start). */
  halt(): void {
    this.#halted = true;
    for (const inst of this.#live.values()) {
      inst.halted = true;
      void this.#close(inst);
    }
    this.#live.clear();
  }

  /**
   * Stops feeding the instances on one account (its core closes here: another instance took it
   * or takes it next); they stay `running` in the store and resume where it opens.
   */
  haltOn(accountId: string): void {
    for (const [id, inst] of this.#live) {
      if (inst.deployment.accountId !== accountId) continue;
      inst.halted = true;
      this.#live.delete(id);
      void this.#close(inst);
    }
  }

  /**
   * The instrument an instance on `accountId` trades: `wanted` (`UNKNOWN_INSTRUMENT`, naming it
   * and the account's, when the account does not trade it), else the account's first.
   */
  #instrumentOf(accountId: string, wanted: string | null): Instrument {
    const listed = this.cfg.instrumentsOf?.(accountId) ?? [];
    const all = listed.length > 0 ? listed : [this.cfg.instrument];
    if (wanted === null) return all[0]!;
    const found = all.find((i) => i.id === wanted);
    if (!found)
      throw new KairosError(
        'UNKNOWN_INSTRUMENT',
        `instrumentId: account ${accountId} trades no instrument "${wanted}" (it trades: ${all
          .slice(0, 20)
          .map((i) => i.id)
          .join(', ')})`,
      );
    return found;
  }

  /**
   * The instrument an instance trades (`#instrumentOf`), made tradable on its account and its
   * bars held for it (`useInstrument`) when the server takes instruments on demand.
   */
  async #use(accountId: string, wanted: string | null, holder: string): Promise<Instrument> {
    const use = this.cfg.useInstrument;
    if (!use) return this.#instrumentOf(accountId, wanted);
    return use(accountId, wanted ?? this.#firstInstrument(accountId), holder);
  }

  /** The first instrument of an account (what an instance that named none trades). */
  #firstInstrument(accountId: string): string {
    return this.#instrumentOf(accountId, null).id;
  }

  /** The core and snapshots of an account; undefined when it has none here. */
  #account(accountId: string) {
    const found = this.cfg.account?.(accountId);
    if (found) return found;
    if (accountId === DEFAULT_ACCOUNT && this.cfg.core && this.cfg.snapshots)
      return { core: this.cfg.core, snapshots: this.cfg.snapshots };
    return undefined;
  }

  async #launch(
    d: Deployment,
    { def, module, file }: Loaded,
    snapshot: Awaited<ReturnType<StrategySnapshotStore['latest']>>,
  ): Promise<void> {
    const account = this.#account(d.accountId);
    if (!account) throw new KairosError('ACCOUNT_NOT_FOUND', `account ${d.accountId} not found`);
    const { core } = account;
    const instrument = await this.#use(d.accountId, d.instrumentId, d.id);
    const holder: { inst?: Instance } = {};
    // Where the journal was when the seam began to hear the bus (it subscribes as it takes its
    // services): the events written before it are told from the store (`#tellUnheard`). What it
    // hears on the bus waits (`held`) until those are told: they happened first.
    let hearsFrom: JournalMark | null = null;
    let held = null as HeldBus | null;
    // Resumed on a replay: the orders it made after its snapshot, hidden from it (`ctx.order`,
    // `ctx.openOrders`) until the replayed bar makes each again (that bar had not made them yet).
    const hidden = new Set<string>();
    // And those made before it that the bar cancelled before the kill: as they were before that
    // cancel, until the bar cancels them again.
    const asWas = new Map<string, Order>();
    const exec = core.exec;
    const host: SeamHost = {
      strategyId: d.id,
      instrument,
      services: (random) => {
        hearsFrom ??= core.journal.mark();
        const services = core.strategyServices(
          d.id,
          random,
          (sid, _ts, message) => this.#log.info(message, { strategyId: sid, source: 'strategy' }),
          {
            order: (id) => (hidden.has(id) ? undefined : (asWas.get(id) ?? exec.order(id))),
            openOrders: (sid) => {
              const open = exec.openOrders(sid);
              if (hidden.size === 0 && asWas.size === 0) return open;
              const shown = open.filter(
                (o) => !hidden.has(o.clientOrderId) && !asWas.has(o.clientOrderId),
              );
              for (const o of asWas.values())
                if (o.strategyId === sid && isOpen(o.status)) shown.push(o);
              return shown.sort(
                (a, b) =>
                  ClientOrderIds.sequenceOf(a.clientOrderId) -
                  ClientOrderIds.sequenceOf(b.clientOrderId),
              );
            },
            // Made again under its id: the stored order stands, and shows again. Another decision
            // under that id is raised (REPLAY_MISMATCH), never taken silently (invariant 13).
            remade: (o) => {
              hidden.delete(o.clientOrderId);
              const stored = exec.order(o.clientOrderId);
              if (stored && !sameDecision(stored, o) && holder.inst)
                this.#mismatch(
                  holder.inst,
                  `${o.clientOrderId}: the replayed bar made ${describeDecision(o)}, stored ${describeDecision(stored)}`,
                );
              return stored;
            },
            // Cancelled again: it shows as it is (the cancel already went out: nothing is sent).
            canceling: (id) => void asWas.delete(id),
          },
        );
        return { ...services, bus: (held ??= new HeldBus(services.bus)) };
      },
    };
    // In this process a handler's throw (an order event's too, which arrives on the bus) fails
    // the instance where it happens; behind a remote seam it rejects the call (`#call`).
    const definition = guarded(
      def,
      () => holder.inst,
      (e) => holder.inst && this.#fail(holder.inst, e),
    );
    const params = resolveParams(def.params, d.params);
    let seam: StrategySeam;
    if (d.lambda) {
      if (!this.cfg.lambda)
        throw new KairosError(
          'LAMBDA_REQUEST',
          'this server runs no strategy as a Lambda function',
        );
      seam = await this.cfg.lambda.seam(d.lambda, params, host);
    } else if (this.cfg.threads) {
      const data: StrategyThreadData = {
        module,
        strategyFile: file,
        params: d.params,
        strategyId: d.id,
        instrument: instrumentToJson(instrument),
      };
      seam = new ThreadSeam(host, await StrategyThread.open(data, this.cfg.threads));
    } else seam = (this.cfg.seam ?? inProcess)(definition, params, host);
    const inst: Instance = (holder.inst = {
      deployment: d,
      core,
      snapshots: account.snapshots,
      seam,
      name: def.name,
      instrument,
      halted: false,
      state: snapshot?.state ?? null,
      lastBarAt: snapshot?.ts ?? null,
      fedTo: null,
      warming: null,
      // A new instance has heard nothing, and nothing of it is stored.
      heardThrough: snapshot ? snapshot.eventsThrough : 0,
      afterBar: [],
      decidedAt: null,
      hidden,
      asWas,
    });
    this.#live.set(d.id, inst);
    // On a venue the bars it heard never come again: it warms on the venue's history. Not awaited
    // (a venue that does not answer blocks no start-up); its first bar waits for it (`onBar`).
    let bars: Promise<readonly Bar[]> | null = null;
    if (snapshot) {
      const limit = Math.min(MAX_WARM_BARS, this.cfg.warmBars ?? def.history ?? 500);
      try {
        bars = this.cfg.venueBars?.(d.accountId, instrument.id, limit) ?? null;
      } catch (e) {
        bars = Promise.reject(e as Error);
      }
    }
    // What it had not heard at its snapshot, and when it hears it (`resumePlan`). A store that
    // fails, or whose events do not make their order again, fails the instance alone.
    try {
      let plan: ResumePlan;
      try {
        const unheard = snapshot
          ? await this.#unheard(inst, snapshot.eventsThrough, hearsFrom)
          : [];
        plan = resumePlan(unheard, snapshot?.ordersMade ?? 0, snapshot?.ts ?? 0, !bars);
        for (const [id, order] of await this.#asWas(inst, plan.cancelledAt)) asWas.set(id, order);
      } catch (e) {
        this.#fail(inst, e);
        return;
      }
      inst.afterBar = [...plan.afterBar];
      inst.decidedAt = plan.decidedAt;
      for (const id of plan.hidden) hidden.add(id);
      await this.#call(inst, () =>
        seam.start({
          state: snapshot?.state ?? null,
          ordersMade: plan.ordersMade,
          random: snapshot?.random ?? 1,
        }),
      );
      if (!snapshot || inst.halted) return;
      await this.#tell(inst, plan.now);
    } finally {
      // What it heard on the bus meanwhile came after what it was told from the store.
      held?.release();
    }
    if (inst.halted || !bars) return;
    const warming = this.#warmOnVenue(inst, snapshot.ts, bars, account.snapshots);
    inst.warming = warming.finally(() => {
      if (inst.warming === warming) inst.warming = null;
    });
  }

  /**
   * Warms a resumed instance (indicators and history, no handler, each bar once) on its venue's
   * closed bars from the first one it heard (its first snapshot) to the newest, the ones after its
   * snapshot (the outage) too. A venue that does not answer within `warmWaitMs`, or fails: it
   * resumes cold, with a warning and an alert.
   */
  async #warmOnVenue(
    inst: Instance,
    snapshotAt: number,
    load: Promise<readonly Bar[]>,
    snapshots: StrategySnapshotStore,
  ): Promise<void> {
    const strategyId = inst.deployment.id;
    const waitMs = this.cfg.warmWaitMs ?? DEFAULT_WARM_WAIT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the venue did not answer within ${waitMs} ms`)),
        waitMs,
      );
      timer.unref?.();
    });
    load.catch(() => undefined); // an answer after the wait is dropped
    let bars: readonly Bar[];
    let first: number | null;
    try {
      [bars, first] = await Promise.race([
        Promise.all([load, snapshots.first?.(strategyId) ?? null]),
        late,
      ]);
    } catch (e) {
      const message = `strategy ${strategyId} resumed without the venue's bars (cold indicators and history): ${(e as Error).message}`;
      this.#log.warn('strategy not warmed; resumed cold', { strategyId, err: e });
      this.cfg.onAlert?.({
        kind: 'Alert',
        code: 'STRATEGY_NOT_WARMED',
        message,
        ts: this.cfg.now(),
      });
      return;
    } finally {
      clearTimeout(timer);
    }
    let warmed = 0;
    let outage = 0;
    for (const bar of bars) {
      if (inst.halted) return;
      if (bar.instrumentId !== inst.instrument.id) continue;
      if (first !== null && bar.closeTime < first) continue;
      if (inst.fedTo !== null && bar.closeTime <= inst.fedTo) continue;
      inst.fedTo = bar.closeTime;
      await this.#call(inst, () => inst.seam.warm(bar));
      warmed++;
      if (bar.closeTime > snapshotAt) outage++;
    }
    this.#log.info('strategy warmed on its venue’s bars', {
      strategyId,
      bars: warmed,
      afterSnapshot: outage,
    });
  }

  /**
   * The events of a resumed instance's orders stored after its snapshot (`eventsThrough`) and
   * before it began to hear the bus (`hearsFrom`), in the order stored: a venue's reports, and
   * what it did on them, after the state it resumes from was saved, and what recovery settled.
   * Heard before the kill too, they are told again once (`#tell`), as the run that was not killed
   * heard them once. A snapshot without its place (saved before snapshots kept it): none.
   */
  async #unheard(
    inst: Instance,
    eventsThrough: number | undefined,
    hearsFrom: JournalMark | null,
  ): Promise<StoredOrderEvent[]> {
    if (eventsThrough === undefined) return [];
    const until = hearsFrom ? await inst.core.journal.placeOf(hearsFrom) : null;
    const stored = await inst.core.eventsAfter(inst.deployment.id, eventsThrough);
    return until === null || until === undefined ? stored : stored.filter((e) => e.seq <= until);
  }

  /**
   * Orders as they were before the stored event at `cut` of each (their stored events folded up
   * to it). Events that do not make their order again (corrupt state, or our bug) are never shown
   * as something else: `STORED_EVENTS_INVALID`, as the trading node's replayed bar.
   */
  async #asWas(inst: Instance, cut: ReadonlyMap<string, number>): Promise<Map<string, Order>> {
    const out = new Map<string, Order>();
    if (cut.size === 0) return out;
    for (const { seq, event } of await inst.core.eventsOf([...cut.keys()])) {
      const id = event.clientOrderId;
      if (seq >= cut.get(id)!) continue;
      try {
        if (event.kind === 'OrderInitialized') out.set(id, event.order);
        else if (out.has(id)) out.set(id, applyOrderEvent(out.get(id)!, event));
      } catch (e) {
        throw new InvariantError(
          'STORED_EVENTS_INVALID',
          `${id}: its stored events before the replayed bar's cancel do not make the order again (${(e as Error).message})`,
        );
      }
    }
    return out;
  }

  /** Tells an instance stored events it has not heard, in order (`onOrderEvent`). */
  async #tell(inst: Instance, events: readonly StoredOrderEvent[]): Promise<void> {
    for (const { seq, event } of events) {
      if (inst.halted) return;
      await this.#call(inst, () => inst.seam.onOrderEvent(orderEventToJson(event)));
      inst.heardThrough = Math.max(inst.heardThrough ?? 0, seq);
    }
  }

  /** One call through the seam; a failure fails the instance (never the feed or another). */
  async #call<T>(inst: Instance, call: () => Awaitable<T>): Promise<T | null> {
    try {
      return await call();
    } catch (e) {
      this.#fail(inst, e);
      return null;
    }
  }

  /**
   * A replayed bar decided otherwise than the run it replays (a strategy that reads something
   * outside its context and state): the stored orders stand, and the operator is told
   * (`REPLAY_MISMATCH`, as the trading node's replayed bar).
   */
  #mismatch(inst: Instance, message: string): void {
    const strategyId = inst.deployment.id;
    this.#log.warn('replayed bar decided otherwise; the stored orders stand', {
      strategyId,
      message,
    });
    this.cfg.onAlert?.({
      kind: 'Alert',
      code: 'REPLAY_MISMATCH',
      message: `strategy ${strategyId}: ${message}`,
      ts: this.cfg.now(),
    });
  }

  /** A handler threw: the instance stops at once; the failure is stored and audited after. */
  #fail(inst: Instance, error: unknown): void {
    if (inst.halted || this.#live.get(inst.deployment.id) !== inst) return;
    inst.halted = true;
    const message = error instanceof Error ? error.message : String(error);
    const strategyId = inst.deployment.id;
    this.#log.error('strategy failed; stopped', { strategyId, err: error });
    void this.#once(strategyId, this.#end(inst, 'failed', message, SYSTEM, {})).catch((e: Error) =>
      this.#log.error('strategy failure could not be stored', { strategyId, err: e }),
    );
  }

  /** `end` of instance `id`, held in `#ending` until it settles. */
  #once(id: string, end: Promise<void>): Promise<void> {
    const held = end.finally(() => {
      if (this.#ending.get(id) === held) this.#ending.delete(id);
    });
    this.#ending.set(id, held);
    return held;
  }

  /** Stores the end with its audit row, then stops the instance and cancels its open orders. */
  async #end(
    inst: Instance,
    status: 'stopped' | 'failed',
    error: string | null,
    by: ChangeActor,
    payload: Record<string, unknown>,
  ): Promise<void> {
    const d = inst.deployment;
    const stoppedAt = await this.#endStored(d.id, status, error, by, payload);
    const wasHalted = inst.halted;
    inst.halted = true;
    this.#live.delete(d.id);
    inst.deployment = { ...d, status, error, stoppedAt };
    // `onStop` of a clean stop runs while the handlers still may (it is the strategy's last word).
    if (!wasHalted) {
      inst.halted = false;
      try {
        inst.state = (await inst.seam.stop()).state;
      } catch {
        // a state that is not JSON at the end: the last saved one stands
      }
      inst.halted = true;
    }
    const { core } = inst;
    for (const o of core.exec.openOrders(d.id)) {
      core.bus.send(Endpoints.risk, {
        kind: 'CancelOrder',
        clientOrderId: o.clientOrderId,
        strategyId: d.id,
        ts: core.clock.now(),
      });
    }
    await core.settle();
    await this.#close(inst);
    this.cfg.releaseInstrument?.(d.accountId, d.id);
  }

  /** Lets go of where an instance ran (its thread); a failure there changes nothing stored. */
  async #close(inst: Instance): Promise<void> {
    try {
      await inst.seam.close?.();
    } catch (e) {
      this.#log.warn('strategy thread not closed', { strategyId: inst.deployment.id, err: e });
    }
  }

  async #endStored(
    id: string,
    status: 'stopped' | 'failed',
    error: string | null,
    by: ChangeActor,
    payload: Record<string, unknown>,
  ): Promise<number> {
    const ts = this.cfg.now();
    await this.cfg.db.transaction().execute(async (tx) => {
      if (!(await new StrategyDeploymentRepository(tx).end(id, status, error, ts))) {
        throw new KairosError('STRATEGY_NOT_RUNNING', `strategy ${id}: not running`);
      }
      await new AuditRepository(tx).append(
        {
          ts,
          actor: by.actor,
          role: by.role,
          action: status === 'stopped' ? 'strategy.stopped' : 'strategy.failed',
          subject: id,
          payload: { ...payload, ...(error === null ? {} : { error }) },
        },
        tx,
      );
    });
    return ts;
  }

  async #find(ownerUserId: string, id: string): Promise<Deployment | null> {
    const live = this.#live.get(id)?.deployment;
    const d = live ?? (await new StrategyDeploymentRepository(this.cfg.db).find(id));
    return d && d.ownerUserId === ownerUserId ? d : null;
  }

  #view(d: Deployment): InstanceView {
    const inst = this.#live.get(d.id);
    // An instance of a closed account (or one gone) shows no orders of this run.
    const core = inst?.core ?? this.#account(d.accountId)?.core;
    // Counted as orders came: the OMS holds only the open and recently closed ones.
    const { orders, position } = core
      ? core.exec.tally(d.id)
      : { orders: 0, position: toDecimal(0) };
    return {
      ...d,
      instrumentId: inst?.instrument.id ?? d.instrumentId ?? this.#firstInstrument(d.accountId),
      orders,
      openOrders: core ? core.exec.openOrders(d.id) : [],
      position,
      state: inst?.state ?? null,
      lastBarAt: inst?.lastBarAt ?? null,
      tradingState: core ? core.risk.states.effective(d.id) : 'HALTED',
    };
  }
}

const SYSTEM: ChangeActor = { actor: 'system', role: 'system' };
/** The account an instance runs on when its start names none (the server's shared account). */
const DEFAULT_ACCOUNT = 'desk';

/** The definition with each handler guarded: none runs once halted; a throw fails the instance. */
function guarded(
  def: AnyStrategy,
  instance: () => Instance | undefined,
  fail: (error: unknown) => void,
): AnyStrategy {
  const wrap = <A extends unknown[], R>(fn: ((...args: A) => R) | undefined) =>
    fn &&
    ((...args: A): R | undefined => {
      if (instance()?.halted) return undefined;
      try {
        return fn(...args);
      } catch (e) {
        fail(e);
        return undefined;
      }
    });
  return {
    ...def,
    init: wrap(def.init),
    onBar: wrap(def.onBar),
    onTrade: wrap(def.onTrade),
    onOrderEvent: wrap(def.onOrderEvent),
    onStop: wrap(def.onStop),
  } as AnyStrategy;
}
