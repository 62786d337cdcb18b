import { MFA_ATTEMPT_POLICY } from './attempt-limiter.js';
import type { AttemptPolicy } from './attempt-limiter.js';
import type { MfaStore } from './mfa-ports.js';
import { generateRecoveryCodes, recoveryCodeHash } from './recovery-codes.js';
import type { Totp, TotpFailure } from './totp.js';

/** Why a second-factor attempt failed. `MFA_LOCKED` carries when the next attempt may come. */
export type MfaFailure =
  | { readonly ok: false; readonly reason: TotpFailure }
  | { readonly ok: false; readonly reason: 'MFA_LOCKED'; readonly retryAt: number };

/** The outcome of one second-factor attempt. */
export type MfaResult =
  | { readonly ok: true; readonly method: 'totp'; readonly step: number }
  | { readonly ok: true; readonly method: 'recovery-code'; readonly remaining: number }
  | MfaFailure;

/** What `MfaVerifier` needs. */
export interface MfaVerifierDeps {
  readonly totp: Totp;
  readonly store: MfaStore;
  /** Wall-clock ms; the same clock `totp` uses. */
  readonly now: () => number;
  readonly policy?: AttemptPolicy;
}

/**
 * The second factor for one account: TOTP with replay refusal, one-time recovery codes, and
 * one failure limiter shared by both (5 per 15 min by default). The limiter runs after the
 * password has been verified, so nobody without the password can lock an account out.
 * The API answers every failure the same way (401, or 429 with `Retry-After` when locked); the
 * reason codes are for the audit log.
 *
 * Each attempt first reserves its place atomically in the store (`reserveAttempt`: counted as
 * a failure until it succeeds), so twenty guesses sent at once, to one instance or several,
 * see at most `maxFailures` evaluated per window.
 *
 * @example
 * const r = await mfa.verifyTotp(user.id, decrypt(user.totpSecret), body.code);
 * if (!r.ok) return reply.code(r.reason === 'MFA_LOCKED' ? 429 : 401).send(problem(r));
 */
export class MfaVerifier {
  private readonly policy: AttemptPolicy;

  constructor(private readonly deps: MfaVerifierDeps) {
    this.policy = deps.policy ?? MFA_ATTEMPT_POLICY;
  }

  /** Checks a TOTP code; on success stores its step so it is never accepted again. */
  async verifyTotp(userId: string, secret: string, code: string): Promise<MfaResult> {
    const locked = await this.reserve(userId);
    if (locked) return locked;
    const { store, totp } = this.deps;
    const r = await totp.verify(secret, code, await store.lastUsedStep(userId));
    if (!r.ok) return { ok: false, reason: r.reason };
    // A parallel request may have used this step (or a later one) since we read it.
    if (!(await store.setLastUsedStep(userId, r.step))) {
      return { ok: false, reason: 'MFA_CODE_REPLAYED' };
    }
    await store.clearFailures(userId);
    return { ok: true, method: 'totp', step: r.step };
  }

  /** Uses one recovery code: accepted once, then gone. */
  async useRecoveryCode(userId: string, code: string): Promise<MfaResult> {
    const locked = await this.reserve(userId);
    if (locked) return locked;
    const { store, now } = this.deps;
    const hash = recoveryCodeHash(code);
    if (hash === null || !(await store.consumeRecoveryCode(userId, hash, now()))) {
      return { ok: false, reason: 'MFA_CODE_INVALID' };
    }
    await store.clearFailures(userId);
    return {
      ok: true,
      method: 'recovery-code',
      remaining: await store.remainingRecoveryCodes(userId),
    };
  }

  /** Issues a fresh set of recovery codes (the old set stops working); show them once. */
  async issueRecoveryCodes(userId: string): Promise<string[]> {
    const codes = generateRecoveryCodes();
    await this.deps.store.replaceRecoveryCodes(
      userId,
      codes.map((c) => recoveryCodeHash(c) as string),
    );
    return codes;
  }

  /** Reserves one attempt (recorded as a failure until a success clears it), or says locked. */
  private async reserve(userId: string): Promise<MfaFailure | null> {
    const d = await this.deps.store.reserveAttempt(userId, this.deps.now(), this.policy);
    return d.allowed ? null : { ok: false, reason: 'MFA_LOCKED', retryAt: d.retryAt };
  }
}
