/**
 * How many accounts one instance should own: the accounts divided among the live instances,
 * rounded up (at least one instance counts: the one asking). Every account then has room on some
 * instance, and none owns more than one above another.
 *
 * @example
 * fairShare(7, 3); // 3
 */
export function fairShare(accounts: number, instances: number): number {
  if (accounts <= 0) return 0;
  return Math.ceil(accounts / Math.max(1, instances));
}

/** What an instance does in one round: leases to try to take, accounts to hand back. */
export interface SharePlan {
  /** Accounts whose lease to try, in this order, until `want` more are held. */
  readonly tryTake: readonly string[];
  readonly want: number;
  /** Accounts held beyond the fair share, to hand back gracefully. */
  readonly release: readonly string[];
}

/**
 * One round of an instance (`docs/scalability.md`, "Ownership"): below its fair share it tries
 * the accounts it does not hold (in an order of its own, so equal instances reach for different
 * accounts first); above it, it hands back the surplus (the most recently taken last kept).
 *
 * @example
 * planShare({ accounts: ['a', 'b', 'c'], held: ['a', 'b', 'c'], instances: 2, order: (ids) => ids });
 * // { tryTake: [], want: 0, release: ['c'] }
 */
export function planShare(o: {
  readonly accounts: readonly string[];
  /** What this instance holds now, oldest first. */
  readonly held: readonly string[];
  readonly instances: number;
  /** This instance's preference among the accounts it does not hold. */
  readonly order: (ids: readonly string[]) => readonly string[];
}): SharePlan {
  const known = new Set(o.accounts);
  const held = o.held.filter((id) => known.has(id));
  const share = fairShare(o.accounts.length, o.instances);
  const mine = new Set(o.held);
  if (held.length > share) return { tryTake: [], want: 0, release: held.slice(share) };
  return {
    tryTake: o.order(o.accounts.filter((id) => !mine.has(id))),
    want: share - held.length,
    release: [],
  };
}
