import { sql, type Kysely } from 'kysely';
import type { FieldLocation } from '../security/encryption/key-provider.js';
import { credentialLocation } from './credential-repository.js';
import type { Schema } from './schema.js';
import { totpSecretLocation } from './user-repository.js';

/** A column that holds `kx1.` envelopes, and where each of its values is bound. */
export interface EncryptedColumn {
  readonly table: 'users' | 'venue_credentials';
  readonly column: string;
  readonly at: (id: string) => FieldLocation;
}

/**
 * Every encrypted column of the schema (a test compares it with the database's `kx1.` checks,
 * so a new encrypted column must be added here, or key rotation would leave it behind).
 */
export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = [
  { table: 'users', column: 'totp_secret_ciphertext', at: totpSecretLocation },
  {
    table: 'venue_credentials',
    column: 'api_key_ciphertext',
    at: (id) => credentialLocation(id, 'api_key'),
  },
  {
    table: 'venue_credentials',
    column: 'secret_ciphertext',
    at: (id) => credentialLocation(id, 'secret'),
  },
  {
    table: 'venue_credentials',
    column: 'passphrase_ciphertext',
    at: (id) => credentialLocation(id, 'passphrase'),
  },
];

/** One stored envelope. */
export interface StoredEnvelope {
  readonly id: string;
  readonly value: string;
}

/**
 * Encrypted values across every encrypted column, by the master key that wraps them (the key
 * id is the second dot-separated part of an envelope): for the key-rotation job, which reads
 * them in keyset pages and swaps each value only if it is still the one it read.
 *
 * @example
 * const fields = new EncryptedFieldRepository(store.db);
 * await fields.countByKey(); // Map { 'local-1a2b…' => 3001 }
 */
export class EncryptedFieldRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  /** How many values each master key id wraps, over every encrypted column. */
  async countByKey(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const c of ENCRYPTED_COLUMNS) {
      const { rows } = await sql<{ key_id: string; n: string | number }>`
        select split_part(${sql.ref(c.column)}, '.', 2) as key_id, count(*) as n
        from ${sql.table(c.table)} where ${sql.ref(c.column)} is not null group by 1`.execute(
        this.db,
      );
      for (const r of rows) counts.set(r.key_id, (counts.get(r.key_id) ?? 0) + Number(r.n));
    }
    return counts;
  }

  /** Up to `limit` values of `c` not wrapped by `keyId`, with ids after `afterId`, by id. */
  async notWrappedBy(
    c: EncryptedColumn,
    keyId: string,
    afterId: string,
    limit: number,
  ): Promise<StoredEnvelope[]> {
    const { rows } = await sql<StoredEnvelope>`
      select id, ${sql.ref(c.column)} as value from ${sql.table(c.table)}
      where ${sql.ref(c.column)} is not null and split_part(${sql.ref(c.column)}, '.', 2) <> ${keyId}
        and id > ${afterId}
      order by id limit ${limit}`.execute(this.db);
    return rows;
  }

  /**
   * Sets row `id`'s value of `c` to `next` only if it still is `before` (a value changed since
   * it was read is left for the next pass); answers whether it did.
   */
  async replace(
    c: EncryptedColumn,
    id: string,
    before: string,
    next: string,
    db: Kysely<Schema> = this.db,
  ): Promise<boolean> {
    const { rows } = await sql<{ id: string }>`
      update ${sql.table(c.table)} set ${sql.ref(c.column)} = ${next}
      where id = ${id} and ${sql.ref(c.column)} = ${before} returning id`.execute(db);
    return rows.length === 1;
  }

  /**
   * `replace` for many rows of `c` in one statement: each row's value becomes its `next` only if
   * it still is its `before`; answers how many were replaced. (The key rotation's batches: one
   * update per batch, not one per value.)
   */
  async replaceMany(
    c: EncryptedColumn,
    swaps: readonly EnvelopeSwap[],
    db: Kysely<Schema> = this.db,
  ): Promise<number> {
    if (swaps.length === 0) return 0;
    const values = sql.join(
      swaps.map((w) => sql`(${w.id}::text, ${w.before}::text, ${w.next}::text)`),
    );
    const { rows } = await sql<{ id: string }>`
      update ${sql.table(c.table)} as t set ${sql.ref(c.column)} = v.next
      from (values ${values}) as v(id, before, next)
      where t.id = v.id and ${sql.ref(`t.${c.column}`)} = v.before returning t.id`.execute(db);
    return rows.length;
  }
}

/** A value to swap: row `id`'s `before` becomes `next`. */
export interface EnvelopeSwap {
  readonly id: string;
  readonly before: string;
  readonly next: string;
}
