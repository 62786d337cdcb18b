import { sql, type Kysely } from 'kysely';

/**
 * How an API strategy instance runs: `in-process` (every instance before this migration) or
 * `lambda`, with the function, the alias or version it invokes, and the version that qualifier
 * named when the instance started. A restart resumes a Lambda instance through its function.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('strategy_deployments')
    .addColumn('runtime', 'text', (c) => c.notNull().defaultTo('in-process'))
    .execute();
  await db.schema.alterTable('strategy_deployments').addColumn('lambda_function', 'text').execute();
  await db.schema
    .alterTable('strategy_deployments')
    .addColumn('lambda_qualifier', 'text')
    .execute();
  await db.schema.alterTable('strategy_deployments').addColumn('lambda_version', 'text').execute();
  await db.schema
    .alterTable('strategy_deployments')
    .addCheckConstraint(
      'strategy_deployments_runtime',
      sql`(runtime = 'in-process' and lambda_function is null and lambda_qualifier is null and lambda_version is null)
        or (runtime = 'lambda' and lambda_function is not null and lambda_qualifier is not null and lambda_version is not null)`,
    )
    .execute();
}

/** Back to 0008: every instance in-process (refused while a Lambda instance is stored). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`do $$ begin
    if exists (select 1 from strategy_deployments where runtime = 'lambda') then
      raise exception 'strategy_deployments holds Lambda instances';
    end if; end $$`.execute(db);
  await db.schema
    .alterTable('strategy_deployments')
    .dropConstraint('strategy_deployments_runtime')
    .execute();
  for (const column of ['lambda_version', 'lambda_qualifier', 'lambda_function', 'runtime'])
    await db.schema.alterTable('strategy_deployments').dropColumn(column).execute();
}
