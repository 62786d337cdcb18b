import { KairosError } from '../trading/core/errors.js';

/** Seconds a client waits before retrying an order for an account owned elsewhere (`Retry-After`). */
export const OWNER_RETRY_AFTER_S = 1;

/**
 * An order (or cancel) for an account whose core runs on another instance, or on none during a
 * failover: 503 `ACCOUNT_OWNER_UNAVAILABLE` with `Retry-After`, nothing stored or sent; the client
 * retries with the same `Idempotency-Key` (`docs/scalability.md`, "Ownership"). The order hand-off
 * over Redis streams replaces this refusal with a hand-off to the owner (`docs/decisions/instances.md`).
 */
export function accountOwnerUnavailable(accountId: string): KairosError {
  return new KairosError(
    'ACCOUNT_OWNER_UNAVAILABLE',
    `accountId: account ${accountId} is traded by another instance (or is being taken over); nothing was stored, retry with the same Idempotency-Key`,
  );
}
