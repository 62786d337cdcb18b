import type { EnvelopeCipher } from '../../src/security/encryption/envelope-cipher.js';
import { CredentialRepository } from '../../src/store/credential-repository.js';
import type { Store } from '../../src/store/open-store.js';
import { UserRepository } from '../../src/store/user-repository.js';

/** An argon2id hash in the stored format (no one logs in with it). */
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g';

/**
 * Makes the admin `rita` and `count` Binance credentials of hers (labels k0…, API keys key-0…,
 * secrets `<prefix>0`…) under `cipher`; answers each credential's id with its secret.
 */
export async function seedCredentials(
  db: Store['db'],
  cipher: EnvelopeCipher,
  count: number,
  prefix: string,
): Promise<Map<string, string>> {
  const u = await new UserRepository(db).create({
    username: 'rita',
    passwordHash: HASH,
    role: 'admin',
    createdAt: 1,
  });
  const creds = new CredentialRepository(db, cipher);
  const secrets = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const secret = `${prefix}${i}`;
    const c = await creds.add({
      ownerUserId: u.id,
      venue: 'binance',
      label: `k${i}`,
      apiKey: `key-${i}`,
      secret,
      createdAt: i,
    });
    secrets.set(c.id, secret);
  }
  return secrets;
}
