import { AccountRepository, type AccountRecord } from '../store/account-repository.js';
import { AuditRepository } from '../store/audit-repository.js';
import type { Store } from '../store/open-store.js';
import { KairosError } from '../trading/core/errors.js';
import type { ChangeActor } from './user-accounts.js';

/** Where the accounts are stored, and the wall clock of their audit rows. */
export interface AccountStore {
  readonly db: Store['db'];
  /** Wall-clock ms. */
  readonly now: () => number;
}

/**
 * Stores a new account with its audit row (`account.created`) and, when asked or when the owner
 * has none, makes it the owner's default, all in one transaction.
 *
 * @example
 * const { a, makeDefault } = await storeAccount(cfg, userId, record, false, by);
 */
export function storeAccount(
  store: AccountStore,
  ownerUserId: string,
  a: Omit<AccountRecord, 'ownerUserId' | 'createdAt' | 'disabledAt'>,
  makeItDefault: boolean,
  by: ChangeActor,
): Promise<{ a: AccountRecord; makeDefault: boolean }> {
  const createdAt = store.now();
  return store.db.transaction().execute(async (tx) => {
    const repo = new AccountRepository(tx);
    const stored = await repo.create({ ...a, ownerUserId, createdAt });
    const makeDefault = makeItDefault || (await repo.defaultOf(ownerUserId)) === null;
    if (makeDefault) await repo.setDefault(ownerUserId, a.id);
    await new AuditRepository(tx, store.now).append(
      {
        ts: createdAt,
        actor: by.actor,
        role: by.role,
        action: 'account.created',
        subject: a.id,
        payload: {
          owner: ownerUserId,
          name: stored.name,
          mode: stored.mode,
          venue: stored.venue,
          ...(stored.credentialId === null ? {} : { credentialId: stored.credentialId }),
          startingCash: stored.startingCash,
          currency: stored.currency,
          default: makeDefault,
        },
      },
      tx,
    );
    return { a: stored, makeDefault };
  });
}

/**
 * Stores an account as closed at `ts` with its audit row (`account.closed`), in one transaction
 * (`ACCOUNT_DISABLED` when it was already). If it was its owner's default, their oldest other
 * open account becomes the default; answers that one (null: none), undefined when the default
 * did not change.
 */
export function storeClosed(
  store: AccountStore,
  account: { readonly id: string; readonly owner: string; readonly name: string },
  ts: number,
  by: ChangeActor,
): Promise<string | null | undefined> {
  const { id: accountId, owner } = account;
  return store.db.transaction().execute(async (tx) => {
    const repo = new AccountRepository(tx);
    if (!(await repo.disable(accountId, ts)))
      throw new KairosError('ACCOUNT_DISABLED', `account ${accountId}: already closed`);
    let next: string | null | undefined;
    if ((await repo.defaultOf(owner)) === accountId) {
      next =
        (await repo.list(owner)).find((a) => a.disabledAt === null && a.id !== accountId)?.id ??
        null;
      await repo.setDefault(owner, next);
    }
    await new AuditRepository(tx, store.now).append(
      {
        ts,
        actor: by.actor,
        role: by.role,
        action: 'account.closed',
        subject: accountId,
        payload: { owner, name: account.name, ...(next === undefined ? {} : { default: next }) },
      },
      tx,
    );
    return next;
  });
}

/**
 * Stores a closed account as open again with its audit row (`account.reopened`), in one
 * transaction (`ACCOUNT_NAME_TAKEN` when its owner opened another of its name since). When its
 * owner has no default account, it becomes theirs. Answers whether it did; null when it was
 * open already (nothing written).
 */
export function storeReopened(
  store: AccountStore,
  account: { readonly id: string; readonly owner: string; readonly name: string },
  by: ChangeActor,
): Promise<boolean | null> {
  const ts = store.now();
  return store.db.transaction().execute(async (tx) => {
    const repo = new AccountRepository(tx);
    if (!(await repo.enable(account.id))) return null;
    const makeDefault = (await repo.defaultOf(account.owner)) === null;
    if (makeDefault) await repo.setDefault(account.owner, account.id);
    await new AuditRepository(tx, store.now).append(
      {
        ts,
        actor: by.actor,
        role: by.role,
        action: 'account.reopened',
        subject: account.id,
        payload: { owner: account.owner, name: account.name, default: makeDefault },
      },
      tx,
    );
    return makeDefault;
  });
}

/** Stores `accountId` as `userId`'s default account with its audit row, in one transaction. */
export async function storeDefault(
  store: AccountStore,
  userId: string,
  accountId: string,
  by: ChangeActor,
): Promise<void> {
  const ts = store.now();
  await store.db.transaction().execute(async (tx) => {
    await new AccountRepository(tx).setDefault(userId, accountId);
    await new AuditRepository(tx, store.now).append(
      {
        ts,
        actor: by.actor,
        role: by.role,
        action: 'account.default_set',
        subject: accountId,
        payload: { owner: userId },
      },
      tx,
    );
  });
}
