/** How many failed second-factor attempts an account may make in a sliding window. */
export interface AttemptPolicy {
  readonly maxFailures: number;
  readonly windowMs: number;
}

/** 5 failures per 15 minutes per account: at most 480 guesses a day at a 6-digit code. */
export const MFA_ATTEMPT_POLICY: AttemptPolicy = { maxFailures: 5, windowMs: 15 * 60_000 };

/** Whether one more attempt may be checked now, and if not, from when it may. */
export type AttemptDecision =
  | { readonly allowed: true; readonly remaining: number }
  | { readonly allowed: false; readonly retryAt: number };

/**
 * Sliding-window limiter, pure: given the times (ms) of the account's recent failures, decides
 * whether another attempt may be checked at `now`. A failure counts while
 * `now - windowMs < t`; once `maxFailures` count, attempts are refused (without being checked,
 * even a correct code) until the oldest of them leaves the window at `retryAt`.
 *
 * @example
 * checkAttempts([t0, t0 + 1, t0 + 2, t0 + 3, t0 + 4], t0 + 10); // { allowed: false, retryAt: t0 + 900_000 }
 */
export function checkAttempts(
  failureTimes: readonly number[],
  now: number,
  policy: AttemptPolicy = MFA_ATTEMPT_POLICY,
): AttemptDecision {
  const recent = failureTimes.filter((t) => t > now - policy.windowMs).sort((a, b) => a - b);
  if (recent.length < policy.maxFailures) {
    return { allowed: true, remaining: policy.maxFailures - recent.length };
  }
  const oldestCounted = recent[recent.length - policy.maxFailures] as number;
  return { allowed: false, retryAt: oldestCounted + policy.windowMs };
}
