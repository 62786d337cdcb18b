import { AccountRepository, type AccountRecord } from '../store/account-repository.js';
import type { Store } from '../store/open-store.js';
import type { AccountInfo } from './account-runtime.js';

/**
 * The accounts a server knows and each user's default account, as last read from the store
 * (`refresh`: another instance creates and closes accounts too) or changed here.
 *
 * @example
 * const directory = new AccountDirectory(db);
 * await directory.refresh();
 * directory.defaultOf(userId); // 'acc-…', or null: their orders go to the shared account
 */
export class AccountDirectory {
  readonly #infos = new Map<string, AccountInfo>();
  readonly #defaults = new Map<string, string>();

  constructor(private readonly db: Store['db']) {}

  /**
   * Reads the accounts and default accounts from the store again; answers every account id,
   * those known first (the shared one).
   */
  async refresh(): Promise<string[]> {
    const repo = new AccountRepository(this.db);
    for (const a of await repo.list(null)) this.#infos.set(a.id, { ...a, shared: false });
    const defaults = await repo.defaults();
    this.#defaults.clear();
    for (const [user, account] of defaults) this.#defaults.set(user, account);
    return [...this.#infos.keys()];
  }

  has(accountId: string): boolean {
    return this.#infos.has(accountId);
  }

  get(accountId: string): AccountInfo | undefined {
    return this.#infos.get(accountId);
  }

  /** Remembers an account as it is now (the shared one, or one just closed). */
  set(info: AccountInfo): void {
    this.#infos.set(info.id, info);
  }

  all(): AccountInfo[] {
    return [...this.#infos.values()];
  }

  /** An account just stored: remembered, and its owner's default when it was made so. */
  registered(record: { a: AccountRecord; makeDefault: boolean }): AccountInfo {
    const info: AccountInfo = { ...record.a, shared: false };
    this.#infos.set(info.id, info);
    if (record.makeDefault) this.#defaults.set(info.ownerUserId!, info.id);
    return info;
  }

  /** Closed (stored as such): it trades no more. */
  disabled(accountId: string): boolean {
    return (this.#infos.get(accountId)?.disabledAt ?? null) !== null;
  }

  /** The user's default account; null when none is set (their orders go to the shared one). */
  defaultOf(userId: string): string | null {
    return this.#defaults.get(userId) ?? null;
  }

  /** Makes `accountId` the user's default; null: they have none. */
  setDefault(userId: string, accountId: string | null): void {
    if (accountId === null) this.#defaults.delete(userId);
    else this.#defaults.set(userId, accountId);
  }
}
