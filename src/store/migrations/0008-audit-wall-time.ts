import { sql, type Kysely } from 'kysely';

/**
 * The audit log records the wall time of every row beside its `ts` (the market time of a
 * replayed run), and exports select by wall time. `hash_version` says which canonical form a
 * row's hash covers (`src/security/audit/chain.ts`): the rows already written keep version 1
 * (their hash does not cover a wall time) and take their `ts` as wall time, a rule the check
 * constraint and the verifier both enforce; every new row is version 2. The append-only trigger
 * is switched off for this one update, inside the migration's transaction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('wall_ts', 'bigint').execute();
  await db.schema
    .alterTable('audit_log')
    .addColumn('hash_version', 'smallint', (c) => c.notNull().defaultTo(1))
    .execute();
  await sql`alter table audit_log disable trigger audit_log_no_change`.execute(db);
  await sql`update audit_log set wall_ts = ts`.execute(db);
  await sql`alter table audit_log enable trigger audit_log_no_change`.execute(db);
  await sql`alter table audit_log alter column wall_ts set not null`.execute(db);
  await sql`alter table audit_log alter column hash_version drop default`.execute(db);
  await sql`alter table audit_log add constraint audit_log_hash_version
    check (hash_version = 2 or (hash_version = 1 and wall_ts = ts))`.execute(db);
  await db.schema
    .createIndex('audit_log_wall_ts')
    .on('audit_log')
    .columns(['wall_ts', 'seq'])
    .execute();
  await db.schema
    .alterTable('audit_head')
    .addColumn('wall_ts', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update audit_head set wall_ts = ts`.execute(db);
}

/** Back to the log without wall time; refused once a version 2 row exists (its hash covers it). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`do $$ begin
    if exists (select 1 from audit_log where hash_version = 2) then
      raise exception 'audit_log holds version 2 rows: their hash covers wall_ts';
    end if; end $$`.execute(db);
  await db.schema.alterTable('audit_head').dropColumn('wall_ts').execute();
  await db.schema.dropIndex('audit_log_wall_ts').execute();
  await sql`alter table audit_log drop constraint audit_log_hash_version`.execute(db);
  await db.schema.alterTable('audit_log').dropColumn('hash_version').execute();
  await db.schema.alterTable('audit_log').dropColumn('wall_ts').execute();
}
