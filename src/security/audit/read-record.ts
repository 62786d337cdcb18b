import type { AuditRecord } from './audit-record.js';
import type { JsonValue } from './canonical.js';

const HEX64 = /^[0-9a-f]{64}$/;
const TEXT = ['actor', 'role', 'action', 'subject'] as const;

/** The export's names for a record's fields (the table's column names). */
export interface ExportedRow {
  readonly seq: unknown;
  readonly ts: unknown;
  readonly actor: unknown;
  readonly role: unknown;
  readonly action: unknown;
  readonly subject: unknown;
  readonly payload: unknown;
  readonly prev_hash: unknown;
  readonly hash: unknown;
}

/**
 * Checks the shape of a row read from an export and returns the record, or a message naming
 * the first field that is wrong.
 *
 * @example
 * const r = readRecord(JSON.parse(line));
 * if (typeof r === 'string') console.log(r);
 */
export function readRecord(row: Partial<ExportedRow>): AuditRecord | string {
  for (const k of ['seq', 'ts'] as const) {
    if (!Number.isSafeInteger(row[k]) || (row[k] as number) < 0) {
      return `${k}: must be a non-negative integer`;
    }
  }
  for (const k of TEXT) if (typeof row[k] !== 'string') return `${k}: must be a string`;
  for (const k of ['prev_hash', 'hash'] as const) {
    if (typeof row[k] !== 'string' || !HEX64.test(row[k])) return `${k}: must be 64 hex digits`;
  }
  if (row.payload === undefined) return 'payload: missing';
  return {
    seq: row.seq as number,
    ts: row.ts as number,
    actor: row.actor as string,
    role: row.role as string,
    action: row.action as string,
    subject: row.subject as string,
    payload: row.payload as JsonValue,
    prevHash: row.prev_hash as string,
    hash: row.hash as string,
  };
}
