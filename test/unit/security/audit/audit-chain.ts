import type { AuditRecord } from '../../../../src/security/audit/audit-record.js';
import { chainHash, GENESIS_HASH } from '../../../../src/security/audit/chain.js';

/**
 * `n` chained (version 2) audit records from seq 1, recorded one a minute from 2024-01-01 (wall
 * time) by a run replaying 2019 (market time, `ts`), with varied text.
 */
export function auditChain(n: number, override: Partial<AuditRecord> = {}): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const fields = {
      seq: i,
      ts: Date.UTC(2019, 0, 1) + i * 60_000,
      wallTs: Date.UTC(2024, 0, 1) + i * 60_000,
      hashVersion: 2 as const,
      actor: i % 3 === 0 ? '=cmd|"x, y"' : `user-${i}`,
      role: 'trader',
      action: 'order.submitted',
      subject: `c-${i}`,
      payload: { qty: `${i}.5`, note: i % 2 ? 'line\nbreak, "quoted"' : 'ü€', n: i },
      ...override,
    };
    const hash = chainHash(prev, fields);
    out.push({ ...fields, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}
