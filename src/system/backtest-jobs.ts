import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { ObjectStore } from '../cloud/object-store.js';
import { AuditRepository } from '../store/audit-repository.js';
import { BacktestRepository, type BacktestJob } from '../store/backtest-repository.js';
import type { Store } from '../store/open-store.js';
import { toDecimal } from '../trading/core/decimal.js';
import { KairosError } from '../trading/core/errors.js';
import { noopLogger, type Logger } from '../trading/core/logger.js';
import type { Instrument } from '../trading/model/instrument.js';
import type { StrategyDefinition } from '../trading/strategy/define-strategy.js';
import { resolveParams } from '../trading/strategy/params.js';
import type { FileCatalog } from './file-catalog.js';
import {
  BACKTEST_LIMITS,
  backtestOnThread,
  type BacktestOnThread,
  type BacktestThreadLimits,
} from './backtest-thread.js';
import { bundleStrategy, loadStrategy, writeBundle } from './load-strategy.js';
import type { BacktestSettings } from './run-backtest.js';
import type { ChangeActor } from './user-accounts.js';

/** A backtest as a user asks for it (the API body): the `kairos backtest` flags, as fields. */
export interface BacktestRequest {
  /** A strategy of the catalog. */
  readonly strategy: string;
  /** A data file of the catalog; absent: the file the server replays as its feed. */
  readonly data?: string;
  readonly params?: Readonly<Record<string, string | number | boolean>>;
  readonly cash?: string;
  readonly symbol?: string;
  readonly quote?: string;
  readonly tick?: string;
  readonly lot?: string;
  readonly minQty?: string;
  readonly minNotional?: string;
  readonly commission?: string;
  readonly makerFee?: string;
  readonly takerFee?: string;
  readonly slippageBps?: number;
  readonly latencyMs?: number;
  readonly seed?: number;
  readonly from?: number;
  readonly to?: number;
  readonly intervalMs?: number;
  readonly barIntervalMs?: number;
  readonly allowShort?: boolean;
}

/** What backtest jobs are built from. */
export interface BacktestJobsConfig {
  readonly db: Store['db'];
  readonly strategies: FileCatalog;
  readonly data: FileCatalog;
  /** The server's own feed: its file and instrument (the default data). */
  readonly feed: { readonly file: string; readonly instrument: Instrument };
  /** Where strategy bundles are written. */
  readonly buildDir: string;
  /** Jobs waiting beyond the running one; more are refused with `BACKTEST_QUEUE_FULL`. */
  readonly maxQueued: number;
  /** The window a backtest's strategy reads closed orders in (`ctx.order`; default 10 minutes). */
  readonly closedOrderRetentionMs?: number;
  readonly now: () => number;
  /** Where job failures are logged (component `backtests`). */
  readonly logger?: Logger;
  /**
   * Where each finished report is also written, as `backtests/<id>/report.json` (the bucket of
   * `S3_BUCKET`); absent: the database only.
   */
  readonly reports?: ObjectStore;
  /**
   * Each job runs on its own worker thread (the server's event loop never waits for it), ended
   * past these limits (default: 30 minutes, 2048 MB; `KAIROS_BACKTEST_TIMEOUT_MS`,
   * `KAIROS_BACKTEST_MEMORY_MB`).
   */
  readonly limits?: BacktestThreadLimits;
}

/** The defaults of `kairos backtest`. */
const DEFAULTS = { cash: '100000', lot: '1', commission: '0.001', seed: 1, barIntervalMs: 60_000 };

/**
 * Backtests as background jobs: `submit` checks the request (catalog names, params against the
 * strategy's declared rules, decimals) and stores the job as `queued` with its audit row, in one
 * transaction; one job runs at a time, in order, through the same `runBacktest` as
 * `kairos backtest`, so its report is the CLI's to the byte. A job that throws ends `failed`
 * with the error. At most `maxQueued` wait. Jobs a stopped server left unfinished run again at
 * start (`resume`): a backtest is deterministic, so rerunning it gives the same report.
 *
 * @example
 * const jobs = new BacktestJobs({ db, strategies, data, feed, buildDir, maxQueued: 20, now: Date.now });
 * const job = await jobs.submit(userId, { strategy: 'sma-cross', params: { fast: 5 } }, by);
 */
