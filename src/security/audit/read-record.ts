import { KairosError } from '../../trading/core/errors.js';
import { MAX_TIME_MS, type AuditRecord } from './audit-record.js';
import type { JsonValue } from './canonical.js';

const HEX64 = /^[0-9a-f]{64}$/;
const TEXT = ['actor', 'role', 'action', 'subject'] as const;

/** The export's names for a record's fields (the table's column names). */
export interface ExportedRow {
  readonly seq: unknown;
  readonly ts: unknown;
  /** Absent, with `hash_version`, in a version 1 export (the wall time is then the `ts`). */
  readonly wall_ts: unknown;
  readonly hash_version: unknown;
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
 * the first field that is wrong. A row without `wall_ts` and `hash_version` (a version 1
 * export) reads as a version 1 row whose wall time is its `ts`.
 *
 * @example
 * const r = readRecord(JSON.parse(line));
 * if (typeof r === 'string') console.log(r);
 */
export function readRecord(row: Partial<ExportedRow>): AuditRecord | string {
  const legacy = row.wall_ts === undefined && row.hash_version === undefined;
  const ints = legacy ? (['seq', 'ts'] as const) : (['seq', 'ts', 'wall_ts'] as const);
  for (const k of ints) {
    if (!Number.isSafeInteger(row[k]) || (row[k] as number) < 0) {
      return `${k}: must be a non-negative integer`;
    }
    if (k !== 'seq' && (row[k] as number) > MAX_TIME_MS) {
      return `${k}: must be at most ${MAX_TIME_MS} (the last time a date holds)`;
    }
  }
  if (!legacy && row.hash_version !== 1 && row.hash_version !== 2)
    return 'hash_version: must be 1 or 2';
  for (const k of TEXT) if (typeof row[k] !== 'string') return `${k}: must be a string`;
  for (const k of ['prev_hash', 'hash'] as const) {
    if (typeof row[k] !== 'string' || !HEX64.test(row[k])) return `${k}: must be 64 hex digits`;
  }
  if (row.payload === undefined) return 'payload: missing';
  return {
    seq: row.seq as number,
    ts: row.ts as number,
    wallTs: (legacy ? row.ts : row.wall_ts) as number,
    hashVersion: legacy ? 1 : (row.hash_version as 1 | 2),
    actor: row.actor as string,
    role: row.role as string,
    action: row.action as string,
    subject: row.subject as string,
    payload: row.payload as JsonValue,
    prevHash: row.prev_hash as string,
    hash: row.hash as string,
  };
}

/**
 * A record written again as its export line (`write`), or why it cannot be: the message of the
 * `AUDIT_ENTRY_INVALID` canonical JSON throws for a payload it refuses (nested deeper than
 * `MAX_JSON_DEPTH`, or a number such as `1e999` that reads back as Infinity).
 *
 * @example
 * const w = rewritten(() => line(record, version));
 * if ('error' in w) return { ok: false, error: `line 3: ${w.error}` };
 */
export function rewritten(
  write: () => string,
): { readonly text: string } | { readonly error: string } {
  try {
    return { text: write() };
  } catch (e) {
    if (!(e instanceof KairosError)) throw e;
    return { error: e.message };
  }
}
