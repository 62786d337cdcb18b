import { createHash } from 'node:crypto';
import { KairosError } from '../../trading/core/errors.js';
import type { AuditRecord } from './audit-record.js';
import { csv } from './csv-format.js';
import { firstBreak } from './first-break.js';
import { jsonl } from './jsonl-format.js';
import {
  CHAIN_RULE,
  EXPORT_VERSION,
  MANIFEST_FILE,
  signedBytes,
  type Manifest,
  type ManifestFile,
} from './manifest.js';
import type { ManifestSigner } from './manifest-signer.js';
import type { ExportLock, ExportStore } from './export-store.js';

/** The latest end of an export range, 9999-12-31 (file names carry 4-digit years). */
export const MAX_EXPORT_MS = 253_402_214_400_000; // 9999-12-31T00:00:00Z

/** What to export and where. */
export interface ExportRequest {
  /**
   * The rows with wall time in `[from, to)`, in `seq` order, gapless (as `AuditRepository.list`
   * returns them).
   */
  readonly rows: readonly AuditRecord[];
  readonly from: number;
  readonly to: number;
  readonly store: ExportStore;
  readonly signer: ManifestSigner;
  /**
   * Object Lock retention for every object (a bucket with Object Lock); the manifest records it
   * and each object's version id. Absent: plain write-once objects (a folder, `--no-lock`).
   */
  readonly lock?: ExportLock;
  /** The export time (ms), written as `createdAt`. */
  readonly now: number;
}

/** The written export: its manifest and the object keys, manifest last. */
export interface ExportResult {
  readonly manifest: Manifest;
  readonly keys: readonly string[];
}

/**
 * Writes an audit export of a wall-time range: `audit-<from>-<to>.jsonl`, the same rows as
 * `.csv`, the signer's `public-key.pem`, and `manifest.json` last (row count, first/last seq and
 * hash, the hash the first row links to, time range, first/last market and wall time, SHA-256 of
 * each file) signed with Ed25519. A reader who finds the manifest finds every file it names:
 * the files are written first, and the manifest (with the version id each put answered, and the
 * retention when `lock` is given) is signed and written only when all of them are stored, so a
 * failed upload never leaves an export that verifies.
 *
 * @example
 * await exportAudit({ rows, from, to, store: new LocalObjectStore(out), signer, now: Date.now() });
 */
export async function exportAudit(req: ExportRequest): Promise<ExportResult> {
  const { rows, from, to } = req;
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from < to)) {
    throw new KairosError('USAGE', `export range: from (${from}) must be before to (${to})`);
  }
  if (from < 0 || to > MAX_EXPORT_MS) {
    throw new KairosError('USAGE', `export range: from and to must lie in 0…${MAX_EXPORT_MS} (ms)`);
  }
  // Sign nothing that is not one intact chain: every row must hash to its hash and link to the
  // row before (rows altered in the database, even with a recomputed hash, are caught here).
  const head = rows[0];
  const broken = head
    ? firstBreak(
        rows.map((record) => ({ ok: true as const, record })),
        { firstSeq: head.seq, anchorHash: head.prevHash, count: rows.length },
      )
    : null;
  if (broken) {
    throw new KairosError(
      'AUDIT_CHAIN_BROKEN',
      `first bad seq ${broken.seq} (${broken.kind}): ${broken.detail}; the stored log was changed outside Kairos`,
    );
  }
  const base = `audit-${stamp(from)}-${stamp(to)}`;
  const encoder = new TextEncoder();
  const contents: [string, Uint8Array][] = [
    [`${base}.jsonl`, encoder.encode(jsonl.write(rows))],
    [`${base}.csv`, encoder.encode(csv.write(rows))],
    ['public-key.pem', encoder.encode(req.signer.publicKeyPem)],
  ];
  const files: ManifestFile[] = [];
  for (const [name, bytes] of contents) {
    const receipt = await req.store.put(name, bytes, req.lock ? { lock: req.lock } : undefined);
    files.push({
      name,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      ...(receipt?.versionId ? { versionId: receipt.versionId } : {}),
    });
  }
  const first = rows[0];
  const last = rows.at(-1);
  const unsigned: Omit<Manifest, 'signature'> = {
    format: 'kairos-audit-export',
    version: EXPORT_VERSION,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    fromMs: from,
    toMs: to,
    rangeOf: 'wall_ts',
    rowCount: rows.length,
    firstSeq: first?.seq ?? null,
    lastSeq: last?.seq ?? null,
    anchorHash: first?.prevHash ?? null,
    firstHash: first?.hash ?? null,
    lastHash: last?.hash ?? null,
    firstTs: first?.ts ?? null,
    lastTs: last?.ts ?? null,
    firstWallTs: first?.wallTs ?? null,
    lastWallTs: last?.wallTs ?? null,
    chain: CHAIN_RULE,
    files,
    ...(req.lock
      ? {
          objectLock: {
            mode: req.lock.mode,
            retainUntil: new Date(req.lock.retainUntil).toISOString(),
          },
        }
      : {}),
    createdAt: new Date(req.now).toISOString(),
  };
  const signature = await req.signer.sign(signedBytes(unsigned));
  const manifest: Manifest = {
    ...unsigned,
    signature: {
      algorithm: req.signer.algorithm,
      keyId: req.signer.keyId,
      value: Buffer.from(signature).toString('base64'),
    },
  };
  const manifestBytes = encoder.encode(`${JSON.stringify(manifest, null, 2)}\n`);
  await req.store.put(MANIFEST_FILE, manifestBytes, req.lock ? { lock: req.lock } : undefined);
  return { manifest, keys: [...contents.map(([n]) => n), MANIFEST_FILE] };
}

/** 2024-01-01T00:00:00.000Z -> 20240101T000000Z (milliseconds kept when not zero). */
function stamp(ms: number): string {
  // Stryker disable next-line Regex: equivalent, an ISO time has `.000Z` only at its end
  const iso = new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
  return iso.replace(/[-:]/g, '');
}
