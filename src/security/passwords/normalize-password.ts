/**
 * The form a password is measured, checked and hashed in: Unicode NFKC, as NIST SP 800-63B
 * §5.1.1.2 suggests, so the same visible password typed on two keyboards (a precomposed "é" or
 * "e" + combining accent, a full-width digit) is the same password. Nothing is trimmed,
 * truncated or case-folded (ASVS 6.2.8).
 *
 * @example
 * normalizePassword('cafe\u0301') === normalizePassword('caf\u00e9'); // true
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}
