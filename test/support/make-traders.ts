import path from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import { openFieldKeys } from '../../src/system/field-cipher.js';
import { UserAccounts } from '../../src/system/user-accounts.js';
import { TEST_DATABASE_URL } from './postgres.js';
import { migratedSchema } from './stores.js';

/**
 * Makes the traders `names` with `password` in the install at `home` whose store is the new
 * `schema` of the test Postgres (made from the migrated schema's script, `migratedSchema`), in
 * this process, as `kairos user create <name> --role trader` makes them
 * (`UserAccounts` on the store, the TOTP secrets sealed with the home's field keys, made here if
 * new; that command has its own e2e tests): a `kairos` process fewer per trader (~1.5 s of CPU
 * each). Answers each trader's TOTP secret.
 *
 * @example
 * const secrets = await makeTraders(home, schema, ['tom'], 'a long passphrase');
 */
export async function makeTraders(
  home: string,
  schema: string,
  names: readonly string[],
  password: string,
): Promise<Map<string, string>> {
  const secrets = new Map<string, string>();
  const keys = await openFieldKeys(path.join(home, 'keys'), {
    keyId: undefined,
    region: 'us-east-1',
    endpoint: undefined,
  });
  await migratedSchema(schema);
  const store = await openStore({ databaseUrl: TEST_DATABASE_URL, schema });
  try {
    const users = new UserAccounts(store.db, keys.cipher());
    for (const username of names) {
      const made = await users.create(
        { username, password, role: 'trader' },
        { actor: 'ops', role: 'cli' },
      );
      secrets.set(username, made.secret);
    }
  } finally {
    keys.close();
    await store.close();
  }
  return secrets;
}
