import type { Kysely } from 'kysely';

/**
 * Leases with fencing tokens: one row per resource (an account, a running strategy) names the
 * instance that owns it, until when (the database's clock, ms), and the token every write of that
 * owner carries. Taking a lease over bumps the token, so a paused owner's writes are refused.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('leases')
    .addColumn('resource', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('token', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

/** Back to 0010: no leases (every instance then owns everything it opens, as before). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('leases').execute();
}
