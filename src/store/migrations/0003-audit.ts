import { sql, type Kysely } from 'kysely';

/**
 * The hash-chained audit log. `seq` is gapless: it is taken from the one-row `audit_head` under a
 * row lock in the appending transaction (a sequence would leave gaps on rollback, and a gap
 * reads as a deleted row). The log refuses UPDATE, DELETE and TRUNCATE; the head refuses DELETE
 * and TRUNCATE.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const hex64 = (c: string) => sql.raw(`${c} ~ '^[0-9a-f]{64}$'`);
  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigint', (c) => c.primaryKey().check(sql`seq > 0`))
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    // Canonical JSON as text: the bytes the hash covers, not re-normalised by jsonb.
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull().check(hex64('prev_hash')))
    .addColumn('hash', 'text', (c) => c.notNull().unique().check(hex64('hash')))
    .execute();
  await db.schema.createIndex('audit_log_ts').on('audit_log').columns(['ts', 'seq']).execute();
  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await sql`insert into audit_head (id, seq, ts, hash) values (1, 0, 0, ${'0'.repeat(64)})`.execute(
    db,
  );
  await sql`create function audit_log_append_only() returns trigger language plpgsql as $$
    begin raise exception '% is append-only', tg_table_name; end $$`.execute(db);
  await sql`create trigger audit_log_no_change before update or delete on audit_log
    for each row execute function audit_log_append_only()`.execute(db);
  await sql`create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only()`.execute(db);
  await sql`create trigger audit_head_no_delete before delete on audit_head
    for each row execute function audit_log_append_only()`.execute(db);
  await sql`create trigger audit_head_no_truncate before truncate on audit_head
    for each statement execute function audit_log_append_only()`.execute(db);
}

/** Drops the audit log. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_head').ifExists().execute();
  await db.schema.dropTable('audit_log').ifExists().execute();
  await sql`drop function if exists audit_log_append_only() cascade`.execute(db);
}
