import { canonicalJson } from '../../../../src/security/audit/canonical.js';
import { chainHash, GENESIS_HASH } from '../../../../src/security/audit/chain.js';
import { jsonl } from '../../../../src/security/audit/jsonl-format.js';
import { readRecord } from '../../../../src/security/audit/read-record.js';
import { auditChain } from './audit-chain.js';

// Rows an auditor's export can hold at the edges of what is valid.

/** A row as an export writes it (JSONL), stamped at the epoch. */
const row = JSON.parse(jsonl.write(auditChain(1, { ts: 0, wallTs: 0 })).trim()) as Record<
  string,
  unknown
>;

describe('audit rows at the edges', () => {
  it('reads a row stamped at the epoch (ts and wall time 0)', () => {
    const r = readRecord(row);
    expect(typeof r).toBe('object');
    expect(r).toMatchObject({ ts: 0, wallTs: 0 });
  });

  it('takes a hash of exactly 64 lower-case hex digits, not one with anything before or after', () => {
    for (const bad of [`${'f'.repeat(64)}0`, `0${'f'.repeat(64)}`, `x${'f'.repeat(64)}`])
      for (const k of ['prev_hash', 'hash'] as const)
        expect(readRecord({ ...row, [k]: bad })).toBe(`${k}: must be 64 hex digits`);
  });

  it('hashes a payload object made without a prototype as the same plain object', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 'x' });
    expect(canonicalJson({ p: bare })).toBe('{"p":{"a":"x","b":1}}');
    const fields = { ...readRecordFields(), payload: { a: 'x', b: 1 } };
    expect(chainHash(GENESIS_HASH, { ...fields, payload: bare as never })).toBe(
      chainHash(GENESIS_HASH, fields),
    );
  });
});

function readRecordFields() {
  const r = readRecord(row);
  if (typeof r === 'string') throw new Error(r);
  return r;
}
