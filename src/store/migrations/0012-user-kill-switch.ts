import { type Kysely, sql } from 'kysely';

/** The kill switch per user (scope `USER`: every account the user owns). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table trading_state drop constraint trading_state_scope_check`.execute(db);
  await sql`alter table trading_state add constraint trading_state_scope_check
    check (scope in ('GLOBAL', 'ACCOUNT', 'STRATEGY', 'USER'))`.execute(db);
}

/** Back to 0011: user switches are dropped (their accounts' own states stay). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from trading_state where scope = 'USER'`.execute(db);
  await sql`alter table trading_state drop constraint trading_state_scope_check`.execute(db);
  await sql`alter table trading_state add constraint trading_state_scope_check
    check (scope in ('GLOBAL', 'ACCOUNT', 'STRATEGY'))`.execute(db);
}
