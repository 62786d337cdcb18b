import { createHash, hash as digest } from 'node:crypto';
import type { AuditFields, AuditRecord, HashVersion } from './audit-record.js';
import { canonicalJson } from './canonical.js';

/** The `prevHash` of the first row: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The canonical form new rows are hashed with. */
export const CURRENT_HASH_VERSION: HashVersion = 2;

/**
 * The canonical bytes of a row (as text): canonical JSON of exactly the hashed fields. Version 1
 * (rows written before the log kept a wall time): `action, actor, payload, role, seq, subject,
 * ts`. Version 2: the same plus `hash_version` (2) and `wall_ts`. The version is part of the
 * version 2 form, so a row cannot be passed off as version 1 without changing its hash.
 *
 * @example
 * canonicalRow(row); // '{"action":"login","actor":"alice","hash_version":2,"payload":{},...}'
 */
export function canonicalRow(row: AuditFields): string {
  const v1 = {
    action: row.action,
    actor: row.actor,
    payload: row.payload,
    role: row.role,
    seq: row.seq,
    subject: row.subject,
    ts: row.ts,
  };
  switch (row.hashVersion) {
    case 1:
      return canonicalJson(v1);
    case 2:
      return canonicalJson({ ...v1, hash_version: 2, wall_ts: row.wallTs });
    default: {
      const never: never = row.hashVersion;
      // Stryker disable next-line StringLiteral: unreachable, the type admits versions 1 and 2 only (and the text is a message)
      throw new Error(`unknown audit hash version ${String(never)}`);
    }
  }
}

/**
 * A row's hash: SHA-256 over the UTF-8 text `prevHash` (64 lower-case hex digits) followed by
 * the canonical row, as lower-case hex. `printf '%s%s' "$prev" "$canonical" | sha256sum` gives
 * the same.
 *
 * @example
 * const hash = chainHash(GENESIS_HASH, { seq: 1, ts, wallTs, hashVersion: 2, actor, role, action, subject, payload });
 */
export function chainHash(prevHash: string, row: AuditFields): string {
  return createHash('sha256')
    .update(prevHash, 'utf8')
    .update(canonicalRow(row), 'utf8')
    .digest('hex');
}

/**
 * `chainHash` for a row whose payload's canonical JSON is known already (`payloadJson`, which
 * must be `canonicalJson(row.payload)`): the same hash, without writing the payload again. A
 * writer hashes many rows per commit; this is the part of that it can skip.
 *
 * @example
 * chainHashWith(prev, row, canonicalJson(row.payload)) === chainHash(prev, row); // true
 */
export function chainHashWith(prevHash: string, row: AuditFields, payloadJson: string): string {
  if (row.hashVersion !== 2) return chainHash(prevHash, row);
  const str = JSON.stringify;
  // canonicalRow's version 2 form: its keys in sorted order, strings and integers as
  // JSON.stringify writes them.
  const text =
    `{"action":${str(row.action)},"actor":${str(row.actor)},"hash_version":2,` +
    `"payload":${payloadJson},"role":${str(row.role)},"seq":${str(row.seq)},` +
    `"subject":${str(row.subject)},"ts":${str(row.ts)},"wall_ts":${str(row.wallTs)}}`;
  // One-shot: the same bytes as two updates of a Hash object (UTF-8), without making one.
  return digest('sha256', prevHash + text, 'hex');
}

/**
 * Why a row is not intact in itself, or null when it is: it must hash (from its own `prevHash`)
 * to its `hash`, and a version 1 row, whose hash does not cover the wall time, must carry its
 * `ts` as wall time (what migration 0008 gave it), so that field cannot be changed unseen either.
 *
 * @example
 * const fault = rowFault(record); // 'does not hash to its hash', or null
 * if (fault) console.log(`seq ${record.seq} ${fault}`);
 */
export function rowFault(r: AuditRecord): string | null {
  if (r.hashVersion === 1 && r.wallTs !== r.ts) {
    return 'is a version 1 row, so its wall_ts must equal its ts';
  }
  return chainHash(r.prevHash, r) === r.hash ? null : 'does not hash to its hash';
}
