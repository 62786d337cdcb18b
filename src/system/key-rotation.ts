import { LocalKeyring, type KeyVersion } from '../security/encryption/local-keyring.js';
import { rewrapSigningKey } from '../security/tokens/signing-key-file.js';
import { AuditRepository } from '../store/audit-repository.js';
import {
  ENCRYPTED_COLUMNS,
  EncryptedFieldRepository,
} from '../store/encrypted-field-repository.js';
import type { Store } from '../store/open-store.js';
import { KairosError } from '../trading/core/errors.js';
import type { ChangeActor } from './user-accounts.js';

/** A key id with the number of stored values it wraps; `missing`: not in the keyring (unreadable). */
export interface KeyUse {
  readonly keyId: string;
  readonly status: KeyVersion['status'] | 'missing';
  readonly values: number;
}

/** What a rotation did. */
export interface RotationReport {
  /** True when it finished an interrupted rotation instead of making a new key. */
  readonly resumed: boolean;
  readonly toKeyId: string;
  /** The key ids values were moved from. */
  readonly fromKeyIds: readonly string[];
  readonly rewrapped: number;
  /** Values still on another key (changed while the job ran by a process on an old key). */
  readonly remaining: number;
}

/** How a rotation runs. */
export interface RotationOptions {
  readonly by: ChangeActor;
  /** Values re-wrapped per transaction (default 500). */
  readonly batchSize?: number;
  readonly now?: () => number;
  /** Called after each committed batch with the running total (progress; tests stop here). */
  readonly onBatch?: (rewrapped: number) => void | Promise<void>;
}

const MAX_PASSES = 3;

/** A re-wrap batch size, 1–10,000 (`USAGE` naming `--batch-size` otherwise). */
export function checkBatchSize(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 10_000) {
    throw new KairosError('USAGE', '--batch-size: must be an integer from 1 to 10000');
  }
  return n;
}

/**
 * Key management for field encryption over the local keyring in `keysDir` and the store.
 *
 * @example
 * const keys = new FieldKeys(store.db, path.join(home, 'keys'));
 * await keys.rotate({ by: { actor: 'ops', role: 'cli' } }); // new key, every value re-wrapped
 * await keys.retire({ actor: 'ops', role: 'cli' });         // old key files deleted
 */
export class FieldKeys {
  private readonly fields: EncryptedFieldRepository;

  constructor(
    private readonly db: Store['db'],
    private readonly keysDir: string,
  ) {
    this.fields = new EncryptedFieldRepository(db);
  }

  /** Every key version and how many stored values each wraps, then ids only the database knows. */
  async status(): Promise<KeyUse[]> {
    const ring = await LocalKeyring.open(this.keysDir);
    const counts = await this.fields.countByKey();
    const known: KeyUse[] = ring
      .versions()
      .map((v) => ({ ...v, values: counts.get(v.keyId) ?? 0 }));
    const missing = [...counts]
      .filter(([id]) => !known.some((k) => k.keyId === id))
      .map(([keyId, values]) => ({ keyId, status: 'missing' as const, values }));
    return [...known, ...missing];
  }

