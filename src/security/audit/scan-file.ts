import { createHash } from 'node:crypto';
import type { AuditRecord } from './audit-record.js';
import { csv } from './csv-format.js';
import { ChainWalk, type ChainBreak, type ChainExpectation } from './first-break.js';
import { jsonl } from './jsonl-format.js';
import type { ExportVersion } from './manifest.js';
import { RecordSplitter } from './record-splitter.js';

/**
 * The longest JSONL line or CSV record the verifier reads, in bytes: four times the longest row
 * `AuditRepository.append` takes (`MAX_ROW_BYTES`), which covers a CSV record's doubled quotes.
 * A longer one is a bad row (its bytes are hashed, never held).
 */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** The largest file the verifier reads, in bytes (1 GiB); a larger one is refused unread. */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** What the chain check of a data file needs of its rows, besides the chain. */
export interface RowSummary {
  readonly first: AuditRecord | null;
  readonly last: AuditRecord | null;
  /** The first row whose wall time lies outside the range. */
  readonly outside: AuditRecord | null;
}

/** A file read through: its SHA-256 and, for a `.jsonl` or `.csv` file, its chain. */
export interface FileScan {
  readonly sha256: string;
  readonly rows: {
    /** Whether the CSV header is the expected one (true for JSONL). */
    readonly headerOk: boolean;
    readonly broken: ChainBreak | null;
    readonly summary: RowSummary;
  } | null;
}

/** How a file is read: its layout, the chain it must hold and the range of its rows. */
export interface ScanRules {
  readonly version: ExportVersion;
  readonly expect: ChainExpectation;
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * Reads a file of an export once, as a stream: hashes every byte, and for a data file cuts it
 * into rows (at most `MAX_LINE_BYTES` held) and walks their chain. Answers `tooLarge` as soon as
 * more than `MAX_FILE_BYTES` came (a file that grew after its size was read). `digest`, when the
 * stream hashes its own bytes (an object store's), answers their SHA-256 after the last chunk:
 * then the bytes are not hashed a second time here.
 *
 * @example
 * const scan = await scanFile(name, stream, rules);
 */
export async function scanFile(
  name: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  rules: ScanRules,
  digest?: () => string | null,
): Promise<FileScan | { readonly tooLarge: number }> {
  const hash = digest ? null : createHash('sha256');
  const rows = dataRows(name, rules);
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > MAX_FILE_BYTES) return { tooLarge: size };
    hash?.update(chunk);
    rows?.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  const sha256 = hash ? hash.digest('hex') : digest!();
  if (sha256 === null) throw new Error(`${name}: the stream ended without its digest`);
  return { sha256, rows: rows?.end() ?? null };
}

/** The row reader of a `.jsonl` or `.csv` file, else null. */
function dataRows(name: string, rules: ScanRules) {
  const isCsv = name.endsWith('.csv');
  if (!isCsv && !name.endsWith('.jsonl')) return null;
  const { version } = rules;
  const walk = new ChainWalk(rules.expect);
  let first: AuditRecord | null = null;
  let last: AuditRecord | null = null;
  let outside: AuditRecord | null = null;
  let headerOk = !isCsv;
  let header = isCsv;
  let index = 0;
  const split = new RecordSplitter(isCsv ? 'csv' : 'lf', MAX_LINE_BYTES, (bytes) => {
    if (header) {
      header = false;
      headerOk = bytes !== null && csv.headerOk(bytes.toString('utf8'), version);
      return;
    }
    const where = isCsv ? `record ${index + 1}` : `line ${index + 1}`;
    const row =
      bytes === null
        ? {
            ok: false as const,
            error: `${where}: longer than ${MAX_LINE_BYTES} bytes, the longest the verifier reads`,
          }
        : isCsv
          ? csv.row(bytes.toString('utf8'), index, version)
          : jsonl.row(bytes.toString('utf8'), index, version);
    index++;
    walk.push(row);
    if (!row.ok) return;
    const r = row.record;
    first ??= r;
    last = r;
    if (outside === null && (r.wallTs < rules.fromMs || r.wallTs >= rules.toMs)) outside = r;
  });
  // The CSV's byte-order mark is cut before the records: a field after it may open a quote.
  let lead: Buffer | null = isCsv ? Buffer.alloc(0) : null;
  return {
    push(chunk: Buffer): void {
      if (lead === null) return split.push(chunk);
      lead = Buffer.concat([lead, chunk]);
      if (lead.length < BOM.length) return;
      const rest = lead.subarray(0, BOM.length).equals(BOM) ? lead.subarray(BOM.length) : lead;
      lead = null;
      split.push(rest);
    },
    end() {
      if (lead !== null) split.push(lead);
      split.end();
      return { headerOk, broken: walk.end(), summary: { first, last, outside } };
    },
  };
}
