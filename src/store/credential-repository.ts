import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { EnvelopeCipher } from '../security/encryption/envelope-cipher.js';
import type { FieldLocation } from '../security/encryption/key-provider.js';
import { KairosError } from '../trading/core/errors.js';
import type { Schema, VenueCredentialsTable } from './schema.js';

const VENUE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const MAX_SECRET = 4096;

/** A venue credential as lists show it: metadata, never a secret. */
export interface CredentialSummary {
  readonly id: string;
  readonly ownerUserId: string;
  /** ccxt exchange id, e.g. `binance`. */
  readonly venue: string;
  readonly label: string;
  readonly hasPassphrase: boolean;
  readonly createdAt: number;
}

/** The secrets of a credential, as the venue adapter needs them (ccxt `apiKey`, `secret`, `password`). */
export interface CredentialSecrets {
  readonly apiKey: string;
  readonly secret: string;
  readonly passphrase?: string;
}

/** What `add` needs. */
export interface NewCredential extends CredentialSecrets {
  readonly ownerUserId: string;
  readonly venue: string;
  readonly label: string;
  readonly createdAt: number;
}

type SecretField = 'api_key' | 'secret' | 'passphrase';

/** Where one secret of credential `id` is encrypted (the envelope's associated data). */
export function credentialLocation(id: string, field: SecretField): FieldLocation {
  return { table: 'venue_credentials', column: field, rowId: id };
}

/**
 * Venue API credentials, write-only: `add` encrypts the API key, secret and optional passphrase
 * (each at `venue_credentials/<field>/<id>`, so a ciphertext moved to another row or column does
 * not decrypt), `list` answers metadata only, and `reveal` decrypts, for the venue adapter only:
 * never return its result from the API or write it to a log.
 *
 * @example
 * const creds = new CredentialRepository(store.db, cipher);
 * const c = await creds.add({ ownerUserId, venue: 'binance', label: 'main', apiKey, secret, createdAt: now });
 * const { apiKey, secret } = await creds.reveal(c.id); // in the venue adapter
 */
export class CredentialRepository {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly cipher: EnvelopeCipher,
  ) {}

  /** Stores a credential; `CREDENTIAL_INVALID` names a bad field, `CREDENTIAL_EXISTS` a taken label. */
  async add(c: NewCredential): Promise<CredentialSummary> {
    check(c);
    const id = randomUUID();
    const enc = (field: SecretField, value: string) =>
      this.cipher.encrypt(value, credentialLocation(id, field));
    const row: VenueCredentialsTable = {
      id,
      owner_user_id: c.ownerUserId,
      venue: c.venue,
      label: c.label.trim(),
      api_key_ciphertext: await enc('api_key', c.apiKey),
      secret_ciphertext: await enc('secret', c.secret),
      passphrase_ciphertext:
        c.passphrase === undefined ? null : await enc('passphrase', c.passphrase),
      created_at: c.createdAt,
    };
    try {
      await this.db.insertInto('venue_credentials').values(row).execute();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === '23505') {
        throw new KairosError(
          'CREDENTIAL_EXISTS',
          `credential "${row.label}" for ${c.venue}: this owner already has one with that label`,
          { cause: e },
        );
      }
      if (code === '23503') {
        throw new KairosError('USER_NOT_FOUND', `user ${c.ownerUserId}: not found`, { cause: e });
      }
      throw e;
    }
    return toSummary(row);
  }

  /** The owner's credentials (metadata only), by venue and label; every owner's when omitted. */
  async list(ownerUserId?: string): Promise<CredentialSummary[]> {
    let q = this.db.selectFrom('venue_credentials').selectAll();
    if (ownerUserId !== undefined) q = q.where('owner_user_id', '=', ownerUserId);
    const rows = await q.orderBy('owner_user_id').orderBy('venue').orderBy('label').execute();
    return rows.map(toSummary);
  }

  /** One credential's metadata, or `null`. */
  async find(id: string): Promise<CredentialSummary | null> {
    const r = await this.row(id);
    return r ? toSummary(r) : null;
  }

  /**
   * Decrypts a credential for the venue adapter (`CREDENTIAL_NOT_FOUND` when unknown,
   * `ENCRYPTION_DECRYPT_FAILED` when a stored value was not made for this row and field).
   */
  async reveal(id: string): Promise<CredentialSecrets> {
    const r = await this.row(id);
    if (!r) throw new KairosError('CREDENTIAL_NOT_FOUND', `credential ${id}: not found`);
    const dec = (field: SecretField, value: string) =>
      this.cipher.decryptText(value, credentialLocation(id, field));
    const apiKey = await dec('api_key', r.api_key_ciphertext);
    const secret = await dec('secret', r.secret_ciphertext);
    return r.passphrase_ciphertext === null
      ? { apiKey, secret }
      : { apiKey, secret, passphrase: await dec('passphrase', r.passphrase_ciphertext) };
  }

  /** Deletes a credential; answers whether it existed. */
  async remove(id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('venue_credentials')
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    return r !== undefined;
  }

  private row(id: string): Promise<VenueCredentialsTable | undefined> {
    return this.db
      .selectFrom('venue_credentials')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }
}

function check(c: NewCredential): void {
  const invalid = (field: string, rule: string) =>
    new KairosError('CREDENTIAL_INVALID', `${field}: ${rule}`);
  if (!VENUE.test(c.venue)) {
    throw invalid('venue', 'a ccxt exchange id: 1–32 of a-z, 0-9, "_", "-"');
  }
  const label = c.label.trim();
  if (label === '' || [...label].length > 64 || /\p{Cc}/u.test(label)) {
    throw invalid('label', '1–64 characters, no control characters');
  }
  for (const [field, value] of [
    ['apiKey', c.apiKey],
    ['secret', c.secret],
    ...(c.passphrase === undefined ? [] : [['passphrase', c.passphrase]]),
  ] as const) {
    // The message names the field and the rule, never the value.
    if (typeof value !== 'string' || value === '' || value.length > MAX_SECRET) {
      throw invalid(field, `must be 1–${MAX_SECRET} characters`);
    }
  }
}

function toSummary(r: VenueCredentialsTable): CredentialSummary {
  return {
    id: r.id,
    ownerUserId: r.owner_user_id,
    venue: r.venue,
    label: r.label,
    hasPassphrase: r.passphrase_ciphertext !== null,
    createdAt: Number(r.created_at),
  };
}
