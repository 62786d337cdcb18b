import type { EnvelopeCipher } from '../security/encryption/envelope-cipher.js';
import { AuditRepository } from '../store/audit-repository.js';
import {
  CredentialRepository,
  type CredentialSecrets,
  type CredentialSummary,
} from '../store/credential-repository.js';
import type { Store } from '../store/open-store.js';
import type { ChangeActor } from './user-accounts.js';

/** What a user hands in to store a venue credential. */
export interface CredentialInput extends CredentialSecrets {
  readonly venue: string;
  readonly label: string;
}

/**
 * Venue credentials as their owners manage them: add (encrypted), list (metadata only) and
 * delete, each change with its audit row (venue and label, never a secret) in one transaction.
 * Every call is scoped to the owner: another owner's credential is not found.
 *
 * @example
 * const vault = new CredentialVault(store.db, cipher);
 * await vault.add(userId, { venue: 'binance', label: 'main', apiKey, secret }, { actor, role });
 */
export class CredentialVault {
  constructor(
    private readonly db: Store['db'],
    private readonly cipher: EnvelopeCipher,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores a credential of `ownerUserId` (`CREDENTIAL_INVALID`, `CREDENTIAL_EXISTS`). */
  async add(
    ownerUserId: string,
    input: CredentialInput,
    by: ChangeActor,
  ): Promise<CredentialSummary> {
    const createdAt = this.now();
    return this.db.transaction().execute(async (tx) => {
      const c = await new CredentialRepository(tx, this.cipher).add({
        ownerUserId,
        venue: input.venue,
        label: input.label,
        apiKey: input.apiKey,
        secret: input.secret,
        ...(input.passphrase === undefined ? {} : { passphrase: input.passphrase }),
        createdAt,
      });
      await new AuditRepository(tx, this.now).append(
        {
          ts: createdAt,
          actor: by.actor,
          role: by.role,
          action: 'credential.created',
          subject: c.id,
          payload: { venue: c.venue, label: c.label, hasPassphrase: c.hasPassphrase },
        },
        tx,
      );
      return c;
    });
  }

  /** The owner's credentials: metadata only. */
  list(ownerUserId: string): Promise<CredentialSummary[]> {
    return new CredentialRepository(this.db, this.cipher).list(ownerUserId);
  }

  /** Deletes one of the owner's credentials; false when the owner has no such credential. */
  async remove(ownerUserId: string, id: string, by: ChangeActor): Promise<boolean> {
    const ts = this.now();
    return this.db.transaction().execute(async (tx) => {
      const creds = new CredentialRepository(tx, this.cipher);
      const c = await creds.find(id);
      if (!c || c.ownerUserId !== ownerUserId || !(await creds.remove(id))) return false;
      await new AuditRepository(tx, this.now).append(
        {
          ts,
          actor: by.actor,
          role: by.role,
          action: 'credential.deleted',
          subject: id,
          payload: { venue: c.venue, label: c.label },
        },
        tx,
      );
      return true;
    });
  }
}
