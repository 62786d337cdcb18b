import { sql, type Kysely } from 'kysely';

/** Risk changes (limits, trading states) as an append-only event log, for audit and for nodes. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('risk_events')
    .addColumn('seq', 'bigserial', (c) => c.primaryKey())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .execute();
  await sql`create function risk_events_append_only() returns trigger language plpgsql as $$
    begin raise exception 'risk_events is append-only'; end $$`.execute(db);
  await sql`create trigger risk_events_no_change before update or delete on risk_events
    for each row execute function risk_events_append_only()`.execute(db);
}

/** Drops the risk event log. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('risk_events').ifExists().execute();
  await sql`drop function if exists risk_events_append_only() cascade`.execute(db);
}