export class BacktestJobs {
  readonly #queue: { id: string; request: BacktestRequest }[] = [];
  readonly #repo: BacktestRepository;
  #running: Promise<void> | null = null;
  /** The job's thread while one runs. */
  #thread: BacktestOnThread | null = null;
  #closed = false;

  constructor(private readonly cfg: BacktestJobsConfig) {
    this.#repo = new BacktestRepository(cfg.db);
  }

  /** Checks and queues a backtest of `ownerUserId`. */
  async submit(
    ownerUserId: string,
    request: BacktestRequest,
    by: ChangeActor,
  ): Promise<BacktestJob> {
    if (this.#closed || this.#queue.length >= this.cfg.maxQueued) {
      throw new KairosError(
        'BACKTEST_QUEUE_FULL',
        `${this.cfg.maxQueued} backtests are already waiting; submit again when one has finished`,
      );
    }
    checkRequest(request);
    const strategy = await this.#load(request.strategy);
    resolveParams(strategy.params, request.params ?? {});
    if (request.data !== undefined) await this.cfg.data.resolve(request.data);
    const createdAt = this.cfg.now();
    const id = randomUUID();
    const job = await this.cfg.db.transaction().execute(async (tx) => {
      const j = await new BacktestRepository(tx).create({
        id,
        ownerUserId,
        strategy: request.strategy,
        request: { ...request },
        createdAt,
      });
      await new AuditRepository(tx, this.cfg.now).append(
        {
          ts: createdAt,
          actor: by.actor,
          role: by.role,
          action: 'backtest.submitted',
          subject: id,
          payload: { strategy: request.strategy, data: request.data ?? null },
        },
        tx,
      );
      return j;
    });
    this.#enqueue(id, request);
    return job;
  }

  /** Queues the jobs a stopped server left unfinished. */
  async resume(): Promise<number> {
    const jobs = await this.#repo.unfinished();
    for (const j of jobs) this.#enqueue(j.id, j.request as unknown as BacktestRequest);
    return jobs.length;
  }

  /** The data files a request may name. */
  dataCatalog(): Promise<string[]> {
    return this.cfg.data.list();
  }

  find(ownerUserId: string, id: string): Promise<BacktestJob | null> {
    return this.#repo.find(ownerUserId, id);
  }

  report(ownerUserId: string, id: string): Promise<string | null> {
    return this.#repo.report(ownerUserId, id);
  }

  page(ownerUserId: string, opts: { before?: string; limit: number }) {
    return this.#repo.page(ownerUserId, opts);
  }

