import type { Kysely } from 'kysely';
import type { Schema, StrategyDeploymentsTable } from './schema.js';

/** Where a deployed strategy is. */
export type DeploymentStatus = 'running' | 'stopped' | 'failed';

/** How an instance runs: in the server's process, or as a Lambda function the server invokes. */
export type StrategyRuntime = 'in-process' | 'lambda';

/** The Lambda function a `lambda` instance invokes. */
export interface LambdaBinding {
  readonly function: string;
  /** The alias or version it invokes (`live` by default). */
  readonly qualifier: string;
  /** The published version the qualifier named when the instance started. */
  readonly version: string;
}

/** A catalog strategy a user started on the server's core. */
export interface Deployment {
  /** Its strategy id (orders, risk scope, snapshots). */
  readonly id: string;
  readonly ownerUserId: string;
  /** The account it trades on (`desk`, the server's shared account, by default). */
  readonly accountId: string;
  /** The instrument it trades, as asked at its start (null: its account's first). */
  readonly instrumentId: string | null;
  /** The catalog name. */
  readonly name: string;
  readonly codeSha256: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly status: DeploymentStatus;
  readonly error: string | null;
  readonly startedAt: number;
  readonly stoppedAt: number | null;
  readonly runtime: StrategyRuntime;
  /** Set exactly when `runtime` is `lambda`. */
  readonly lambda: LambdaBinding | null;
}

/**
 * Strategy deployments in `strategy_deployments`. Callers pass a transaction to write the audit
 * row with the change.
 *
 * @example
 * await new StrategyDeploymentRepository(tx).create({ id, ownerUserId, name, codeSha256, params, startedAt });
 */
export class StrategyDeploymentRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async create(
    d: Omit<
      Deployment,
      'status' | 'error' | 'stoppedAt' | 'runtime' | 'lambda' | 'accountId' | 'instrumentId'
    > & {
      readonly lambda?: LambdaBinding | null;
      readonly accountId?: string;
      readonly instrumentId?: string | null;
    },
  ): Promise<Deployment> {
    const row: StrategyDeploymentsTable = {
      id: d.id,
      owner_user_id: d.ownerUserId,
      name: d.name,
      code_sha256: d.codeSha256,
      params: JSON.stringify(d.params),
      status: 'running',
      error: null,
      started_at: d.startedAt,
      stopped_at: null,
      runtime: d.lambda ? 'lambda' : 'in-process',
      lambda_function: d.lambda?.function ?? null,
      lambda_qualifier: d.lambda?.qualifier ?? null,
      lambda_version: d.lambda?.version ?? null,
      account_id: d.accountId ?? 'desk',
      instrument_id: d.instrumentId ?? null,
    };
    await this.db.insertInto('strategy_deployments').values(row).execute();
    return toDeployment(row);
  }

  /** Ends a running deployment; false when it was not running. */
  async end(
    id: string,
    status: Exclude<DeploymentStatus, 'running'>,
    error: string | null,
    ts: number,
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('strategy_deployments')
      .set({ status, error, stopped_at: ts })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async find(id: string): Promise<Deployment | null> {
    const row = await this.db
      .selectFrom('strategy_deployments')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toDeployment(row) : null;
  }

  /** Every deployment of one owner (or every running one when `ownerUserId` is null), oldest first. */
  async list(ownerUserId: string | null): Promise<Deployment[]> {
    let q = this.db.selectFrom('strategy_deployments').selectAll();
    q =
      ownerUserId === null
        ? q.where('status', '=', 'running')
        : q.where('owner_user_id', '=', ownerUserId);
    const rows = await q.orderBy('started_at').orderBy('id').execute();
    return rows.map(toDeployment);
  }
}

function toDeployment(r: StrategyDeploymentsTable): Deployment {
  return {
    id: r.id,
    ownerUserId: r.owner_user_id,
    accountId: r.account_id ?? 'desk',
    instrumentId: r.instrument_id ?? null,
    name: r.name,
    codeSha256: r.code_sha256,
    params: (typeof r.params === 'string' ? JSON.parse(r.params) : r.params) as Record<
      string,
      unknown
    >,
    status: r.status as DeploymentStatus,
    error: r.error,
    startedAt: Number(r.started_at),
    stoppedAt: r.stopped_at === null ? null : Number(r.stopped_at),
    runtime: r.runtime === 'lambda' ? 'lambda' : 'in-process',
    lambda:
      r.runtime === 'lambda' && r.lambda_function && r.lambda_qualifier && r.lambda_version
        ? { function: r.lambda_function, qualifier: r.lambda_qualifier, version: r.lambda_version }
        : null,
  };
}
