import path from 'node:path';
import { LocalObjectStore } from '../cloud/local-object-store.js';
import type { ObjectStore } from '../cloud/object-store.js';
import { isS3Url } from '../cloud/s3-url.js';
import { exportAudit } from '../security/audit/export.js';
import type { ExportLock, ExportStore } from '../security/audit/export-store.js';
import { LocalSigner } from '../security/audit/local-signer.js';
import type { Manifest } from '../security/audit/manifest.js';
import { AuditRepository } from '../store/audit-repository.js';
import type { Store } from '../store/open-store.js';
import { KairosError } from '../trading/core/errors.js';
import type { ObjectStoreSettings } from './config.js';
import type { ChangeActor } from './user-accounts.js';

/** Retention of a locked export when neither the request nor the bucket says: 7 years. */
export const DEFAULT_RETENTION_DAYS = 2557;
const DAY_MS = 86_400_000;
const NO_S3_SETTINGS: ObjectStoreSettings = {
  bucket: undefined,
  endpoint: undefined,
  region: undefined,
  forcePathStyle: false,
};

/** What to export: the rows of `[from, to)` (ms) into the folder or `s3://` URL `out`. */
export interface AuditExportRequest {
  readonly from: number;
  readonly to: number;
  readonly out: string;
  /** `$KAIROS_HOME/keys`: the Ed25519 signing key (made on first use). */
  readonly keysDir: string;
  readonly by: ChangeActor;
  readonly now?: () => number;
  /** S3 endpoint and region (`config.objectStore`), for an `s3://` destination. */
  readonly s3?: ObjectStoreSettings;
  /** The S3 store to write to instead of opening `out` (tests hand in one with credentials). */
  readonly store?: ObjectStore;
  /** Write to a bucket without Object Lock (`--no-lock`); refused otherwise. */
  readonly noLock?: boolean;
  /** Retention in days (default: the bucket's default retention, else 7 years). */
  readonly retainDays?: number;
  /** Rows read from the store at a time (default 5000): a range is never read whole. */
  readonly pageRows?: number;
}

/**
 * Exports an audit range (`kairos audit export` and `POST /audit/exports`): JSONL + CSV + the
 * public key + a signed manifest into `out` (never overwriting a file), then records the export
 * itself as an `audit.exported` row. `out` is a folder, or `s3://bucket/prefix`: there every
 * object is written under Object Lock COMPLIANCE retention and the manifest records each
 * object's version id; a bucket without Object Lock is refused before anything is written
 * (`OBJECT_LOCK_MISSING`) unless `noLock`.
 *
 * @example
 * const { manifest } = await exportAuditRange(store.db, { from, to, out, keysDir, by });
 */
export async function exportAuditRange(
  db: Store['db'],
  req: AuditExportRequest,
): Promise<{ readonly out: string; readonly manifest: Manifest }> {
  const now = req.now ?? Date.now;
  const signer = await LocalSigner.open(req.keysDir);
  const audit = new AuditRepository(db, now);
  const target = await exportTarget(req, now());
  let manifest: Manifest;
  try {
    ({ manifest } = await exportAudit({
      rows: auditPages(audit, req.from, req.to, req.pageRows ?? EXPORT_PAGE),
      from: req.from,
      to: req.to,
      store: target.store,
      signer,
      now: now(),
      ...(target.lock ? { lock: target.lock } : {}),
    }));
  } catch (e) {
    if (e instanceof KairosError && e.code === 'OBJECT_EXISTS') {
      throw new KairosError(
        'AUDIT_EXPORT_EXISTS',
        `${e.message} (export to a new folder or prefix)`,
        {
          cause: e,
        },
      );
    }
    throw e;
  }
  const out = target.out;
  // The export itself is an audited action (DESIGN.md invariant 9).
  await audit.append({
    ts: now(),
    actor: req.by.actor,
    role: req.by.role,
    action: 'audit.exported',
    subject: out,
    payload: {
      from: manifest.from,
      to: manifest.to,
      rowCount: manifest.rowCount,
      firstSeq: manifest.firstSeq,
      lastSeq: manifest.lastSeq,
      lastHash: manifest.lastHash,
      keyId: manifest.signature.keyId,
      ...(manifest.objectLock ? { retainUntil: manifest.objectLock.retainUntil } : {}),
    },
  });
  return { out, manifest };
}

const EXPORT_PAGE = 5000;

/** The rows of `[from, to)` in `seq` order, `limit` at a time (keyset paging on `seq`). */
async function* auditPages(audit: AuditRepository, from: number, to: number, limit: number) {
  for (let after = 0; ;) {
    const page = await audit.page({ from, to, after, limit });
    if (page.length > 0) yield page;
    if (page.length < limit) return;
    after = page.at(-1)!.seq;
  }
}

/** Where the export goes and under which retention; checks Object Lock before any write. */
async function exportTarget(
  req: AuditExportRequest,
  now: number,
): Promise<{ out: string; store: ExportStore; lock?: ExportLock }> {
  if (!isS3Url(req.out) && req.store === undefined) {
    const out = path.resolve(req.out);
    // A folder: the embedded ObjectStore (write-once files, safe keys), no Object Lock to check.
    return { out, store: new LocalObjectStore(out) };
  }
  // The S3 client is loaded only for an s3:// destination (`--help` and local exports stay fast).
  const store =
    req.store ??
    (await import('./object-stores.js')).openObjectStore(req.out, req.s3 ?? NO_S3_SETTINGS);
  const status = await store.objectLock();
  if (!status.enabled) {
    if (!req.noLock) {
      throw new KairosError(
        'OBJECT_LOCK_MISSING',
        `${store.location}: the bucket has no Object Lock, so the export could be changed or deleted; ` +
          'use a bucket created with Object Lock (docs/cloud.md) or pass --no-lock',
      );
    }
    return { out: store.location, store };
  }
  const days = req.retainDays ?? status.defaultRetentionDays ?? DEFAULT_RETENTION_DAYS;
  return {
    out: store.location,
    store,
    lock: { mode: 'COMPLIANCE', retainUntil: now + days * DAY_MS },
  };
}
