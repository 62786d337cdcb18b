import fc from 'fast-check';
import type { AuditRecord } from '../../../../src/security/audit/audit-record.js';
import { chainHash, GENESIS_HASH } from '../../../../src/security/audit/chain.js';
import {
  firstBreak,
  type ChainExpectation,
  type ReadRow,
} from '../../../../src/security/audit/first-break.js';
import { auditChain } from './audit-chain.js';

// What an auditor reads from `kairos audit verify`: the first bad seq, the kind of tampering,
// the row (line) to open and a sentence saying why. Every field is asserted, not only the kind.

const ok = (records: readonly AuditRecord[]): ReadRow[] =>
  records.map((record) => ({ ok: true, record }));

/** The record re-hashed over its (edited) fields, as a forger who knows the format would. */
const rehashed = (r: AuditRecord): AuditRecord => ({ ...r, hash: chainHash(r.prevHash, r) });

const rows = auditChain(8);
const whole: ChainExpectation = {
  firstSeq: 1,
  anchorHash: GENESIS_HASH,
  count: 8,
  lastHash: rows[7]!.hash,
};
const at = (seq: number): AuditRecord => rows[seq - 1]!;

describe('firstBreak names the first bad row, its line and why', () => {
  it('an edited row: its own seq and line, "does not hash to its hash"', () => {
    const edited = rows.map((r) => (r.seq === 4 ? { ...r, actor: 'mallory' } : r));
    expect(firstBreak(ok(edited), whole)).toEqual({
      seq: 4,
      kind: 'changed',
      index: 3,
      detail: 'seq 4 does not hash to its hash',
    });
  });

  it('an edited last row (nothing follows it)', () => {
    const edited = rows.map((r) => (r.seq === 8 ? { ...r, payload: {} } : r));
    expect(firstBreak(ok(edited), whole)).toEqual({
      seq: 8,
      kind: 'changed',
      index: 7,
      detail: 'seq 8 does not hash to its hash',
    });
  });

  it('a row whose link was edited (not re-hashed) is changed, not an insertion', () => {
    const relinked = rows.map((r) => (r.seq === 4 ? { ...r, prevHash: 'f'.repeat(64) } : r));
    expect(firstBreak(ok(relinked), whole)).toEqual({
      seq: 4,
      kind: 'changed',
      index: 3,
      detail: 'seq 4 does not hash to its hash',
    });
  });

  it('an edited row re-hashed by the forger: the break shows at the next row, blamed on the edited one', () => {
    const forged = rows.map((r) => (r.seq === 4 ? rehashed({ ...r, actor: 'mallory' }) : r));
    expect(firstBreak(ok(forged), whole)).toEqual({
      seq: 4,
      kind: 'changed',
      index: 3,
      detail: 'seq 5 does not link to the hash of the row before it',
    });
  });

  it('a first row that does not link to the anchor is itself the bad row', () => {
    expect(firstBreak(ok(rows), { ...whole, anchorHash: 'f'.repeat(64) })).toEqual({
      seq: 1,
      kind: 'changed',
      index: 0,
      detail: 'seq 1 does not link to the hash of the row before it',
    });
  });

  it('a renumbered row, re-hashed so it is intact in itself', () => {
    const renumbered = rows.map((r) => (r.seq === 4 ? rehashed({ ...r, seq: 9 }) : r));
    expect(firstBreak(ok(renumbered), whole)).toEqual({
      seq: 4,
      kind: 'changed',
      index: 3,
      detail: 'seq 4 was renumbered 9',
    });
  });

  it('an unreadable line: the reader says why', () => {
    const read = ok(rows);
    read[6] = { ok: false, error: 'line 7: not JSON' };
    expect(firstBreak(read, whole)).toEqual({
      seq: 7,
      kind: 'changed',
      index: 6,
      detail: 'line 7: not JSON',
    });
  });

  it('an unreadable extra line before the expected row is an insertion', () => {
    const read = ok(rows);
    read.splice(3, 0, { ok: false, error: 'line 4: not JSON' });
    expect(firstBreak(read, whole)).toEqual({
      seq: 4,
      kind: 'inserted',
      index: 3,
      detail: 'an extra row stands before seq 4',
    });
  });

  it('one deleted row, two deleted rows, the first and the last', () => {
    expect(firstBreak(ok(rows.filter((r) => r.seq !== 5)), whole)).toEqual({
      seq: 5,
      kind: 'deleted',
      index: 4,
      detail: 'seq 5 is missing',
    });
    expect(firstBreak(ok(rows.filter((r) => r.seq !== 4 && r.seq !== 5)), whole)).toEqual({
      seq: 4,
      kind: 'deleted',
      index: 3,
      detail: 'seq 4…5 are missing',
    });
    expect(firstBreak(ok(rows.slice(1)), whole)).toEqual({
      seq: 1,
      kind: 'deleted',
      index: 0,
      detail: 'seq 1 is missing',
    });
    expect(firstBreak(ok(rows.slice(0, 6)), whole)).toEqual({
      seq: 7,
      kind: 'deleted',
      index: 6,
      detail: '2 row(s) missing at the end, from seq 7',
    });
  });

  it('a deleted row in a slice that starts later: seq and line differ', () => {
    const slice = rows.slice(3); // seq 4..8
    const expectSlice = { firstSeq: 4, anchorHash: at(3).hash, count: 5, lastHash: at(8).hash };
    expect(firstBreak(ok(slice), expectSlice)).toBeNull();
    expect(firstBreak(ok(slice.filter((r) => r.seq !== 6)), expectSlice)).toEqual({
      seq: 6,
      kind: 'deleted',
      index: 2,
      detail: 'seq 6 is missing',
    });
    const extra = rehashed({ ...at(8), seq: 9, prevHash: at(8).hash });
    expect(firstBreak(ok([...slice, extra]), expectSlice)).toEqual({
      seq: 9,
      kind: 'inserted',
      index: 5,
      detail: '1 row(s) after the last one the manifest counts',
    });
  });

  it('an extra row (a copy of an earlier one) before the expected row', () => {
    const withCopy = [...rows.slice(0, 3), { ...at(3), actor: 'mallory' }, ...rows.slice(3)];
    expect(firstBreak(ok(withCopy), whole)).toEqual({
      seq: 4,
      kind: 'inserted',
      index: 3,
      detail: 'an extra row stands before seq 4',
    });
  });

  it('a copy of a later row placed early is an insertion, since the row still stands in its place', () => {
    const withCopy = [...rows.slice(0, 3), at(5), ...rows.slice(3)];
    expect(firstBreak(ok(withCopy), whole)).toEqual({
      seq: 4,
      kind: 'inserted',
      index: 3,
      detail: 'an extra row stands before seq 4',
    });
  });

  it('a forged row that links, claiming a seq: the real row then repeats it', () => {
    const forged = rehashed({ ...at(4), actor: 'mallory' });
    const withForged = [...rows.slice(0, 3), forged, ...rows.slice(3)];
    expect(firstBreak(ok(withForged), whole)).toEqual({
      seq: 4,
      kind: 'inserted',
      index: 4,
      detail: 'seq 4 appears again before seq 5',
    });
  });

  it('rows appended after the last one the manifest counts', () => {
    const extra = rehashed({ ...at(8), seq: 9, prevHash: at(8).hash });
    expect(firstBreak(ok([...rows, extra]), whole)).toEqual({
      seq: 9,
      kind: 'inserted',
      index: 8,
      detail: '1 row(s) after the last one the manifest counts',
    });
  });

  it('a row moved up past one neighbour, and one swapped with a row further on', () => {
    const adjacent = [...rows.slice(0, 3), at(5), at(4), ...rows.slice(5)];
    expect(firstBreak(ok(adjacent), whole)).toEqual({
      seq: 4,
      kind: 'reordered',
      index: 3,
      detail: 'seq 5 stands before 4',
    });
    const swapped = [at(1), at(2), at(6), at(4), at(5), at(3), at(7), at(8)];
    expect(firstBreak(ok(swapped), whole)).toEqual({
      seq: 3,
      kind: 'reordered',
      index: 2,
      detail: 'seq 6 stands where 3 should',
    });
  });

  it('a chain recomputed from some row on: the signed last hash differs', () => {
    const rebuilt = auditChain(8, { actor: 'mallory' });
    expect(firstBreak(ok(rebuilt), whole)).toEqual({
      seq: 8,
      kind: 'changed',
      index: 7,
      detail: 'the chain was recomputed: the last hash is not the one the manifest signs',
    });
  });

  it('without a count, rows cut off at the end show as a last hash the manifest does not sign', () => {
    const { count: _count, ...uncounted } = whole;
    expect(firstBreak(ok(rows), uncounted)).toBeNull();
    expect(firstBreak(ok(rows.slice(0, 6)), uncounted)).toEqual({
      seq: 6,
      kind: 'changed',
      index: 5,
      detail: 'the chain was recomputed: the last hash is not the one the manifest signs',
    });
  });

  it('without a signed last hash only the links are checked; an empty range is intact', () => {
    const rebuilt = auditChain(8, { actor: 'mallory' });
    expect(firstBreak(ok(rebuilt), { firstSeq: 1, anchorHash: GENESIS_HASH, count: 8 })).toBeNull();
    expect(firstBreak([], { firstSeq: 1, anchorHash: GENESIS_HASH, lastHash: null })).toBeNull();
    expect(firstBreak([], { firstSeq: 1, anchorHash: GENESIS_HASH, count: 0 })).toBeNull();
  });

  it('any single edit, deletion or swap of neighbours is found at that row (property)', () => {
    const chain = auditChain(12);
    const whole12 = { firstSeq: 1, anchorHash: GENESIS_HASH, count: 12, lastHash: chain[11]!.hash };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 11 }),
        fc.constantFrom('edit', 'delete', 'swap'),
        (seq, how) => {
          const k = seq - 1;
          const tampered =
            how === 'edit'
              ? chain.map((r, i) => (i === k ? { ...r, subject: `${r.subject}x` } : r))
              : how === 'delete'
                ? chain.filter((_, i) => i !== k)
                : [...chain.slice(0, k), chain[k + 1]!, chain[k]!, ...chain.slice(k + 2)];
          const kind = { edit: 'changed', delete: 'deleted', swap: 'reordered' }[how];
          expect(firstBreak(ok(tampered), whole12)).toMatchObject({ seq, kind, index: k });
        },
      ),
      { numRuns: 60 },
    );
  });
});
