import type { AuditRecord } from './audit-record.js';
import { canonicalJson } from './canonical.js';
import type { ReadRow } from './first-break.js';
import { readRecord } from './read-record.js';

/**
 * The JSONL form of the export: one canonical JSON object per line (`\n`), keys
 * `action, actor, hash, payload, prev_hash, role, seq, subject, ts`.
 *
 * @example
 * const text = jsonl.write(records);
 * const rows = jsonl.read(text); // each { ok: true, record } or { ok: false, error }
 */
export const jsonl = {
  write(records: readonly AuditRecord[]): string {
    return records.map((r) => `${line(r)}\n`).join('');
  },

  /** Reads every line; a line that is not exactly as `write` makes it is not a record. */
  read(text: string): ReadRow[] {
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.map((l, i): ReadRow => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(l);
      } catch {
        return { ok: false, error: `line ${i + 1}: not JSON` };
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return { ok: false, error: `line ${i + 1}: not a JSON object` };
      }
      const record = readRecord(parsed);
      if (typeof record === 'string') return { ok: false, error: `line ${i + 1}: ${record}` };
      if (line(record) !== l) {
        return { ok: false, error: `line ${i + 1}: not byte-for-byte as exported` };
      }
      return { ok: true, record };
    });
  },
};

function line(r: AuditRecord): string {
  return canonicalJson({
    seq: r.seq,
    ts: r.ts,
    actor: r.actor,
    role: r.role,
    action: r.action,
    subject: r.subject,
    payload: r.payload,
    prev_hash: r.prevHash,
    hash: r.hash,
  });
}
