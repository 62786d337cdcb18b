import type { AccountOwnership, OwnershipChange } from '../../src/system/account-ownership.js';

/**
 * An `AccountOwnership` a test sets: every account, or those it gives; `take` and `give` tell
 * the watchers, as a lease won or lost would.
 */
export class TestOwnership implements AccountOwnership {
  readonly #owned = new Set<string>();
  readonly #watchers = new Set<(change: OwnershipChange) => void>();

  /** `every`: owns each account (those it is told to `take` are also announced). */
  constructor(private readonly every = false) {}

  owns(accountId: string): boolean {
    return this.every || this.#owned.has(accountId);
  }

  watch(fn: (change: OwnershipChange) => void): () => void {
    this.#watchers.add(fn);
    return () => this.#watchers.delete(fn);
  }

  take(accountId: string): void {
    this.#owned.add(accountId);
    for (const fn of this.#watchers) fn({ accountId, owned: true });
  }

  give(accountId: string): void {
    this.#owned.delete(accountId);
    for (const fn of this.#watchers) fn({ accountId, owned: false });
  }
}
