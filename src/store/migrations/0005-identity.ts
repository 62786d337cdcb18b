import { sql, type Kysely } from 'kysely';

/**
 * Identity: users, the second factor (last TOTP step, failure times, recovery codes), sessions
 * with their refresh tokens, and venue credentials. Secrets that must be read back are stored
 * only as `kx1.` envelopes (field encryption); refresh tokens and recovery codes only as SHA-256.
 * The checks are a backstop: a bug that tries to store a plaintext secret, a plaintext password
 * or an upper-case username fails here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const hex64 = (c: string) => sql.raw(`${c} ~ '^[0-9a-f]{64}$'`);
  const envelope = (c: string) => sql.raw(`${c} is null or ${c} like 'kx1.%'`);
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Lower-cased by the repository, so a unique index is case-insensitive (citext-like).
    .addColumn('username', 'text', (c) =>
      c
        .notNull()
        .unique()
        .check(sql`username ~ '^[a-z0-9][a-z0-9._@-]{0,63}$'`),
    )
    .addColumn('password_hash', 'text', (c) =>
      c.notNull().check(sql`password_hash like '$argon2%'`),
    )
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('totp_secret_ciphertext', 'text', (c) => c.check(envelope('totp_secret_ciphertext')))
    .addColumn('totp_confirmed_at', 'bigint')
    .addCheckConstraint(
      'users_totp_confirmed_needs_secret',
      sql`totp_confirmed_at is null or totp_secret_ciphertext is not null`,
    )
    .execute();

  const userRef = (table: string) =>
    db.schema
      .createTable(table)
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'));
  await userRef('totp_steps')
    .addPrimaryKeyConstraint('totp_steps_pk', ['user_id'])
    .addColumn('last_step', 'bigint', (c) => c.notNull())
    .execute();
  await userRef('mfa_failures')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('mfa_failures_user_at')
    .on('mfa_failures')
    .columns(['user_id', 'at'])
    .execute();
  await userRef('recovery_codes')
    .addColumn('hash', 'text', (c) => c.notNull().check(hex64('hash')))
    .addColumn('used_at', 'bigint')
    .addPrimaryKeyConstraint('recovery_codes_pk', ['user_id', 'hash'])
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('session_id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoked_reason', 'text')
    .addCheckConstraint(
      'sessions_revoked_with_reason',
      sql`(revoked_at is null) = (revoked_reason is null)`,
    )
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
  await db.schema
    .createTable('refresh_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey().check(hex64('token_hash')))
    .addColumn('session_id', 'text', (c) =>
      c.notNull().references('sessions.session_id').onDelete('cascade'),
    )
    .addColumn('issued_at', 'bigint', (c) => c.notNull())
    .addColumn('rotated_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('refresh_tokens_session')
    .on('refresh_tokens')
    .column('session_id')
    .execute();

  await db.schema
    .createTable('venue_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // No cascade: a user who owns credentials cannot be deleted by accident.
    .addColumn('owner_user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('venue', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('api_key_ciphertext', 'text', (c) =>
      c.notNull().check(envelope('api_key_ciphertext')),
    )
    .addColumn('secret_ciphertext', 'text', (c) => c.notNull().check(envelope('secret_ciphertext')))
    // Some venues (OKX, KuCoin, Coinbase) also need a passphrase; ccxt calls it `password`.
    .addColumn('passphrase_ciphertext', 'text', (c) => c.check(envelope('passphrase_ciphertext')))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('venue_credentials_owner_venue_label', ['owner_user_id', 'venue', 'label'])
    .execute();
}

/** Drops the identity tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'venue_credentials',
    'refresh_tokens',
    'sessions',
    'recovery_codes',
    'mfa_failures',
    'totp_steps',
    'users',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
