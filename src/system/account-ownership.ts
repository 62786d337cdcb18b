/** A change in which accounts this instance trades. */
export interface OwnershipChange {
  readonly accountId: string;
  /** True: this instance took the account (its core is open and recovered); false: gave it up. */
  readonly owned: boolean;
}

/**
 * Which accounts this instance owns (runs the execution core of), and when that changes
 * (`docs/decisions/instances.md`). One instance alone owns every account (`SOLE_OWNER`); several
 * behind a load balancer share them through leases, and an order for an account another instance
 * owns is handed to it.
 */
export interface AccountOwnership {
  /** True while this instance holds the account's lease and its core is open. */
  owns(accountId: string): boolean;
  /** `fn` hears each account taken or given up from now on; returns the unsubscribe. */
  watch(fn: (change: OwnershipChange) => void): () => void;
}

/** The single instance: it owns every account, and that never changes. */
export const SOLE_OWNER: AccountOwnership = { owns: () => true, watch: () => () => undefined };
