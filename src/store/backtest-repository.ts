import type { Kysely } from 'kysely';
import { PageCursor } from './page-cursor.js';
import type { BacktestRunsTable, Schema } from './schema.js';

/** Where a backtest job is. */
export type BacktestStatus = 'queued' | 'running' | 'done' | 'failed';

/** A backtest job as its owner sees it (the report is read apart: it can be large). */
export interface BacktestJob {
  readonly id: string;
  readonly ownerUserId: string;
  /** The catalog name of the strategy. */
  readonly strategy: string;
  readonly status: BacktestStatus;
  /** The request as accepted (strategy, data, params, settings). */
  readonly request: Readonly<Record<string, unknown>>;
  readonly error: string | null;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

const COLUMNS = [
  'id',
  'owner_user_id',
  'strategy_id',
  'status',
  'params',
  'error',
  'created_at',
  'started_at',
  'finished_at',
] as const;

/**
 * Backtest jobs in `backtest_runs`: queued, then running, then done (with the report text) or
 * failed (with the error). Reads are scoped to the owner; pages are newest first, with a cursor.
 *
 * @example
 * const jobs = new BacktestRepository(store.db);
 * await jobs.create({ id, ownerUserId, strategy: 'sma-cross', request, createdAt: now });
 */
export class BacktestRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async create(job: {
    id: string;
    ownerUserId: string;
    strategy: string;
    request: Readonly<Record<string, unknown>>;
    createdAt: number;
  }): Promise<BacktestJob> {
    const row = {
      id: job.id,
      owner_user_id: job.ownerUserId,
      strategy_id: job.strategy,
      status: 'queued',
      params: JSON.stringify(job.request),
      report: null,
      error: null,
      created_at: job.createdAt,
      started_at: null,
      finished_at: null,
    };
    await this.db.insertInto('backtest_runs').values(row).execute();
    return toJob(row);
  }

  markRunning(id: string, ts: number): Promise<void> {
    return this.#set(id, { status: 'running', started_at: ts });
  }

  markDone(id: string, report: string, ts: number): Promise<void> {
    return this.#set(id, { status: 'done', report, finished_at: ts });
  }

  markFailed(id: string, error: string, ts: number): Promise<void> {
    return this.#set(id, { status: 'failed', error, finished_at: ts });
  }

  async #set(id: string, patch: Partial<BacktestRunsTable>): Promise<void> {
    await this.db.updateTable('backtest_runs').set(patch).where('id', '=', id).execute();
  }

  /** Jobs a stopped server left queued or running, oldest first (they are run again). */
  async unfinished(): Promise<BacktestJob[]> {
    const rows = await this.db
      .selectFrom('backtest_runs')
      .select(COLUMNS)
      .where('status', 'in', ['queued', 'running'])
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toJob);
  }

  /** One job of `ownerUserId` (another owner's job is not found). */
  async find(ownerUserId: string, id: string): Promise<BacktestJob | null> {
    const row = await this.db
      .selectFrom('backtest_runs')
      .select(COLUMNS)
      .where('id', '=', id)
      .where('owner_user_id', '=', ownerUserId)
      .executeTakeFirst();
    return row ? toJob(row) : null;
  }

  /** The report text of a done job of `ownerUserId`; null when there is none. */
  async report(ownerUserId: string, id: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('backtest_runs')
      .select('report')
      .where('id', '=', id)
      .where('owner_user_id', '=', ownerUserId)
      .executeTakeFirst();
    return row?.report ?? null;
  }

  /** One page of an owner's jobs, newest first; `before` is the cursor the last page gave. */
  async page(
    ownerUserId: string,
    opts: { before?: string; limit: number },
  ): Promise<{ jobs: BacktestJob[]; next: string | null }> {
    let q = this.db
      .selectFrom('backtest_runs')
      .select(COLUMNS)
      .where('owner_user_id', '=', ownerUserId);
    if (opts.before) {
      const [ts, id] = PageCursor.decode(opts.before);
      q = q.where((eb) =>
        eb.or([eb('created_at', '<', ts), eb.and([eb('created_at', '=', ts), eb('id', '<', id)])]),
      );
    }
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(opts.limit + 1)
      .execute();
    const jobs = rows.slice(0, opts.limit).map(toJob);
    const last = jobs.at(-1);
    return {
      jobs,
      next: rows.length > opts.limit && last ? PageCursor.encode(last.createdAt, last.id) : null,
    };
  }
}

function toJob(r: Omit<BacktestRunsTable, 'report'>): BacktestJob {
  const ms = (v: string | number | bigint | null) => (v === null ? null : Number(v));
  return {
    id: r.id,
    ownerUserId: r.owner_user_id,
    strategy: r.strategy_id,
    status: r.status as BacktestStatus,
    request: (typeof r.params === 'string' ? JSON.parse(r.params) : r.params) as Record<
      string,
      unknown
    >,
    error: r.error,
    createdAt: Number(r.created_at),
    startedAt: ms(r.started_at),
    finishedAt: ms(r.finished_at),
  };
}
