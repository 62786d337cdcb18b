import { sql, type Kysely } from 'kysely';
import type { Schema } from './schema.js';

/**
 * One round trip to the store (`select 1`): what the `database` readiness check runs. Rejects
 * with the driver's error when the database does not answer (the caller bounds the wait).
 *
 * @example
 * await pingStore(store.db);
 */
export async function pingStore(db: Kysely<Schema>): Promise<void> {
  await sql`select 1`.execute(db);
}
