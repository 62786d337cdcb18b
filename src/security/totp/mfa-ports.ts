import type { AttemptDecision, AttemptPolicy } from './attempt-limiter.js';

/**
 * Storage the second factor needs, per user. The Postgres repositories implement these in
 * `src/store`; `MemoryMfaStore` is the reference behaviour. Each write below that says
 * "atomically" must be a single conditional statement, so two requests racing cannot both win.
 */

/** The last TOTP time step accepted per user (RFC 6238 §5.2 replay protection). */
export interface TotpStepStore {
  /** The last accepted step, or `null` if none was ever accepted. */
  lastUsedStep(userId: string): Promise<number | null>;
  /**
   * Atomically stores `step` only if it is greater than the stored step (or none is stored);
   * answers whether it stored. SQL: `UPDATE … SET last_step = $2 WHERE user_id = $1 AND
   * (last_step IS NULL OR last_step < $2)`, then "one row updated".
   */
  setLastUsedStep(userId: string, step: number): Promise<boolean>;
}

/** Times (ms) of failed second-factor attempts per user, for the sliding-window limiter. */
export interface MfaFailureStore {
  /**
   * Atomically, per user: if fewer than `policy.maxFailures` attempts count since
   * `atMs - policy.windowMs`, records one more at `atMs` (a failure until `clearFailures`
   * forgets it) and answers allowed; otherwise records nothing and answers when the next may
   * come. So however many attempts race, on one instance or many, at most `maxFailures` are
   * evaluated per window. SQL: lock the user, count, insert, in one transaction.
   */
  reserveAttempt(userId: string, atMs: number, policy: AttemptPolicy): Promise<AttemptDecision>;
  /** Failure times after `sinceMs` (older ones may be deleted). */
  failuresSince(userId: string, sinceMs: number): Promise<readonly number[]>;
  recordFailure(userId: string, atMs: number): Promise<void>;
  /** Forgets the user's failures (after a success). */
  clearFailures(userId: string): Promise<void>;
}

/** Hashes of one-time recovery codes per user (`recoveryCodeHash`). */
export interface RecoveryCodeStore {
  /** Replaces all of the user's codes (old ones stop working). */
  replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void>;
  /**
   * Atomically marks the code with this hash used, if the user has it unused; answers whether
   * it did. SQL: `UPDATE … SET used_at = $3 WHERE user_id = $1 AND hash = $2 AND used_at IS NULL`.
   */
  consumeRecoveryCode(userId: string, hash: string, atMs: number): Promise<boolean>;
  /** How many unused codes the user has left. */
  remainingRecoveryCodes(userId: string): Promise<number>;
}

/** Everything `MfaVerifier` stores. */
export type MfaStore = TotpStepStore & MfaFailureStore & RecoveryCodeStore;
