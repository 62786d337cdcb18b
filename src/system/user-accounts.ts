import type { EnvelopeCipher } from '../security/encryption/envelope-cipher.js';
import { PasswordHasher } from '../security/passwords/password-hasher.js';
import { checkPasswordPolicy } from '../security/passwords/password-policy.js';
import { isRole, ROLES } from '../security/roles/permissions.js';
import { generateRecoveryCodes, recoveryCodeHash } from '../security/totp/recovery-codes.js';
import { Totp } from '../security/totp/totp.js';
import { AuditRepository } from '../store/audit-repository.js';
import { MfaRepository } from '../store/mfa-repository.js';
import type { Store } from '../store/open-store.js';
import { normalizeUsername, UserRepository, type UserSummary } from '../store/user-repository.js';
import { KairosError } from '../trading/core/errors.js';

/** Who makes a change, as the audit log records it. */
export interface ChangeActor {
  readonly actor: string;
  readonly role: string;
}

/** A new user with the second factor they must enrol: shown once, never stored in clear. */
export interface CreatedAccount {
  readonly user: UserSummary;
  /** `otpauth://totp/Kairos:<username>?secret=…&issuer=Kairos`, for a QR code. */
  readonly otpauthUri: string;
  /** The base32 TOTP secret (stored encrypted). */
  readonly secret: string;
  /** Ten single-use recovery codes (stored as SHA-256 only). */
  readonly recoveryCodes: readonly string[];
}

/**
 * User administration shared by `kairos user` and the API: create a user with a TOTP secret and
 * recovery codes, list, disable. Each change and its audit row are one transaction.
 *
 * @example
 * const accounts = new UserAccounts(store.db, cipher);
 * const { otpauthUri, recoveryCodes } = await accounts.create(
 *   { username: 'tom', password, role: 'trader' }, { actor: 'ops', role: 'cli' });
 */
export class UserAccounts {
  constructor(
    private readonly db: Store['db'],
    private readonly cipher: EnvelopeCipher,
    private readonly now: () => number = Date.now,
    private readonly hasher: PasswordHasher = new PasswordHasher(),
  ) {}

  /**
   * Checks the username, role and password policy (`USER_INVALID`, `PASSWORD_WEAK`, naming the
   * field), then stores the user, their encrypted TOTP secret, the recovery-code hashes and a
   * `user.created` audit row (never the password or a secret) in one transaction.
   */
  async create(
    input: { readonly username: string; readonly password: string; readonly role: string },
    by: ChangeActor,
  ): Promise<CreatedAccount> {
    const username = normalizeUsername(input.username);
    if (!isRole(input.role)) {
      throw new KairosError('USER_INVALID', `role: must be one of ${ROLES.join(', ')}`);
    }
    checkPasswordPolicy(input.password, { username });
    const passwordHash = await this.hasher.hash(input.password);
    const totp = new Totp(this.now);
    const secret = totp.generateSecret();
    const recoveryCodes = generateRecoveryCodes();
    const ts = this.now();
    const user = await this.db.transaction().execute(async (tx) => {
      const users = new UserRepository(tx);
      const u = await users.create({ username, passwordHash, role: input.role, createdAt: ts });
      await users.setTotpSecret(u.id, secret, this.cipher);
      await new MfaRepository(tx).replaceRecoveryCodes(
        u.id,
        recoveryCodes.map((c) => recoveryCodeHash(c) as string),
      );
      await new AuditRepository(tx, this.now).append(
        {
          ts,
          actor: by.actor,
          role: by.role,
          action: 'user.created',
          subject: u.id,
          payload: {
            username: u.username,
            role: u.role,
            mfa: 'totp',
            recoveryCodes: recoveryCodes.length,
          },
        },
        tx,
      );
      return u;
    });
    const { passwordHash: _hash, ...summary } = { ...user, totpEnrolled: true };
    return {
      user: summary,
      otpauthUri: totp.keyUri(secret, user.username),
      secret,
      recoveryCodes,
    };
  }

  /** Every user, by username, without hashes or secrets. */
  list(): Promise<UserSummary[]> {
    return new UserRepository(this.db).list();
  }

  /**
   * Disables a user (they can no longer log in) with a `user.disabled` audit row, in one
   * transaction; `USER_NOT_FOUND` when unknown. Disabling a disabled user changes nothing and
   * writes no row. The caller revokes the user's sessions.
   */
  async disable(id: string, by: ChangeActor, reason: string | null = null): Promise<UserSummary> {
    const ts = this.now();
    return this.db.transaction().execute(async (tx) => {
      const users = new UserRepository(tx);
      if (await users.disable(id, ts)) {
        await new AuditRepository(tx, this.now).append(
          {
            ts,
            actor: by.actor,
            role: by.role,
            action: 'user.disabled',
            subject: id,
            payload: { reason },
          },
          tx,
        );
      }
      const { passwordHash: _hash, ...summary } = (await users.findById(id))!;
      return summary;
    });
  }
}
