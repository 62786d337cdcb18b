import type { AuditRecord } from './audit-record.js';
import { canonicalJson } from './canonical.js';
import type { ReadRow } from './first-break.js';
import { EXPORT_VERSION, type ExportVersion } from './manifest.js';
import { readRecord, rewritten } from './read-record.js';

/**
 * The JSONL form of the export: one canonical JSON object per line (`\n`), keys
 * `action, actor, hash, hash_version, payload, prev_hash, role, seq, subject, ts, wall_ts`
 * (a version 1 export has neither `hash_version` nor `wall_ts`). Without `hash` and
 * `prev_hash`, a line is the row's canonical form (`canonicalRow`).
 *
 * @example
 * const text = jsonl.write(records);
 * const rows = jsonl.read(text); // each { ok: true, record } or { ok: false, error }
 */
export const jsonl = {
  write(records: readonly AuditRecord[]): string {
    return records.map((r) => `${line(r, EXPORT_VERSION)}\n`).join('');
  },

  /**
   * Reads every line of an export of the given version (the manifest's); a line that is not
   * exactly as that version's writer made it is not a record.
   */
  read(text: string, version: ExportVersion = EXPORT_VERSION): ReadRow[] {
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.map((l, i) => jsonl.row(l, i, version));
  },

  /** The row of the `index`th line (0-based), from its text without the `\n`. */
  row(l: string, index: number, version: ExportVersion = EXPORT_VERSION): ReadRow {
    const where = `line ${index + 1}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(l);
    } catch {
      return { ok: false, error: `${where}: not JSON` };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { ok: false, error: `${where}: not a JSON object` };
    }
    const record = readRecord(parsed);
    if (typeof record === 'string') return { ok: false, error: `${where}: ${record}` };
    const written = rewritten(() => line(record, version));
    if ('error' in written) return { ok: false, error: `${where}: ${written.error}` };
    if (written.text !== l) return { ok: false, error: `${where}: not byte-for-byte as exported` };
    return { ok: true, record };
  },
};

function line(r: AuditRecord, version: ExportVersion): string {
  return canonicalJson({
    seq: r.seq,
    ts: r.ts,
    ...(version === 1 ? {} : { wall_ts: r.wallTs, hash_version: r.hashVersion }),
    actor: r.actor,
    role: r.role,
    action: r.action,
    subject: r.subject,
    payload: r.payload,
    prev_hash: r.prevHash,
    hash: r.hash,
  });
}
