import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { EnvelopeCipher } from '../security/encryption/envelope-cipher.js';
import type { FieldLocation } from '../security/encryption/key-provider.js';
import { isRole, ROLES, type Role } from '../security/roles/permissions.js';
import { KairosError } from '../trading/core/errors.js';
import type { Schema, UsersTable } from './schema.js';

const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/** A user without secrets: what lists and admin screens show. */
export interface UserSummary {
  readonly id: string;
  /** Lower-cased. */
  readonly username: string;
  readonly role: Role;
  readonly createdAt: number;
  readonly disabledAt: number | null;
  /** Whether a TOTP secret is stored (enrolment started). */
  readonly totpEnrolled: boolean;
  /** When the first TOTP code was accepted; `null` until then. */
  readonly totpConfirmedAt: number | null;
}

/** A user with the password hash, for login. The TOTP secret is read with `totpSecret`. */
export interface UserRecord extends UserSummary {
  /** argon2id PHC string. */
  readonly passwordHash: string;
}

/** What `create` needs. */
export interface NewUser {
  readonly username: string;
  /** From `PasswordHasher.hash`; a plaintext password is refused (`PASSWORD_HASH_INVALID`). */
  readonly passwordHash: string;
  readonly role: string;
  readonly createdAt: number;
  /** Default: a random UUID. */
  readonly id?: string;
}

/**
 * The form a username is stored and looked up in: NFKC, trimmed, lower-cased (so `Alice` and
 * `alice` are one account). Throws `USER_INVALID` when it breaks the rule: 1–64 characters of
 * `a-z 0-9 . _ @ -`, starting with a letter or digit.
 *
 * @example
 * normalizeUsername(' Alice@Desk '); // 'alice@desk'
 */
export function normalizeUsername(username: string): string {
  const u = username.normalize('NFKC').trim().toLowerCase();
  if (!USERNAME.test(u)) {
    throw new KairosError(
      'USER_INVALID',
      'username: 1–64 characters of a-z, 0-9, ".", "_", "@", "-", starting with a letter or digit',
    );
  }
  return u;
}

/** Where a user's TOTP secret is encrypted (the envelope's associated data). */
export function totpSecretLocation(userId: string): FieldLocation {
  return { table: 'users', column: 'totp_secret', rowId: userId };
}

/**
 * Users in `users`: usernames unique ignoring case (stored lower-cased), one role each, the
 * password as an argon2id hash and the TOTP secret as an envelope at `users/totp_secret/<id>`.
 * Users are disabled, never deleted. Pass a transaction as `db` to create a user together with
 * their recovery codes and audit row.
 *
 * @example
 * const users = new UserRepository(store.db);
 * const u = await users.create({ username: 'alice', passwordHash, role: 'trader', createdAt: now });
 * await users.setTotpSecret(u.id, totp.generateSecret(), cipher);
 */
