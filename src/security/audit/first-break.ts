import type { AuditRecord } from './audit-record.js';
import { rowFault } from './chain.js';

/** One row as read back from an export: a record, or why the text is not one. */
export type ReadRow =
  | { readonly ok: true; readonly record: AuditRecord }
  | { readonly ok: false; readonly error: string };

/** How the first bad row differs from an intact chain. */
export type BreakKind = 'changed' | 'deleted' | 'inserted' | 'reordered';

/** The first place where the rows stop being the chain the manifest describes. */
export interface ChainBreak {
  /** The first `seq` that is not as recorded. */
  readonly seq: number;
  readonly kind: BreakKind;
  /** 0-based index of the row (line or record) where the break shows. */
  readonly index: number;
  readonly detail: string;
}

/** What the rows must be: where the chain starts and, when known, how it ends. */
export interface ChainExpectation {
  /** The `seq` of the first row. */
  readonly firstSeq: number;
  /** The hash the first row links to (its `prevHash`). */
  readonly anchorHash: string;
  readonly count?: number;
  readonly lastHash?: string | null;
}

/**
 * Walks the rows and names the first bad `seq`, or returns null when the chain is intact.
 * Rows must run `firstSeq, firstSeq+1, …`, each linking to the hash of the one before and
 * hashing to its own `hash`. The kind is a best guess from the evidence:
 * - `changed`: the row does not hash to its `hash` (a byte changed; for a version 1 row, also
 *   a wall time other than its `ts`), or it was rewritten with a new hash so the next row no
 *   longer links to it;
 * - `deleted`: a `seq` is missing and does not appear later;
 * - `reordered`: the expected `seq` appears later in the file;
 * - `inserted`: an extra row (the next row is the expected one, or a `seq` repeats, or rows
 *   follow the last one the manifest counts).
 *
 * @example
 * const broken = firstBreak(rows, { firstSeq: 1, anchorHash: GENESIS_HASH, count: 3 });
 * if (broken) console.log(`seq ${broken.seq}: ${broken.kind}`);
 */
export function firstBreak(rows: readonly ReadRow[], expect: ChainExpectation): ChainBreak | null {
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
