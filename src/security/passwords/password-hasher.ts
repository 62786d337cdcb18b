import { hash, hashSync, parseOptions, verify } from '@node-rs/argon2';
import type { Algorithm, Options } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { KairosError } from '../../trading/core/errors.js';
import { normalizePassword } from './normalize-password.js';

/** Argon2id cost parameters (memory in KiB). */
export interface Argon2Params {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** The argon2 runs a hasher makes: the library's by default (a test may count them). */
export interface Argon2Runner {
  hash(password: string, options: Options): Promise<string>;
  verify(hashed: string, password: string): Promise<boolean>;
}

const LIBRARY: Argon2Runner = { hash, verify };

/** The OWASP Password Storage Cheat Sheet minimum for argon2id: m = 19 MiB, t = 2, p = 1. */
export const ARGON2ID_MIN: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

// `Algorithm` is an ambient const enum, which `isolatedModules` cannot read: 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;
const ARGON2_V13 = 1;
const OUTPUT_LEN = 32;

// A hash of a random string nobody knows, made with ARGON2ID_MIN: the constant-work path for
// an unknown user verifies against it so both answers cost one argon2id run with these params.
const DUMMY_HASH_MIN =
  '$argon2id$v=19$m=19456,t=2,p=1$v2kD9bvTJhLh2IKDfgM5Yg$LJXg6pVgpwrG561f12CDEIhwVJYW/qc7qWQiPDpXMzQ';

/**
 * Hashes and verifies passwords with argon2id (PHC string format, random 16-byte salt).
 * Passwords are NFKC-normalised first (see `normalizePassword`).
 *
 * @example
 * const hasher = new PasswordHasher();
 * const stored = await hasher.hash('correct horse battery staple');
 * // at login, with `row` possibly undefined for an unknown user:
 * const ok = await hasher.verifyOrDummy(row?.passwordHash, body.password);
 * if (ok && hasher.needsRehash(row!.passwordHash)) await save(await hasher.hash(body.password));
 */
export class PasswordHasher {
  private readonly options: Options;
  /** What `dummyVerify` verifies against: a hash of unknown random bytes, with `params`. */
  readonly dummyHash: string;

  /**
   * @param params cost parameters; refused below `ARGON2ID_MIN` (`CONFIG_INVALID`).
   * @param argon2 what runs argon2 (default: `@node-rs/argon2`).
   */
  constructor(
    readonly params: Argon2Params = ARGON2ID_MIN,
    private readonly argon2: Argon2Runner = LIBRARY,
  ) {
    for (const k of ['memoryCost', 'timeCost', 'parallelism'] as const) {
      if (!Number.isInteger(params[k]) || params[k] < ARGON2ID_MIN[k]) {
        throw new KairosError(
          'CONFIG_INVALID',
          `argon2 ${k}: must be an integer ≥ ${ARGON2ID_MIN[k]}`,
        );
      }
    }
    this.options = { algorithm: ARGON2ID, outputLen: OUTPUT_LEN, ...params };
    this.dummyHash = sameParams(params, ARGON2ID_MIN)
      ? DUMMY_HASH_MIN
      : hashSync(randomBytes(32), this.options);
  }

  /** A new PHC hash, e.g. `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`. */
  hash(password: string): Promise<string> {
    return this.argon2.hash(normalizePassword(password), this.options);
  }

  /**
   * Whether `password` matches `stored` (the parameters are read from the hash, so old hashes
   * keep working after a cost change). Throws `PASSWORD_HASH_INVALID` if `stored` is not an
   * argon2 PHC string: a corrupt row, never a wrong password.
   */
  async verify(stored: string, password: string): Promise<boolean> {
    if (!stored.startsWith('$argon2')) {
      throw new KairosError('PASSWORD_HASH_INVALID', 'stored password hash is not an argon2 hash');
    }
    try {
      return await this.argon2.verify(stored, normalizePassword(password));
    } catch (cause) {
      throw new KairosError('PASSWORD_HASH_INVALID', 'stored password hash is malformed', {
        cause,
      });
    }
  }

  /**
   * Burns the same work as one `verify` and answers `false`: call it when the user does not
   * exist so "unknown user" and "wrong password" cost the same and answer the same.
   */
  async dummyVerify(password: string): Promise<false> {
    await this.argon2.verify(this.dummyHash, normalizePassword(password));
    return false;
  }

  /** `verify` when there is a stored hash, `dummyVerify` when there is none. */
  verifyOrDummy(stored: string | undefined | null, password: string): Promise<boolean> {
    return stored == null ? this.dummyVerify(password) : this.verify(stored, password);
  }

  /**
   * Whether `stored` was made with weaker settings than this hasher's (another algorithm or
   * version, less memory, fewer passes, less parallelism, a shorter output) and should be
   * re-hashed after the next successful login.
   */
  needsRehash(stored: string): boolean {
    try {
      const o = parseOptions(stored);
      return (
        o.algorithm !== ARGON2ID ||
        o.version !== ARGON2_V13 ||
        o.memoryCost < this.params.memoryCost ||
        o.timeCost < this.params.timeCost ||
        o.parallelism < this.params.parallelism ||
        o.outputLen < OUTPUT_LEN
      );
    } catch {
      return true;
    }
  }
}

function sameParams(a: Argon2Params, b: Argon2Params): boolean {
  return (
    a.memoryCost === b.memoryCost && a.timeCost === b.timeCost && a.parallelism === b.parallelism
  );
}
