import { LocalKeyring, type KeyVersion } from '../security/encryption/local-keyring.js';
import {
  keyProviderKind,
  openFieldKeys,
  type FieldKeySet,
  type KeyProviderKind,
  type KmsConfig,
} from './field-cipher.js';
import type { JsonValue } from '../security/audit/canonical.js';
import { rewrapSigningKey } from '../security/tokens/signing-key-file.js';
import { AuditRepository } from '../store/audit-repository.js';
import {
  ENCRYPTED_COLUMNS,
  EncryptedFieldRepository,
} from '../store/encrypted-field-repository.js';
import type { Store } from '../store/open-store.js';
import { KairosError } from '../trading/core/errors.js';
import type { ChangeActor } from './user-accounts.js';

/**
 * A key id with its provider (local file or AWS KMS) and the number of stored values it wraps;
 * `current` wraps new values, `previous` still unwraps, `missing`: no provider (unreadable).
 */
export interface KeyUse {
  readonly keyId: string;
  readonly provider: KeyProviderKind;
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

/** No KMS: the local keyring only. */
const NO_KMS: KmsConfig = { keyId: undefined, region: 'us-east-1', endpoint: undefined };

/**
 * Key management for field encryption over the local keyring in `keysDir`, AWS KMS when
 * `kms.keyId` is set (`KMS_KEY_ID`), and the store. The current key is the KMS key when one is
 * configured, else the local `master.key`; `rotate` moves every value to it.
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
    private readonly kms: KmsConfig = NO_KMS,
  ) {
    this.fields = new EncryptedFieldRepository(db);
  }

  /**
   * The current key, the local key versions, then the other key ids stored values name (a KMS
   * key: `previous`; an id no provider has: `missing`), each with its provider and how many
   * stored values it wraps.
   */
  async status(): Promise<KeyUse[]> {
    return this.withKeys(async (keys) => {
      const counts = await this.fields.countByKey();
      const use = (keyId: string, status: KeyUse['status']): KeyUse => ({
        keyId,
        provider: keyProviderKind(keyId),
        status,
        values: counts.get(keyId) ?? 0,
      });
      const rows: KeyUse[] = [use(keys.current.keyId, 'current')];
      for (const v of keys.ring.versions()) {
        if (v.keyId !== keys.current.keyId) rows.push(use(v.keyId, 'previous'));
      }
      for (const id of counts.keys()) {
        if (!rows.some((r) => r.keyId === id)) {
          rows.push(use(id, keys.provider(id) ? 'previous' : 'missing'));
        }
      }
      return rows;
    });
  }

  private async withKeys<T>(run: (keys: FieldKeySet) => Promise<T>): Promise<T> {
    const keys = await openFieldKeys(this.keysDir, this.kms);
    try {
      return await run(keys);
    } finally {
      keys.close();
    }
  }

