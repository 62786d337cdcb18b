import { createHash } from 'node:crypto';
import type { AuditFields } from './audit-record.js';
import { canonicalJson } from './canonical.js';

/** The `prevHash` of the first row: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The canonical bytes of a row (as text): canonical JSON of exactly the hashed fields
 * `action, actor, payload, role, seq, subject, ts`.
 *
 * @example
 * canonicalRow(row); // '{"action":"login","actor":"alice","payload":{},"role":"trader","seq":1,...}'
 */
export function canonicalRow(row: AuditFields): string {
  return canonicalJson({
    action: row.action,
    actor: row.actor,
    payload: row.payload,
    role: row.role,
    seq: row.seq,
    subject: row.subject,
    ts: row.ts,
  });
}

/**
 * A row's hash: SHA-256 over the UTF-8 text `prevHash` (64 lower-case hex digits) followed by
 * the canonical row, as lower-case hex. `printf '%s%s' "$prev" "$canonical" | sha256sum` gives
 * the same.
 *
 * @example
 * const hash = chainHash(GENESIS_HASH, { seq: 1, ts, actor, role, action, subject, payload });
 */
export function chainHash(prevHash: string, row: AuditFields): string {
  return createHash('sha256')
    .update(prevHash, 'utf8')
    .update(canonicalRow(row), 'utf8')
    .digest('hex');
}
