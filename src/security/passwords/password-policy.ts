import { KairosError } from '../../trading/core/errors.js';
import { isCommonPassword } from './common-passwords.js';
import { normalizePassword } from './normalize-password.js';

/** Fewest characters (Unicode code points) a password may have. */
export const PASSWORD_MIN_LENGTH = 12;
/** Most characters (Unicode code points) a password may have; bounds the hashing work. */
export const PASSWORD_MAX_LENGTH = 128;

/** What the policy checks a new password against. */
export interface PasswordPolicyContext {
  /** The account's username; the password may not equal it (case-insensitive). */
  readonly username?: string;
  /** The input field named in the error message (default `password`). */
  readonly field?: string;
}

/**
 * Checks a new password (on sign-up, change or reset; never on login) and throws
 * `KairosError('PASSWORD_WEAK', '<field>: <rule>')` on the first rule it breaks:
 * 12–128 characters counted as Unicode code points, not the username, not a common password.
 * No composition rules (ASVS 6.2.5). The message never contains the password.
 *
 * @example
 * checkPasswordPolicy(body.newPassword, { username: 'alice', field: 'newPassword' });
 */
export function checkPasswordPolicy(password: string, context: PasswordPolicyContext = {}): void {
  const field = context.field ?? 'password';
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  const weak = (rule: string) => new KairosError('PASSWORD_WEAK', `${field}: ${rule}`);
  if (length < PASSWORD_MIN_LENGTH) {
    throw weak(`must be at least ${PASSWORD_MIN_LENGTH} characters (got ${length})`);
  }
  if (length > PASSWORD_MAX_LENGTH) {
    throw weak(`must be at most ${PASSWORD_MAX_LENGTH} characters (got ${length})`);
  }
  const username = context.username === undefined ? '' : normalizePassword(context.username);
  if (username.trim() !== '' && normalized.toLowerCase() === username.trim().toLowerCase()) {
    throw weak('must not be the same as the username');
  }
  if (isCommonPassword(normalized)) {
    throw weak('is one of the most common passwords; choose a less predictable one');
  }
}
