import { accountResource } from '../../src/system/account-leases.js';
import { SHARED_ACCOUNT } from '../../src/system/trading-accounts.js';
import { LeaseRepository } from '../../src/store/lease-repository.js';
import { openStore } from '../../src/store/open-store.js';
import { TEST_DATABASE_URL } from './postgres.js';

/**
 * Leaves the shared account (`desk`) of the install in Postgres `schema` held by an owner that is
 * gone (its lease not expired for 10 minutes): a server started there runs no core of it and no
 * instance answers its commands (each hand-off waits for nothing).
 */
export async function deskHeldByGoneOwner(schema: string): Promise<void> {
  const store = await openStore({ databaseUrl: TEST_DATABASE_URL, schema });
  try {
    const held = await new LeaseRepository(store.db).acquire(
      accountResource(SHARED_ACCOUNT),
      'gone',
      600_000,
    );
    if (held === null) throw new Error(`${schema}: the desk's lease is taken`);
  } finally {
    await store.close();
  }
}