export class UserRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  /** Creates a user; `USER_EXISTS` when the username is taken (ignoring case). */
  async create(user: NewUser): Promise<UserRecord> {
    const username = normalizeUsername(user.username);
    if (!isRole(user.role)) {
      throw new KairosError('USER_INVALID', `role: must be one of ${ROLES.join(', ')}`);
    }
    if (!user.passwordHash.startsWith('$argon2')) {
      throw new KairosError(
        'PASSWORD_HASH_INVALID',
        'passwordHash: not an argon2 PHC string (hash the password with PasswordHasher first)',
      );
    }
    const id = user.id ?? randomUUID();
    if (id === '') throw new KairosError('USER_INVALID', 'id: must not be empty');
    try {
      const row = await this.db
        .insertInto('users')
        .values({
          id,
          username,
          password_hash: user.passwordHash,
          role: user.role,
          disabled_at: null,
          created_at: user.createdAt,
          totp_secret_ciphertext: null,
          totp_confirmed_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    } catch (e) {
      const { code, constraint } = e as { code?: unknown; constraint?: unknown };
      if (code === '23505') {
        const what = constraint === 'users_pkey' ? `id "${id}"` : `username "${username}"`;
        throw new KairosError('USER_EXISTS', `${what}: already taken`, { cause: e });
      }
      throw e;
    }
  }

  /** The user with this username (any case), or `null`. */
  async findByUsername(username: string): Promise<UserRecord | null> {
    let u: string;
    try {
      u = normalizeUsername(username);
    } catch {
      return null; // cannot exist; the caller answers like a wrong password
    }
    const r = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', u)
      .executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  /** The user with this id, or `null`. */
  async findById(id: string): Promise<UserRecord | null> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  /** Every user, by username, without hashes or secrets. */
  async list(): Promise<UserSummary[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('username').execute();
    return rows.map((r) => toSummary(r));
  }

  /** Replaces the password hash (after a change or a re-hash); the caller revokes sessions. */
  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    if (!passwordHash.startsWith('$argon2')) {
      throw new KairosError('PASSWORD_HASH_INVALID', 'passwordHash: not an argon2 PHC string');
    }
    await this.updateOne(id, { password_hash: passwordHash });
  }

  /**
   * Stores a new TOTP secret (base32), encrypted at `users/totp_secret/<id>`, and marks it
   * unconfirmed: enrolment (or an MFA reset) starts over.
   */
  async setTotpSecret(id: string, secret: string, cipher: EnvelopeCipher): Promise<void> {
    const ciphertext = await cipher.encrypt(secret, totpSecretLocation(id));
    await this.updateOne(id, { totp_secret_ciphertext: ciphertext, totp_confirmed_at: null });
  }

  /** The decrypted TOTP secret, or `null` when none is stored. */
  async totpSecret(id: string, cipher: EnvelopeCipher): Promise<string | null> {
    const r = await this.db
      .selectFrom('users')
      .select('totp_secret_ciphertext')
      .where('id', '=', id)
      .executeTakeFirst();
    if (r === undefined) throw notFound(id);
    const c = r.totp_secret_ciphertext;
    return c === null ? null : cipher.decryptText(c, totpSecretLocation(id));
  }

  /**
   * Marks the stored TOTP secret confirmed (call after the first code it produced was
   * accepted). Answers whether it did: false when already confirmed or no secret is stored.
   */
  async confirmTotp(id: string, atMs: number): Promise<boolean> {
    const r = await this.db
      .updateTable('users')
      .set({ totp_confirmed_at: atMs })
      .where('id', '=', id)
      .where('totp_secret_ciphertext', 'is not', null)
      .where('totp_confirmed_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return r !== undefined;
  }

  /** Disables the user (they can no longer log in); false if already disabled. */
  async disable(id: string, atMs: number): Promise<boolean> {
    const r = await this.db
      .updateTable('users')
      .set({ disabled_at: atMs })
      .where('id', '=', id)
      .where('disabled_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (r === undefined && (await this.findById(id)) === null) throw notFound(id);
    return r !== undefined;
  }

  private async updateOne(id: string, set: Partial<UsersTable>): Promise<void> {
    const r = await this.db
      .updateTable('users')
      .set(set)
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    if (r === undefined) throw notFound(id);
  }
}

function notFound(id: string): KairosError {
  return new KairosError('USER_NOT_FOUND', `user ${id}: not found`);
}

function toSummary(r: UsersTable): UserSummary {
  return {
    id: r.id,
    username: r.username,
    role: r.role as Role,
    createdAt: Number(r.created_at),
    disabledAt: r.disabled_at === null ? null : Number(r.disabled_at),
    totpEnrolled: r.totp_secret_ciphertext !== null,
    totpConfirmedAt: r.totp_confirmed_at === null ? null : Number(r.totp_confirmed_at),
  };
}

function toRecord(r: UsersTable): UserRecord {
  return { ...toSummary(r), passwordHash: r.password_hash };
}
