import { createHash, randomInt } from 'node:crypto';

/** Codes issued at a time. */
export const RECOVERY_CODE_COUNT = 10;

// Crockford base32 (no i, l, o, u): 16 symbols × 5 bits = 80 random bits per code.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const SYMBOLS = 16;

/**
 * Fresh one-time recovery codes, formatted `xxxx-xxxx-xxxx-xxxx` (80 random bits each).
 * Show them to the user once; store only `recoveryCodeHash` of each.
 *
 * @example
 * const codes = generateRecoveryCodes(); // ['7k3m-q9x2-…', …]
 */
export function generateRecoveryCodes(count: number = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    let code = '';
    for (let i = 0; i < SYMBOLS; i++) {
      if (i > 0 && i % 4 === 0) code += '-';
      code += ALPHABET[randomInt(ALPHABET.length)];
    }
    return code;
  });
}

/**
 * The stored form of a recovery code: SHA-256 (hex) of the code normalised (case, dashes and
 * spaces ignored; `i`/`l` read as `1`, `o` as `0`), or `null` when the input cannot be a code.
 * A fast hash is enough here, unlike for passwords: with 80 random bits an offline search
 * needs about 2^79 SHA-256 runs per code, out of reach; argon2 is for low-entropy secrets.
 *
 * @example
 * recoveryCodeHash('7K3M Q9X2 …') === recoveryCodeHash('7k3m-q9x2-…'); // true
 */
export function recoveryCodeHash(code: string): string | null {
  const normalized = code
    .toLowerCase()
    .replace(/[\s-]/g, '')
    .replace(/[il]/g, '1')
    .replace(/o/g, '0');
  if (normalized.length !== SYMBOLS || ![...normalized].every((c) => ALPHABET.includes(c))) {
    return null;
  }
  return createHash('sha256').update(normalized).digest('hex');
}
