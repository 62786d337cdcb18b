import { sql, type Kysely } from 'kysely';

/**
 * Every record keyed by its owner (DESIGN invariant 13). `fills` gets the account: a venue's
 * trade id is unique only within one account (each paper account numbers its trades from
 * `PAPER-T1`), so the key becomes (account, venue, trade id). `strategy_snapshots` gets the
 * account too: a run is (account, strategy), and one account's snapshot never resumes another's.
 * Existing rows take the account of their order (fills) or of the strategy's orders (snapshots;
 * `paper`, the CLI's default account, when it has none).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('fills').addColumn('account_id', 'text').execute();
  await sql`update fills f set account_id = o.account_id
    from orders o where o.client_order_id = f.client_order_id`.execute(db);
  await sql`alter table fills alter column account_id set not null`.execute(db);
  await sql`alter table fills drop constraint fills_pk`.execute(db);
  await sql`alter table fills add constraint fills_pk primary key (account_id, venue, trade_id)`.execute(
    db,
  );

  await db.schema.alterTable('strategy_snapshots').addColumn('account_id', 'text').execute();
  await sql`update strategy_snapshots s set account_id = coalesce(
      (select o.account_id from orders o where o.strategy_id = s.strategy_id
        group by o.account_id order by count(*) desc, o.account_id limit 1),
      'paper')`.execute(db);
  await sql`alter table strategy_snapshots alter column account_id set not null`.execute(db);
  await sql`alter table strategy_snapshots drop constraint strategy_snapshots_pk`.execute(db);
  await sql`alter table strategy_snapshots add constraint strategy_snapshots_pk
    primary key (account_id, strategy_id, seq)`.execute(db);
}

/** Back to keys without the account (fails if two accounts now share a trade id). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table strategy_snapshots drop constraint strategy_snapshots_pk`.execute(db);
  await sql`alter table strategy_snapshots add constraint strategy_snapshots_pk
    primary key (strategy_id, seq)`.execute(db);
  await db.schema.alterTable('strategy_snapshots').dropColumn('account_id').execute();
  await sql`alter table fills drop constraint fills_pk`.execute(db);
  await sql`alter table fills add constraint fills_pk primary key (venue, trade_id)`.execute(db);
  await db.schema.alterTable('fills').dropColumn('account_id').execute();
}
