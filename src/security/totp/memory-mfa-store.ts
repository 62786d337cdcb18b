import { checkAttempts, type AttemptDecision, type AttemptPolicy } from './attempt-limiter.js';
import type { MfaStore } from './mfa-ports.js';

/**
 * `MfaStore` in memory: for tests, and the reference for what the ports mean. Single process
 * only (the conditional writes are atomic because JavaScript runs them without interleaving).
 *
 * @example
 * const mfa = new MfaVerifier({ totp, store: new MemoryMfaStore(), now });
 */
export class MemoryMfaStore implements MfaStore {
  private readonly steps = new Map<string, number>();
  private readonly failures = new Map<string, number[]>();
  private readonly codes = new Map<string, Map<string, number | null>>();

  async lastUsedStep(userId: string): Promise<number | null> {
    return this.steps.get(userId) ?? null;
  }

  async setLastUsedStep(userId: string, step: number): Promise<boolean> {
    const last = this.steps.get(userId);
    if (last !== undefined && last >= step) return false;
    this.steps.set(userId, step);
    return true;
  }

  async failuresSince(userId: string, sinceMs: number): Promise<readonly number[]> {
    const kept = (this.failures.get(userId) ?? []).filter((t) => t > sinceMs);
    this.failures.set(userId, kept);
    return [...kept];
  }

  async reserveAttempt(
    userId: string,
    atMs: number,
    policy: AttemptPolicy,
  ): Promise<AttemptDecision> {
    const kept = (this.failures.get(userId) ?? []).filter((t) => t > atMs - policy.windowMs);
    const decision = checkAttempts(kept, atMs, policy);
    this.failures.set(userId, decision.allowed ? [...kept, atMs] : kept);
    return decision;
  }

  async recordFailure(userId: string, atMs: number): Promise<void> {
    this.failures.set(userId, [...(this.failures.get(userId) ?? []), atMs]);
  }

  async clearFailures(userId: string): Promise<void> {
    this.failures.delete(userId);
  }

  async replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void> {
    this.codes.set(userId, new Map(hashes.map((h) => [h, null])));
  }

  async consumeRecoveryCode(userId: string, hash: string, atMs: number): Promise<boolean> {
    const codes = this.codes.get(userId);
    if (codes?.get(hash) !== null) return false; // unknown (undefined) or already used
    codes.set(hash, atMs);
    return true;
  }

  async remainingRecoveryCodes(userId: string): Promise<number> {
    // Stryker disable next-line ArrayDeclaration: equivalent, a non-null placeholder is filtered out as used
    return [...(this.codes.get(userId)?.values() ?? [])].filter((u) => u === null).length;
  }
}
