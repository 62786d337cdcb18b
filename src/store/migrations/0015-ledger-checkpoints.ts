import { sql, type Kysely } from 'kysely';

/**
 * An account's latest ledger checkpoint (`OrderStore.saveLedgerCheckpoint`): its books after
 * every stored fill up to a cut in the fills' order (time, trade id, venue), so a node starts
 * from it and the fills after the cut instead of every fill (`docs/decisions/ledger-checkpoints.md`).
 * One row an account, replaced; nothing reads it but start-up and the next checkpoint.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table ledger_checkpoints (
    account_id text primary key,
    through_ts bigint not null,
    through_trade_id text not null,
    through_venue text not null,
    fills bigint not null check (fills >= 0),
    state jsonb not null
  )`.execute(db);
}

/** Back to 0014: start-up reads every fill again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table ledger_checkpoints`.execute(db);
}
