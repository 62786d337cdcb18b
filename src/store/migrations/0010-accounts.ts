import { sql, type Kysely } from 'kysely';

/**
 * Accounts of users (`docs/decisions/accounts.md`): the `accounts` table of 0001 (never written
 * before) gains its owner, its mode (`paper` with its starting cash, or `live` bound to a stored
 * credential), and when it was closed. A user's default account is on `users`; a strategy
 * started on the API runs on one account (`desk`, the server's shared account, for every
 * instance started before this migration).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('accounts')
    .addColumn('owner_user_id', 'text', (c) => c.references('users.id'))
    .execute();
  await db.schema
    .alterTable('accounts')
    .addColumn('mode', 'text', (c) => c.notNull().defaultTo('paper'))
    .execute();
  // The credential of a live account; no foreign key: a credential removed later leaves the
  // account to be disabled, not a removal refused.
  await db.schema.alterTable('accounts').addColumn('credential_id', 'text').execute();
  await db.schema
    .alterTable('accounts')
    .addColumn('starting_cash', sql`numeric`)
    .execute();
  await db.schema.alterTable('accounts').addColumn('cash_currency', 'text').execute();
  await db.schema.alterTable('accounts').addColumn('disabled_at', 'bigint').execute();
  await db.schema
    .alterTable('accounts')
    .addCheckConstraint(
      'accounts_mode',
      sql`(mode = 'paper' and credential_id is null and starting_cash is not null and cash_currency is not null)
        or (mode = 'live' and credential_id is not null)`,
    )
    .execute();
  // One open account of a name per owner (a closed one frees its name).
  await sql`create unique index accounts_owner_name on accounts (owner_user_id, lower(name))
    where disabled_at is null`.execute(db);
  await db.schema
    .alterTable('users')
    .addColumn('default_account_id', 'text', (c) => c.references('accounts.id'))
    .execute();
  await db.schema
    .alterTable('strategy_deployments')
    .addColumn('account_id', 'text', (c) => c.notNull().defaultTo('desk'))
    .execute();
}

/** Back to 0009 (refused while a user's account is stored: its orders would lose their owner). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`do $$ begin
    if exists (select 1 from accounts where owner_user_id is not null) then
      raise exception 'accounts holds users'' accounts';
    end if; end $$`.execute(db);
  await db.schema.alterTable('strategy_deployments').dropColumn('account_id').execute();
  await db.schema.alterTable('users').dropColumn('default_account_id').execute();
  await sql`drop index if exists accounts_owner_name`.execute(db);
  await db.schema.alterTable('accounts').dropConstraint('accounts_mode').execute();
  for (const column of [
    'disabled_at',
    'cash_currency',
    'starting_cash',
    'credential_id',
    'mode',
    'owner_user_id',
  ])
    await db.schema.alterTable('accounts').dropColumn(column).execute();
}
