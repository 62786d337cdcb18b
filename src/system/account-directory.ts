import { AccountRepository, type AccountRecord } from '../store/account-repository.js';
import type { Store } from '../store/open-store.js';
import type { AccountInfo } from './account-runtime.js';

/**
 * The accounts a server knows and each user's default account, as last read from the store
 * (`refresh`, `refreshAccount`, `refreshOwner`: another instance creates, closes and reopens
 * accounts and sets defaults too) or changed here. A change made here while a read was under way
 * is kept: this instance changes an account only after the store did, so what it holds then is
 * at least as new as what the read saw.
 *
 * @example
 * const directory = new AccountDirectory(db);
 * await directory.refresh();
 * directory.defaultOf(userId); // 'acc-…', or null: their orders go to the shared account
 */
export class AccountDirectory {
  readonly #infos = new Map<string, AccountInfo>();
  readonly #defaults = new Map<string, string>();
  /** A count of the changes made here; the count at each account's and user's last change. */
  #changes = 0;
  readonly #changedAt = new Map<string, number>();
  readonly #defaultChangedAt = new Map<string, number>();

  constructor(private readonly db: Store['db']) {}

  /**
   * Reads the accounts and default accounts from the store again; answers every account id,
   * those known first (the shared one).
   */
  async refresh(): Promise<string[]> {
    const since = this.#changes;
    const repo = new AccountRepository(this.db);
    const accounts = await repo.list(null);
    const defaults = await repo.defaults();
    for (const a of accounts) this.#read(a, since);
    for (const user of [...this.#defaults.keys()])
      if (!defaults.has(user)) this.#readDefault(user, null, since);
    for (const [user, account] of defaults) this.#readDefault(user, account, since);
    return [...this.#infos.keys()];
  }

  /** Reads one account and its owner's default account from the store again (unknown: nothing). */
  async refreshAccount(accountId: string): Promise<void> {
    const since = this.#changes;
    const repo = new AccountRepository(this.db);
    const a = await repo.find(accountId);
    if (!a) return;
    const defaultId = await repo.defaultOf(a.ownerUserId);
    this.#read(a, since);
    this.#readDefault(a.ownerUserId, defaultId, since);
  }

  /** Reads one user's accounts and default account from the store again. */
  async refreshOwner(userId: string): Promise<void> {
    const since = this.#changes;
    const repo = new AccountRepository(this.db);
    const accounts = await repo.list(userId);
    const defaultId = await repo.defaultOf(userId);
    for (const a of accounts) this.#read(a, since);
    this.#readDefault(userId, defaultId, since);
  }

  /** A stored account read since change `since`: taken unless it changed here meanwhile. */
  #read(a: AccountRecord, since: number): void {
    if ((this.#changedAt.get(a.id) ?? -1) > since) return;
    this.#infos.set(a.id, { ...a, shared: false });
  }

  #readDefault(userId: string, accountId: string | null, since: number): void {
    if ((this.#defaultChangedAt.get(userId) ?? -1) > since) return;
    if (accountId === null) this.#defaults.delete(userId);
    else this.#defaults.set(userId, accountId);
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
    this.#changedAt.set(info.id, ++this.#changes);
  }

  all(): AccountInfo[] {
    return [...this.#infos.values()];
  }

  /** An account just stored: remembered, and its owner's default when it was made so. */
  registered(record: { a: AccountRecord; makeDefault: boolean }): AccountInfo {
    const info: AccountInfo = { ...record.a, shared: false };
    this.set(info);
    if (record.makeDefault) this.setDefault(info.ownerUserId!, info.id);
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
    this.#defaultChangedAt.set(userId, ++this.#changes);
  }
}