  /**
   * Moves every stored value to the current key. With local keys only, when every value is on
   * the current key already, it first makes a new one (the old one stays as a previous
   * version). When values are on other keys (an interrupted rotation, a move between local keys
   * and KMS, another KMS key) it moves them to the current key and makes none. Each value's data
   * key is re-wrapped in batches, one statement each, leaving nonce, ciphertext and tag
   * unchanged. Audited: `keys.rotation_started` when a key is made or a move starts,
   * `keys.rotated` at the end.
   */
  async rotate(opts: RotationOptions): Promise<RotationReport> {
    const now = opts.now ?? Date.now;
    const batchSize = checkBatchSize(opts.batchSize ?? 500);
    let keys = await openFieldKeys(this.keysDir, this.kms);
    try {
      const counts = await this.fields.countByKey();
      const unknown = [...counts.keys()].filter((id) => keys.provider(id) === undefined);
      if (unknown.length > 0) {
        throw new KairosError(
          'ENCRYPTION_KEY_UNKNOWN',
          `values are wrapped by ${unknown.join(', ')}, which is not in ${this.keysDir}; restore its file as master-previous/<keyId>.key before rotating`,
        );
      }
      const fromKeyIds = [...counts.keys()].filter((id) => id !== keys.current.keyId);
      const target = keyProviderKind(keys.current.keyId);
      // Between local keys, values on an older key mean a rotation was interrupted. A move to
      // KMS or back is resumed once some values are on the target already.
      const crossing = target === 'kms' || fromKeyIds.some((id) => keyProviderKind(id) !== target);
      const resumed =
        fromKeyIds.length > 0 && (!crossing || (counts.get(keys.current.keyId) ?? 0) > 0);
      if (fromKeyIds.length === 0 && target === 'local') {
        const old = keys.current.keyId;
        await LocalKeyring.rotate(this.keysDir);
        keys.close();
        keys = await openFieldKeys(this.keysDir, this.kms);
        fromKeyIds.push(old);
        await this.audit(opts.by, now, 'keys.rotation_started', keys.current.keyId, {
          fromKeyId: old,
          toKeyId: keys.current.keyId,
        });
      } else if (fromKeyIds.length > 0 && !resumed) {
        await this.audit(opts.by, now, 'keys.rotation_started', keys.current.keyId, {
          fromKeyIds,
          toKeyId: keys.current.keyId,
        });
      }
      const { rewrapped, remaining } = await this.rewrapAll(keys, batchSize, opts.onBatch);
      const to = keys.current.keyId;
      await this.audit(opts.by, now, 'keys.rotated', to, {
        toKeyId: to,
        fromKeyIds,
        rewrapped,
        remaining,
        resumed,
      });
      return { resumed, toKeyId: to, fromKeyIds, rewrapped, remaining };
    } finally {
      keys.close();
    }
  }

  /** Re-wraps every value (and the signing key file) not on `keys.current`, up to 3 passes. */
  private async rewrapAll(
    keys: FieldKeySet,
    batchSize: number,
    onBatch: RotationOptions['onBatch'],
  ): Promise<{ rewrapped: number; remaining: number }> {
    const cipher = keys.cipher();
    const to = keys.current;
    let rewrapped = 0;
    let remaining = 0;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const before = rewrapped;
      for (const c of ENCRYPTED_COLUMNS) {
        for (let after = ''; ;) {
          const batch = await this.fields.notWrappedBy(c, to.keyId, after, batchSize);
          if (batch.length === 0) break;
          // Re-wrapped before the swap (a KMS provider calls the network), swapped in one statement.
          const next = await Promise.all(batch.map((v) => cipher.rewrap(v.value, to, c.at(v.id))));
          const done = await this.fields.replaceMany(
            c,
            batch.map((v, i) => ({ id: v.id, before: v.value, next: next[i] as string })),
          );
          rewrapped += done;
          after = batch[batch.length - 1]!.id;
          await onBatch?.(rewrapped);
        }
      }
      // The access-token signing key file moves with the stored values.
      await rewrapSigningKey(this.keysDir, cipher, to);
      const left = await this.fields.countByKey();
      remaining = [...left].reduce((s, [id, n]) => (id === to.keyId ? s : s + n), 0);
      if (remaining === 0 || rewrapped === before) break;
    }
    return { rewrapped, remaining };
  }

  /**
   * Deletes the previous local master keys once no stored value needs them (`keys.retired`
   * each). Refuses, deleting nothing, while any value is still on one (`KEY_IN_USE`: run
   * `rotate`). The local `master.key` stays, also when KMS is current (it is the key `rotate`
   * moves back to); a KMS key is never deleted by Kairos (AWS: schedule its deletion). Answers
   * the retired key ids.
   */
  async retire(by: ChangeActor, now: () => number = Date.now): Promise<string[]> {
    return this.withKeys(async (keys) => {
      const ring = keys.ring;
      // The signing key file must not be left on a key about to go.
      await rewrapSigningKey(this.keysDir, keys.cipher(), keys.current);
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
        await this.audit(by, now, 'keys.retired', p.keyId, {
          keyId: p.keyId,
          currentKeyId: keys.current.keyId,
        });
        retired.push(p.keyId);
      }
      return retired;
    });
  }

  private async audit(
    by: ChangeActor,
    now: () => number,
    action: string,
    subject: string,
    payload: { readonly [k: string]: JsonValue },
  ): Promise<void> {
    await new AuditRepository(this.db, now).append({
      ts: now(),
      actor: by.actor,
      role: by.role,
      action,
      subject,
      payload,
    });
  }
}
