import type { Kysely } from 'kysely';

/**
 * The instrument a strategy started on the API trades (`POST /strategies/{name}/start`
 * `instrumentId`). Null: its account's first instrument, as every instance before it did.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('strategy_deployments').addColumn('instrument_id', 'text').execute();
}

/** Back to 0012: every instance trades its account's first instrument again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('strategy_deployments').dropColumn('instrument_id').execute();
}
