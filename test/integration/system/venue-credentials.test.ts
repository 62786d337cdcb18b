import { randomBytes } from 'node:crypto';
import { EnvelopeCipher } from '../../../src/security/encryption/envelope-cipher.js';
import { LocalKeyProvider } from '../../../src/security/encryption/local-key-provider.js';
import { CredentialRepository } from '../../../src/store/credential-repository.js';
import { UserRepository } from '../../../src/store/user-repository.js';
import { openVenueCredential } from '../../../src/system/venue-credentials.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g';

describe.each(DIALECTS)('openVenueCredential on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  const cipher = new EnvelopeCipher(LocalKeyProvider.fromKey(randomBytes(32)));
  const ids: Record<string, string> = {};
  const open = (ref: string, venue = 'binance', username?: string) =>
    openVenueCredential(
      store.db,
      cipher,
      { ref, venue, ...(username ? { username } : {}), usedBy: 'test', actor: 'ops' },
      () => 5_000,
    );

  beforeAll(async () => {
    store = await freshStore(dialect);
    const users = new UserRepository(store.db);
    const creds = new CredentialRepository(store.db, cipher);
    for (const name of ['alice', 'bob', 'carol']) {
      const u = await users.create({
        username: name,
        passwordHash: HASH,
        role: 'trader',
        createdAt: 1,
      });
      ids[name] = u.id;
    }
    const add = async (owner: string, venue: string, label: string) =>
      (ids[`${owner}/${venue}/${label}`] = (
        await creds.add({
          ownerUserId: ids[owner]!,
          venue,
          label,
          apiKey: `${owner}-${venue}-${label}-key`,
          secret: `${owner}-${venue}-${label}-secret`,
          createdAt: 2,
        })
      ).id);
    await add('alice', 'binance', 'main');
    await add('alice', 'kraken', 'kr');
    await add('bob', 'binance', 'main');
    await add('carol', 'binance', 'solo');
    await users.disable(ids.carol!, 3);
  });
  afterAll(async () => {
    await store.drop();
  });

  it('opens a credential by label of a user, or by id, and audits the use', async () => {
    const a = await open('main', 'binance', 'alice');
    expect(a.secrets).toEqual({
      apiKey: 'alice-binance-main-key',
      secret: 'alice-binance-main-secret',
    });
    expect(a.summary.id).toBe(ids['alice/binance/main']);
    const b = await open(ids['bob/binance/main']!);
    expect(b.secrets.apiKey).toBe('bob-binance-main-key');
    const rows = await store.db
      .selectFrom('audit_log')
      .select(['actor', 'role', 'action', 'subject', 'ts'])
      .where('action', '=', 'credential.used')
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => [r.actor, r.role, r.subject, Number(r.ts)])).toEqual([
      ['ops', 'cli', ids['alice/binance/main'], 5_000],
      ['ops', 'cli', ids['bob/binance/main'], 5_000],
    ]);
    expect(
      JSON.stringify(await store.db.selectFrom('audit_log').selectAll().execute()),
    ).not.toMatch(/-key|-secret/);
  });

  it('refuses, naming the flag: unknown, another venue, ambiguous, another owner, disabled owner', async () => {
    await expect(open('nope', 'binance', 'alice')).rejects.toMatchObject({
      code: 'CREDENTIAL_NOT_FOUND',
      message:
        '--credential: no stored credential "nope" of user "alice" (see kairos credential list)',
    });
    await expect(open('kr')).rejects.toMatchObject({
      code: 'CREDENTIAL_WRONG_VENUE',
      message: '--credential: "kr" is a credential for kraken, not binance',
    });
    await expect(open('main')).rejects.toMatchObject({
      code: 'CREDENTIAL_AMBIGUOUS',
      message:
        '--credential: several users have a binance credential "main"; add --user <username>',
    });
    await expect(open(ids['bob/binance/main']!, 'binance', 'alice')).rejects.toMatchObject({
      code: 'CREDENTIAL_NOT_FOUND',
    });
    await expect(open('solo')).rejects.toMatchObject({
      code: 'CREDENTIAL_OWNER_DISABLED',
      message: '--credential: "solo" belongs to disabled user "carol"',
    });
    await expect(open('main', 'binance', 'dave')).rejects.toMatchObject({
      code: 'USER_NOT_FOUND',
      message: '--user: no user "dave"',
    });
  });
});
