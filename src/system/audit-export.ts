import path from 'node:path';
import { exportAudit } from '../security/audit/export.js';
import { LocalFolderStore } from '../security/audit/local-folder-store.js';
import { LocalSigner } from '../security/audit/local-signer.js';
import type { Manifest } from '../security/audit/manifest.js';
import { AuditRepository } from '../store/audit-repository.js';
import type { Store } from '../store/open-store.js';
import type { ChangeActor } from './user-accounts.js';

/** What to export: the rows of `[from, to)` (ms) into the folder `out`. */
export interface AuditExportRequest {
  readonly from: number;
  readonly to: number;
  readonly out: string;
  /** `$KAIROS_HOME/keys`: the Ed25519 signing key (made on first use). */
  readonly keysDir: string;
  readonly by: ChangeActor;
  readonly now?: () => number;
}

/**
 * Exports an audit range (`kairos audit export` and `POST /audit/exports`): JSONL + CSV + the
 * public key + a signed manifest into `out` (never overwriting a file), then records the export
 * itself as an `audit.exported` row.
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
  const out = path.resolve(req.out);
  const { manifest } = await exportAudit({
    rows: await audit.list(req.from, req.to),
    from: req.from,
    to: req.to,
    store: new LocalFolderStore(out),
    signer,
    now: now(),
  });
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
    },
  });
  return { out, manifest };
}
