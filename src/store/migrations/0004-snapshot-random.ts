import type { Kysely } from 'kysely';

/** The strategy's random source state in each snapshot, so `ctx.random()` resumes its sequence. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('strategy_snapshots').addColumn('random_state', 'jsonb').execute();
}

/** Drops the random source state. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('strategy_snapshots').dropColumn('random_state').execute();
}
