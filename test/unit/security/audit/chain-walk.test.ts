import fc from 'fast-check';
import type { AuditRecord } from '../../../../src/security/audit/audit-record.js';
import { chainHash, GENESIS_HASH, rowFault } from '../../../../src/security/audit/chain.js';
import {
  ChainWalk,
  firstBreak,
  type ChainBreak,
  type ChainExpectation,
  type ReadRow,
} from '../../../../src/security/audit/first-break.js';
import { auditChain } from './audit-chain.js';

// The verifier walks an export's chain a row at a time as it streams the file. Whatever the rows,
// it must name the break the walk over the whole list named (the previous release's, kept here
// as the reference): the same seq, kind, row and words.

const rows = auditChain(8);

/** One row of a tampered file: a row of the chain, an unreadable line, or an edited row. */
const row: fc.Arbitrary<ReadRow> = fc.oneof(
  { weight: 6, arbitrary: fc.nat(7).map((i) => ({ ok: true as const, record: rows[i]! })) },
  { weight: 1, arbitrary: fc.constant({ ok: false as const, error: 'line 9: not JSON' }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ i: fc.nat(7), rehash: fc.boolean(), seq: fc.integer({ min: 0, max: 10 }) })
      .map(({ i, rehash, seq }) => {
        const r: AuditRecord = { ...rows[i]!, seq, actor: 'mallory' };
        return { ok: true as const, record: rehash ? { ...r, hash: chainHash(r.prevHash, r) } : r };
      }),
  },
);

/** A file: the chain with some rows replaced, dropped, moved or added. */
const file = fc.oneof(
  fc.array(row, { maxLength: 12 }),
  fc
    .record({
      at: fc.nat(8),
      cut: fc.nat(3),
      put: fc.array(row, { maxLength: 3 }),
    })
    .map(({ at, cut, put }) => {
      const out: ReadRow[] = rows.map((record) => ({ ok: true, record }));
      out.splice(at, cut, ...put);
      return out;
    }),
);

const expectation: fc.Arbitrary<ChainExpectation> = fc.record(
  {
    firstSeq: fc.constantFrom(1, 2),
    anchorHash: fc.constantFrom(GENESIS_HASH, rows[0]!.hash),
    count: fc.integer({ min: 0, max: 10 }),
    lastHash: fc.constantFrom(null, rows[7]!.hash, rows[6]!.hash),
  },
  { requiredKeys: ['firstSeq', 'anchorHash'] },
);

describe('ChainWalk', () => {
  it('names the break the whole-list walk named, for any rows', () => {
    fc.assert(
      fc.property(file, expectation, (rs, expect_) => {
        const reference = wholeFirstBreak(rs, expect_);
        expect(firstBreak(rs, expect_)).toEqual(reference);
        const walk = new ChainWalk(expect_);
        for (const r of rs) walk.push(r);
        expect(walk.end()).toEqual(reference);
      }),
      { numRuns: 1500 },
    );
  });
});

function wholeFirstBreak(rows: readonly ReadRow[], expect: ChainExpectation): ChainBreak | null {
  let prev = expect.anchorHash;
  let seq = expect.firstSeq;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.ok && links(row.record, seq, prev)) {
      prev = row.record.hash;
      seq++;
      continue;
    }
    const next = rows[i + 1];
    if (next?.ok && links(next.record, seq, prev)) {
      // The expected row comes next: this one is extra, unless it is a later row moved up.
      // Stryker disable next-line EqualityOperator: equivalent, a row at `seq` itself appears next, so `>=` also says inserted
      if (row.ok && row.record.seq > seq && !appearsIn(rows, i + 1, row.record.seq)) {
        return {
          seq,
          kind: 'reordered',
          index: i,
          detail: `seq ${row.record.seq} stands before ${seq}`,
        };
      }
      return { seq, kind: 'inserted', index: i, detail: `an extra row stands before seq ${seq}` };
    }
    if (!row.ok) return { seq, kind: 'changed', index: i, detail: row.error };
    const r = row.record;
    const fault = rowFault(r);
    if (r.seq === seq || r.prevHash === prev) {
      if (fault !== null) return { seq, kind: 'changed', index: i, detail: `seq ${seq} ${fault}` };
      if (r.seq !== seq) {
        return { seq, kind: 'changed', index: i, detail: `seq ${seq} was renumbered ${r.seq}` };
      }
      // Intact in itself but not linked: the row before was rewritten with a fresh hash (or
      // this row's link was). The earlier of the two is the first bad one.
      const bad = i > 0 ? seq - 1 : seq;
      return {
        seq: bad,
        kind: 'changed',
        index: i > 0 ? i - 1 : i,
        detail: `seq ${seq} does not link to the hash of the row before it`,
      };
    }
    // Stryker disable next-line EqualityOperator: equivalent, `r.seq === seq` returned above
    if (r.seq > seq) {
      if (appearsIn(rows, i + 1, seq)) {
        return {
          seq,
          kind: 'reordered',
          index: i,
          detail: `seq ${r.seq} stands where ${seq} should`,
        };
      }
      const missing = r.seq - 1 > seq ? `seq ${seq}…${r.seq - 1} are` : `seq ${seq} is`;
      return { seq, kind: 'deleted', index: i, detail: `${missing} missing` };
    }
    // A seq that already passed: the row is a duplicate or an insertion claiming that seq.
    return {
      seq: Math.min(r.seq, seq),
      kind: 'inserted',
      index: i,
      detail: `seq ${r.seq} appears again before seq ${seq}`,
    };
  }
  if (expect.count !== undefined && rows.length < expect.count) {
    return {
      seq,
      kind: 'deleted',
      index: rows.length,
      detail: `${expect.count - rows.length} row(s) missing at the end, from seq ${seq}`,
    };
  }
  if (expect.count !== undefined && rows.length > expect.count) {
    return {
      seq: expect.firstSeq + expect.count,
      kind: 'inserted',
      index: expect.count,
      detail: `${rows.length - expect.count} row(s) after the last one the manifest counts`,
    };
  }
  if (expect.lastHash !== undefined && rows.length > 0 && prev !== expect.lastHash) {
    return {
      seq: seq - 1,
      kind: 'changed',
      index: rows.length - 1,
      detail: 'the chain was recomputed: the last hash is not the one the manifest signs',
    };
  }
  return null;
}

function appearsIn(rows: readonly ReadRow[], from: number, seq: number): boolean {
  for (let j = from; j < rows.length; j++) {
    const r = rows[j]!;
    if (r.ok && r.record.seq === seq) return true;
  }
  return false;
}

function links(r: AuditRecord, seq: number, prev: string): boolean {
  return r.seq === seq && r.prevHash === prev && rowFault(r) === null;
}
