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
 * `ChainWalk` gives the same answer a row at a time.
 *
 * @example
 * const broken = firstBreak(rows, { firstSeq: 1, anchorHash: GENESIS_HASH, count: 3 });
 * if (broken) console.log(`seq ${broken.seq}: ${broken.kind}`);
 */
export function firstBreak(rows: readonly ReadRow[], expect: ChainExpectation): ChainBreak | null {
  const walk = new ChainWalk(expect);
  for (const row of rows) walk.push(row);
  return walk.end();
}

/** A break that depends on whether `seq` appears in the rows still to come. */
interface Search {
  readonly seq: number;
  readonly found: ChainBreak;
  readonly missing: ChainBreak;
}

/**
 * `firstBreak` a row at a time, holding at most one row and the rows' count: for an export read
 * as a stream. The row after a bad one tells what it is; past the first break, the rows are only
 * searched for the one `seq` that tells a move from a deletion (or an insertion).
 *
 * @example
 * const walk = new ChainWalk(expect);
 * for await (const row of rows) walk.push(row);
 * const broken = walk.end();
 */
export class ChainWalk {
  readonly #expect: ChainExpectation;
  #prev: string;
  #seq: number;
  #count = 0;
  /** A row that does not link, waiting for the one after it. */
  #held: { readonly row: ReadRow; readonly index: number } | null = null;
  #search: Search | null = null;
  #broken: ChainBreak | null = null;

  constructor(expect: ChainExpectation) {
    this.#expect = expect;
    this.#prev = expect.anchorHash;
    this.#seq = expect.firstSeq;
  }

  push(row: ReadRow): void {
    const index = this.#count++;
    if (this.#broken) return;
    if (this.#search) {
      this.#look(row);
      return;
    }
    const held = this.#held;
    if (held) {
      this.#held = null;
      this.#judge(held.row, held.index, row);
      if (this.#search) this.#look(row);
      return;
    }
    if (row.ok && links(row.record, this.#seq, this.#prev)) {
      this.#prev = row.record.hash;
      this.#seq++;
      return;
    }
    this.#held = { row, index };
  }

  /** The first break, or null when the rows pushed are the chain expected. */
  end(): ChainBreak | null {
    if (this.#held) this.#judge(this.#held.row, this.#held.index, undefined);
    this.#held = null;
    if (this.#search) this.#broken = this.#search.missing;
    this.#search = null;
    if (this.#broken) return this.#broken;
    const { count, firstSeq, lastHash } = this.#expect;
    const seq = this.#seq;
    const n = this.#count;
    if (count !== undefined && n < count) {
      return {
        seq,
        kind: 'deleted',
        index: n,
        detail: `${count - n} row(s) missing at the end, from seq ${seq}`,
      };
    }
    if (count !== undefined && n > count) {
      return {
        seq: firstSeq + count,
        kind: 'inserted',
        index: count,
        detail: `${n - count} row(s) after the last one the manifest counts`,
      };
    }
    if (lastHash !== undefined && n > 0 && this.#prev !== lastHash) {
      return {
        seq: seq - 1,
        kind: 'changed',
        index: n - 1,
        detail: 'the chain was recomputed: the last hash is not the one the manifest signs',
      };
    }
    return null;
  }

  #look(row: ReadRow): void {
    const search = this.#search!;
    if (row.ok && row.record.seq === search.seq) {
      this.#broken = search.found;
      this.#search = null;
    }
  }

  /** The break at a row that does not link, given the row after it (the search starts there). */
  #judge(row: ReadRow, i: number, next: ReadRow | undefined): void {
    const seq = this.#seq;
    const prev = this.#prev;
    const broken = (b: ChainBreak) => void (this.#broken = b);
    if (next?.ok && links(next.record, seq, prev)) {
      // The expected row comes next: this one is extra, unless it is a later row moved up.
      const inserted: ChainBreak = {
        seq,
        kind: 'inserted',
        index: i,
        detail: `an extra row stands before seq ${seq}`,
      };
      // Stryker disable next-line EqualityOperator: equivalent, a row at `seq` itself appears next, so `>=` also says inserted
      if (row.ok && row.record.seq > seq) {
        this.#search = {
          seq: row.record.seq,
          found: inserted,
          missing: {
            seq,
            kind: 'reordered',
            index: i,
            detail: `seq ${row.record.seq} stands before ${seq}`,
          },
        };
        return;
      }
      return broken(inserted);
    }
    if (!row.ok) return broken({ seq, kind: 'changed', index: i, detail: row.error });
    const r = row.record;
    const fault = rowFault(r);
    if (r.seq === seq || r.prevHash === prev) {
      if (fault !== null) {
        return broken({ seq, kind: 'changed', index: i, detail: `seq ${seq} ${fault}` });
      }
      if (r.seq !== seq) {
        return broken({
          seq,
          kind: 'changed',
          index: i,
          detail: `seq ${seq} was renumbered ${r.seq}`,
        });
      }
      // Intact in itself but not linked: the row before was rewritten with a fresh hash (or
      // this row's link was). The earlier of the two is the first bad one.
      return broken({
        seq: i > 0 ? seq - 1 : seq,
        kind: 'changed',
        index: i > 0 ? i - 1 : i,
        detail: `seq ${seq} does not link to the hash of the row before it`,
      });
    }
    // Stryker disable next-line EqualityOperator: equivalent, `r.seq === seq` returned above
    if (r.seq > seq) {
      const missing = r.seq - 1 > seq ? `seq ${seq}…${r.seq - 1} are` : `seq ${seq} is`;
      this.#search = {
        seq,
        found: {
          seq,
          kind: 'reordered',
          index: i,
          detail: `seq ${r.seq} stands where ${seq} should`,
        },
        missing: { seq, kind: 'deleted', index: i, detail: `${missing} missing` },
      };
      return;
    }
    // A seq that already passed: the row is a duplicate or an insertion claiming that seq.
    return broken({
      seq: Math.min(r.seq, seq),
      kind: 'inserted',
      index: i,
      detail: `seq ${r.seq} appears again before seq ${seq}`,
    });
  }
}

function links(r: AuditRecord, seq: number, prev: string): boolean {
  return r.seq === seq && r.prevHash === prev && rowFault(r) === null;
}
