import { sql, type Kysely } from 'kysely';

/**
 * What the order journal's statement writes a row, cut to what is needed (issue #18; each an
 * index, check or trigger every order paid for three or more times):
 *
 * - `order_events` loses its foreign key to `orders`: a per-row trigger that looked the order up
 *   and locked it (a WAL record an event). The journal writes every event in the statement or
 *   transaction that writes its order's row (a new order is inserted, a state change must match
 *   the stored row, else the write is refused whole), and `OrderRepository` refuses an event of
 *   an order it does not hold. Orders are never deleted (now a trigger says so; `fills` keeps its
 *   key to `orders`, which still refuses a TRUNCATE).
 * - `audit_log` loses the unique index on `hash` (a random 64-character key: a B-tree leaf read
 *   and dirtied at random a row) and the index on (`ts`, `seq`), which no query reads. A hash
 *   covers its row's `seq`, the primary key, so two rows cannot share one but by a SHA-256
 *   collision; the verifier checks every link. The checks that `hash` and `prev_hash` are 64
 *   lower-case hex digits stay, written as a length and a character class (the counted `{64}`
 *   form ran ~8 times slower a row; adding them reads the log once, under the migration's lock).
 * - `audit_head`, one row updated by every append, keeps its page pruned (fill factor 10: pruned
 *   whenever less than 90 % of the page is free), so an append does not walk a chain of its
 *   dead versions to find the head.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table order_events drop constraint order_events_client_order_id_fkey`.execute(db);
  await sql`create function orders_kept() returns trigger language plpgsql as $$
    begin raise exception 'orders are kept: an order is never deleted'; end $$`.execute(db);
  await sql`create trigger orders_no_delete before delete on orders
    for each row execute function orders_kept()`.execute(db);
  await sql`alter table audit_log drop constraint audit_log_hash_key`.execute(db);
  await sql`drop index audit_log_ts`.execute(db);
  await sql`alter table audit_log drop constraint audit_log_hash_check`.execute(db);
  await sql`alter table audit_log drop constraint audit_log_prev_hash_check`.execute(db);
  await sql`alter table audit_log add constraint audit_log_hash_check
    check (length(hash) = 64 and hash ~ '^[0-9a-f]+$')`.execute(db);
  await sql`alter table audit_log add constraint audit_log_prev_hash_check
    check (length(prev_hash) = 64 and prev_hash ~ '^[0-9a-f]+$')`.execute(db);
  await sql`alter table audit_head set (fillfactor = 10)`.execute(db);
}

/** The keys, indexes and checks as before (refused if an event names an order not stored). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_head reset (fillfactor)`.execute(db);
  await sql`alter table audit_log drop constraint audit_log_prev_hash_check`.execute(db);
  await sql`alter table audit_log drop constraint audit_log_hash_check`.execute(db);
  await sql`alter table audit_log add constraint audit_log_prev_hash_check
    check (prev_hash ~ '^[0-9a-f]{64}$')`.execute(db);
  await sql`alter table audit_log add constraint audit_log_hash_check
    check (hash ~ '^[0-9a-f]{64}$')`.execute(db);
  await sql`create index audit_log_ts on audit_log (ts, seq)`.execute(db);
  await sql`alter table audit_log add constraint audit_log_hash_key unique (hash)`.execute(db);
  await sql`drop trigger orders_no_delete on orders`.execute(db);
  await sql`drop function orders_kept()`.execute(db);
  await sql`alter table order_events add constraint order_events_client_order_id_fkey
    foreign key (client_order_id) references orders (client_order_id)`.execute(db);
}