  /**
   * Moves every stored value to a new master key: makes the key (the old one stays as a
   * previous version), then re-wraps each value's data key in batches, one transaction each,
   * leaving nonce, ciphertext and tag unchanged. If values are still on an older key (an
   * interrupted rotation), it finishes moving them to the current key instead of making
   * another. Audited: `keys.rotation_started` when a key is made, `keys.rotated` at the end.
   */
  async rotate(opts: RotationOptions): Promise<RotationReport> {
    const now = opts.now ?? Date.now;
    const batchSize = checkBatchSize(opts.batchSize ?? 500);
    let ring = await LocalKeyring.open(this.keysDir);
    const counts = await this.fields.countByKey();
    const unknown = [...counts.keys()].filter((id) => !ring.versions().some((v) => v.keyId === id));
    if (unknown.length > 0) {
      throw new KairosError(
        'ENCRYPTION_KEY_UNKNOWN',
        `values are wrapped by ${unknown.join(', ')}, which is not in ${this.keysDir}; restore its file as master-previous/<keyId>.key before rotating`,
      );
    }
    const fromKeyIds = [...counts.keys()].filter((id) => id !== ring.current.keyId);
    const resumed = fromKeyIds.length > 0;
    if (!resumed) {
      const old = ring.current.keyId;
      ring = await LocalKeyring.rotate(this.keysDir);
      fromKeyIds.push(old);
      await new AuditRepository(this.db, now).append({
        ts: now(),
        actor: opts.by.actor,
        role: opts.by.role,
        action: 'keys.rotation_started',
        subject: ring.current.keyId,
        payload: { fromKeyId: old, toKeyId: ring.current.keyId },
      });
    }
    const cipher = ring.cipher();
    const to = ring.current;
    let rewrapped = 0;
    let remaining = 0;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const before = rewrapped;
      for (const c of ENCRYPTED_COLUMNS) {
        for (let after = ''; ;) {
          const batch = await this.fields.notWrappedBy(c, to.keyId, after, batchSize);
          if (batch.length === 0) break;
          // Re-wrapped before the transaction (a KMS provider calls the network), swapped in it.
          const next = await Promise.all(batch.map((v) => cipher.rewrap(v.value, to, c.at(v.id))));
          const done = await this.db.transaction().execute(async (tx) => {
            let n = 0;
            for (const [i, v] of batch.entries()) {
              if (await this.fields.replace(c, v.id, v.value, next[i] as string, tx)) n++;
            }
            return n;
          });
          rewrapped += done;
          after = batch[batch.length - 1]!.id;
          await opts.onBatch?.(rewrapped);
        }
      }
      // The access-token signing key file moves with the stored values.
      await rewrapSigningKey(this.keysDir, cipher, to);
      const left = await this.fields.countByKey();
      remaining = [...left].reduce((s, [id, n]) => (id === to.keyId ? s : s + n), 0);
      if (remaining === 0 || rewrapped === before) break;
    }
    await new AuditRepository(this.db, now).append({
      ts: now(),
      actor: opts.by.actor,
      role: opts.by.role,
      action: 'keys.rotated',
      subject: to.keyId,
      payload: { toKeyId: to.keyId, fromKeyIds, rewrapped, remaining, resumed },
    });
    return { resumed, toKeyId: to.keyId, fromKeyIds, rewrapped, remaining };
  }

  /**
   * Deletes the previous master keys once no stored value needs them (`keys.retired` each).
   * Refuses, deleting nothing, while any value is still on one (`KEY_IN_USE`: run `rotate`).
   * Answers the retired key ids.
   */
  async retire(by: ChangeActor, now: () => number = Date.now): Promise<string[]> {
    const ring = await LocalKeyring.open(this.keysDir);
    // The signing key file must not be left on a key about to go.
    await rewrapSigningKey(this.keysDir, ring.cipher(), ring.current);
    const counts = await this.fields.countByKey();
    const inUse = ring.previous.filter((p) => (counts.get(p.keyId) ?? 0) > 0);
    if (inUse.length > 0) {
      throw new KairosError(
        'KEY_IN_USE',
        `${inUse.map((p) => `${p.keyId} still wraps ${counts.get(p.keyId)} values`).join('; ')}: run kairos keys rotate to move them first`,
      );
    }
    const retired: string[] = [];
    for (const p of ring.previous) {
      await ring.retire(p.keyId);
      await new AuditRepository(this.db, now).append({
        ts: now(),
        actor: by.actor,
        role: by.role,
        action: 'keys.retired',
        subject: p.keyId,
        payload: { keyId: p.keyId, currentKeyId: ring.current.keyId },
      });
      retired.push(p.keyId);
    }
    return retired;
  }
}
