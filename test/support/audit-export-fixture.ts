import type { AuditRecord } from '../../src/security/audit/audit-record.js';
import { bodyBytes } from '../../src/security/audit/export-store.js';
import { exportAudit } from '../../src/security/audit/export.js';
import type { LocalSigner } from '../../src/security/audit/local-signer.js';

/** The range the audit fixtures export: one day from 2024-01-01. */
export const EXPORT_FROM = Date.UTC(2024, 0, 1);
export const EXPORT_TO = Date.UTC(2024, 0, 2);
const BASE = 'audit-20240101T000000Z-20240102T000000Z';
/** The data files of an export of that range. */
export const EXPORT_JSONL = `${BASE}.jsonl`;
export const EXPORT_CSV = `${BASE}.csv`;

/** `rows` exported over that range and signed by `signer`: each file's bytes by name. */
export async function exportInMemory(
  rows: readonly AuditRecord[],
  signer: LocalSigner,
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  await exportAudit({
    rows,
    from: EXPORT_FROM,
    to: EXPORT_TO,
    store: { put: async (key, bytes) => void files.set(key, await bodyBytes(bytes)) },
    signer,
    now: EXPORT_TO,
  });
  return files;
}
