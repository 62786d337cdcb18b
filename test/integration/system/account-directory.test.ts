import { AccountRepository } from '../../../src/store/account-repository.js';
import { UserRepository } from '../../../src/store/user-repository.js';
import { AccountDirectory } from '../../../src/system/account-directory.js';
import { freshStore } from '../../support/stores.js';

type Store = Awaited<ReturnType<typeof freshStore>>;
type Read = 'refresh' | 'refreshAccount' | 'refreshOwner';

/**
 * The accounts an instance knows, read again from the store (every lease round, and before each
 * `GET /accounts` or `/accounts/{id}` on an instance of several): a change this instance made
 * while a read was under way (a close, a reopen, a new default: each stored first) is kept, never
 * put back to what the read saw before it. Until 2026-12-07 the lease round's read put it back:
 * an account closed here read `open` until the next round.
 */
describe('AccountDirectory: a read from the store never undoes a change made here meanwhile', () => {
  let store: Store;
  const user = 'u-dir';
  const ids = ['acc-dir-1', 'acc-dir-2'];

  beforeAll(async () => {
    store = await freshStore('postgres');
    await new UserRepository(store.db).create({
      id: user,
      username: 'dir',
      passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
      role: 'trader',
      createdAt: 1,
    });
    const repo = new AccountRepository(store.db);
    for (const [i, id] of ids.entries())
      await repo.create({
        id,
        ownerUserId: user,
        venue: 'PAPER',
        mode: 'paper',
        name: `n${i}`,
        credentialId: null,
        startingCash: '100',
        currency: 'USD',
        createdAt: 10 + i,
      });
    await repo.setDefault(user, ids[0]!);
  });
  afterAll(() => store?.drop());

  const read = (d: AccountDirectory, how: Read) =>
    how === 'refresh'
      ? d.refresh()
      : how === 'refreshAccount'
        ? d.refreshAccount(ids[0]!)
        : d.refreshOwner(user);

  it.each<Read>(['refresh', 'refreshAccount', 'refreshOwner'])(
    '%s: a close and a default made here during the read stay; the store is read otherwise',
    async (how) => {
      const d = new AccountDirectory(store.db);
      await d.refresh();
      expect([d.disabled(ids[0]!), d.defaultOf(user)]).toEqual([false, ids[0]]);
      // Closed here (stored first; this store is left as it was: the read sees it open) while
      // a read is under way, and the default moved.
      const reading = read(d, how);
      d.set({ ...d.get(ids[0]!)!, disabledAt: 99 });
      d.setDefault(user, ids[1]!);
      await reading;
      expect([d.disabled(ids[0]!), d.defaultOf(user)]).toEqual([true, ids[1]]);
      // A read begun after the change takes the store's.
      await read(d, how);
      expect([d.disabled(ids[0]!), d.defaultOf(user)]).toEqual([false, ids[0]]);
    },
  );
});