  /**
   * Takes no more jobs and ends the running one's thread: it stays `running` in the store, and
   * runs again at the next start (`resume`), as the queued ones do.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#queue.length = 0;
    await this.#thread?.stop();
    await this.#running;
  }

  #enqueue(id: string, request: BacktestRequest): void {
    this.#queue.push({ id, request });
    this.#running ??= this.#drain().finally(() => (this.#running = null));
  }

  async #drain(): Promise<void> {
    for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
      const { id, request } = next;
      try {
        await this.#repo.markRunning(id, this.cfg.now());
        const report = await this.#run(request);
        if (this.cfg.reports) await putReport(this.cfg.reports, id, report);
        await this.#repo.markDone(id, report, this.cfg.now());
      } catch (e) {
        // Ended by `close`: left as it is, for the next start.
        if (this.#closed) return;
        const message = e instanceof Error ? e.message : String(e);
        const log = (this.cfg.logger ?? noopLogger).child({ component: 'backtests' });
        log.warn('backtest failed', { backtestId: id, err: e });
        await this.#repo
          .markFailed(id, message, this.cfg.now())
          .catch((w: Error) =>
            log.error('backtest failure could not be stored', { backtestId: id, err: w }),
          );
      }
    }
  }

  async #run(request: BacktestRequest): Promise<string> {
    const feed = request.data === undefined ? this.cfg.feed : null;
    const data = feed ? feed.file : await this.cfg.data.resolve(request.data!);
    const inst = feed?.instrument;
    const commission = request.commission ?? inst?.takerFee.toFixed() ?? DEFAULTS.commission;
    const settings: BacktestSettings = {
      cash: request.cash ?? DEFAULTS.cash,
      lot: request.lot ?? inst?.lotSize.toFixed() ?? DEFAULTS.lot,
      tick: request.tick ?? inst?.tickSize.toFixed(),
      minQty: request.minQty ?? inst?.minQuantity.toFixed(),
      minNotional: request.minNotional ?? inst?.minNotional.toFixed() ?? '0',
      makerFee: request.makerFee ?? request.commission ?? inst?.makerFee.toFixed() ?? commission,
      takerFee: request.takerFee ?? commission,
      slippageBps: request.slippageBps ?? 0,
      latencyMs: request.latencyMs ?? 0,
      seed: request.seed ?? DEFAULTS.seed,
      intervalMs: request.intervalMs,
      barIntervalMs: request.barIntervalMs ?? DEFAULTS.barIntervalMs,
      from: request.from,
      to: request.to,
      allowShort: request.allowShort ?? false,
      symbol: request.symbol ?? inst?.id,
      quote: request.quote ?? inst?.quote,
      ...(this.cfg.closedOrderRetentionMs !== undefined
        ? { closedOrderRetentionMs: this.cfg.closedOrderRetentionMs }
        : {}),
    };
    const strategyFile = await this.cfg.strategies.resolve(request.strategy);
    const module = await writeBundle(await bundleStrategy(strategyFile), this.cfg.buildDir);
    if (this.#closed) throw new KairosError('BACKTEST_THREAD_EXITED', 'the server stopped');
    const thread = backtestOnThread(
      { module, strategyFile, data, params: request.params ?? {}, settings },
      this.cfg.limits ?? BACKTEST_LIMITS,
    );
    this.#thread = thread;
    try {
      return await thread.report;
    } finally {
      this.#thread = null;
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async #load(name: string): Promise<StrategyDefinition<any, any, any>> {
    const file = await this.cfg.strategies.resolve(name);
    return loadStrategy(file, path.join(this.cfg.buildDir));
  }
}

/**
 * Writes a job's report to the store. A rerun after a crash between the upload and `markDone`
 * finds the object there: the same bytes are fine (a backtest is deterministic), others fail.
 */
async function putReport(store: ObjectStore, id: string, report: string): Promise<void> {
  const key = `backtests/${id}/report.json`;
  const bytes = new TextEncoder().encode(report);
  try {
    await store.put(key, bytes, { contentType: 'application/json' });
  } catch (e) {
    if (!(e instanceof KairosError && e.code === 'OBJECT_EXISTS')) throw e;
    const there = await store.head(key);
    if (there?.sha256 !== createHash('sha256').update(bytes).digest('hex')) throw e;
  }
}

/** Decimals and ranges that a schema cannot say (`BACKTEST_INVALID`, naming the field). */
function checkRequest(r: BacktestRequest): void {
  const positive = ['cash', 'lot', 'tick'] as const;
  const nonNegative = ['minQty', 'minNotional', 'commission', 'makerFee', 'takerFee'] as const;
  for (const f of [...positive, ...nonNegative]) {
    const v = r[f];
    if (v === undefined) continue;
    const rule = (positive as readonly string[]).includes(f) ? 'positive' : 'non-negative';
    let ok: boolean;
    try {
      const d = toDecimal(v);
      ok = rule === 'positive' ? d.gt(0) : d.gte(0);
    } catch {
      ok = false;
    }
    if (!ok) throw new KairosError('BACKTEST_INVALID', `${f}: must be a ${rule} decimal string`);
  }
  if (r.from !== undefined && r.to !== undefined && r.from >= r.to) {
    throw new KairosError('BACKTEST_INVALID', 'from: must be before to');
  }
}
