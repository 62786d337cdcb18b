import { sql, type Kysely } from 'kysely';

/**
 * A strategy snapshot's place among the order events (`events_through`: the largest
 * `order_events.seq` stored when it was saved). A restarted node shows its strategy again, in
 * the bar it replays, exactly the events committed after it (`docs/paper.md`, point 4): their
 * times cannot tell, since a bar's venue events carry its open, the time of the snapshot before.
 * Null on snapshots saved before it (those restart by time, as before).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table strategy_snapshots add column events_through bigint`.execute(db);
}

/** Back to 0015: restarts tell the events after a snapshot by their time. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table strategy_snapshots drop column events_through`.execute(db);
}
