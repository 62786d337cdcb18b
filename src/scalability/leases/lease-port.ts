import { KairosError } from '../../trading/core/errors.js';

/** A lease held: `owner` may write for `resource`, each write carrying `token`, until `expiresAt`. */
export interface Lease {
  readonly resource: string;
  readonly owner: string;
  /** The fencing token: grows by one each time the resource changes hands. */
  readonly token: number;
  /** Until when, in ms of the lease store's clock (not this process's). */
  readonly expiresAt: number;
}

/** Where leases live (`store/lease-repository.ts`: the database the fenced writes go to). */
export interface LeasePort {
  /** Takes `resource` when free, expired or released (next token), renews it when `owner`'s. */
  acquire(resource: string, owner: string, ttlMs: number): Promise<Lease | null>;
  /** Extends a lease still held; null when it was lost. */
  renew(held: Lease, ttlMs: number): Promise<Lease | null>;
  /** Hands it back at once. */
  release(held: Lease): Promise<void>;
}

/** A write refused because its owner no longer holds the lease (`LEASE_LOST`: nothing written). */
export function isLeaseLost(e: unknown): boolean {
  return e instanceof KairosError && e.code === 'LEASE_LOST';
}
