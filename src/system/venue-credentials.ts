import type { EnvelopeCipher } from '../security/encryption/envelope-cipher.js';
import { AuditRepository } from '../store/audit-repository.js';
import {
  CredentialRepository,
  type CredentialSecrets,
  type CredentialSummary,
} from '../store/credential-repository.js';
import type { Store } from '../store/open-store.js';
import { UserRepository } from '../store/user-repository.js';
import { KairosError } from '../trading/core/errors.js';

/** Which stored credential a command asks for (`--credential`, `--user`) and for what venue. */
export interface CredentialChoice {
  /** The credential's id, or its label. */
  readonly ref: string;
  /** The ccxt exchange id the command trades on: the credential must be for it. */
  readonly venue: string;
  /** The owner's username; needed only when several owners use the label. */
  readonly username?: string;
  /** What uses it, for the audit row, e.g. `kairos live sma-cross`. */
  readonly usedBy: string;
  /** Who runs the command (the audit actor; role `cli`). */
  readonly actor: string;
}

/** A stored credential, decrypted for the venue adapter. Never print or log `secrets`. */
export interface OpenedCredential {
  readonly summary: CredentialSummary;
  readonly secrets: CredentialSecrets;
}

/**
 * Finds a stored venue credential by id or label (of `username` when given), checks that it is
 * for `venue` and that its owner is active, decrypts it with the install's field cipher and
 * audits the use (`credential.used`: venue, label and user, never a secret). Errors name the
 * flag: `CREDENTIAL_NOT_FOUND`, `CREDENTIAL_WRONG_VENUE`, `CREDENTIAL_AMBIGUOUS`,
 * `USER_NOT_FOUND`, `CREDENTIAL_OWNER_DISABLED`.
 *
 * @example
 * const { secrets } = await openVenueCredential(store.db, await openFieldCipher(config),
 *   { ref: 'main', venue: 'binance', username: 'alice', usedBy: 'kairos live', actor: 'ops' });
 */
export async function openVenueCredential(
  db: Store['db'],
  cipher: EnvelopeCipher,
  choice: CredentialChoice,
  now: () => number = Date.now,
): Promise<OpenedCredential> {
  const users = new UserRepository(db);
  const repo = new CredentialRepository(db, cipher);
  const owner = choice.username === undefined ? null : await users.findByUsername(choice.username);
  if (choice.username !== undefined && !owner) {
    throw new KairosError('USER_NOT_FOUND', `--user: no user "${choice.username}"`);
  }
  const whose = owner ? ` of user "${owner.username}"` : '';
  const all = await repo.list(owner?.id);
  const byId = all.filter((c) => c.id === choice.ref);
  const byLabel = all.filter((c) => c.label === choice.ref.trim());
  const candidates = byId.length > 0 ? byId : byLabel;
  const forVenue = candidates.filter((c) => c.venue === choice.venue);
  if (candidates.length === 0) {
    throw new KairosError(
      'CREDENTIAL_NOT_FOUND',
      `--credential: no stored credential "${choice.ref}"${whose} (see kairos credential list)`,
    );
  }
  if (forVenue.length === 0) {
    const venues = [...new Set(candidates.map((c) => c.venue))].join(', ');
    throw new KairosError(
      'CREDENTIAL_WRONG_VENUE',
      `--credential: "${choice.ref}"${whose} is a credential for ${venues}, not ${choice.venue}`,
    );
  }
  if (forVenue.length > 1) {
    throw new KairosError(
      'CREDENTIAL_AMBIGUOUS',
      `--credential: several users have a ${choice.venue} credential "${choice.ref}"; add --user <username>`,
    );
  }
  const summary = forVenue[0]!;
  const user = owner ?? (await users.findById(summary.ownerUserId));
  if (!user) throw new KairosError('USER_NOT_FOUND', `--credential: its owner does not exist`);
  if (user.disabledAt !== null) {
    throw new KairosError(
      'CREDENTIAL_OWNER_DISABLED',
      `--credential: "${choice.ref}" belongs to disabled user "${user.username}"`,
    );
  }
  const secrets = await repo.reveal(summary.id);
  await new AuditRepository(db, now).append({
    ts: now(),
    actor: choice.actor,
    role: 'cli',
    action: 'credential.used',
    subject: summary.id,
    payload: {
      venue: summary.venue,
      label: summary.label,
      owner: user.username,
      by: choice.usedBy,
    },
  });
  return { summary, secrets };
}
