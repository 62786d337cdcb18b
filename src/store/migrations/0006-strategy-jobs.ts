import { sql, type Kysely } from 'kysely';

/**
 * Strategies and backtests of the API. `strategy_deployments`: a strategy from the server's
 * catalog started on the running core by a user (its own strategy id, the owner, the bundle's
 * hash, the params, running/stopped/failed). `backtest_runs` (from 0001, unused until now) gets
 * its owner, the request, the times and the error of a failed run; the report becomes `text`, so
 * it is kept byte for byte as `kairos backtest` writes it (`jsonb` would reorder its keys).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('strategy_deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('code_sha256', 'text', (c) => c.notNull())
    .addColumn('params', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('running', 'stopped', 'failed')`),
    )
    .addColumn('error', 'text')
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('stopped_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('strategy_deployments_owner')
    .on('strategy_deployments')
    .columns(['owner_user_id', 'started_at'])
    .execute();

  await sql`delete from backtest_runs`.execute(db);
  await db.schema
    .alterTable('backtest_runs')
    .alterColumn('report', (c) => c.setDataType('text'))
    .execute();
  await db.schema
    .alterTable('backtest_runs')
    .addColumn('owner_user_id', 'text', (c) => c.notNull().references('users.id'))
    .execute();
  await db.schema.alterTable('backtest_runs').addColumn('error', 'text').execute();
  await db.schema.alterTable('backtest_runs').addColumn('started_at', 'bigint').execute();
  await db.schema
    .alterTable('backtest_runs')
    .addCheckConstraint(
      'backtest_runs_status',
      sql`status in ('queued', 'running', 'done', 'failed')`,
    )
    .execute();
  await db.schema
    .createIndex('backtest_runs_owner')
    .on('backtest_runs')
    .columns(['owner_user_id', 'created_at', 'id'])
    .execute();
}

/** Back to 0005: no deployments; backtest runs as 0001 made them. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('strategy_deployments').execute();
  await sql`delete from backtest_runs`.execute(db);
  await db.schema.dropIndex('backtest_runs_owner').execute();
  await db.schema.alterTable('backtest_runs').dropConstraint('backtest_runs_status').execute();
  for (const c of ['owner_user_id', 'error', 'started_at'])
    await db.schema.alterTable('backtest_runs').dropColumn(c).execute();
  await sql`alter table backtest_runs alter column report type jsonb using report::jsonb`.execute(
    db,
  );
}
