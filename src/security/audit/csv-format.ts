import type { AuditRecord } from './audit-record.js';
import { canonicalJson } from './canonical.js';
import type { ReadRow } from './first-break.js';
import { EXPORT_VERSION, type ExportVersion } from './manifest.js';
import { readRecord, rewritten } from './read-record.js';
import { RecordSplitter } from './record-splitter.js';

const COLUMNS = [
  'seq',
  'ts',
  'time',
  'wall_ts',
  'wall_time',
  'actor',
  'role',
  'action',
  'subject',
  'payload',
  'hash_version',
  'prev_hash',
  'hash',
] as const;
type Column = (typeof COLUMNS)[number];
/** A version 1 export's columns: no wall time, no hash version. */
const COLUMNS_V1: readonly Column[] = COLUMNS.filter(
  (c) => c !== 'wall_ts' && c !== 'wall_time' && c !== 'hash_version',
);
const columnsOf = (version: ExportVersion): readonly Column[] =>
  version === 1 ? COLUMNS_V1 : COLUMNS;
const BOM = '\uFEFF';
const EOL = '\r\n';
// Spreadsheets run a cell starting with one of these as a formula: such text gets a leading '.
const FORMULA_START = /^[=+\-@\t\r']/;

/** A CSV file read back: whether its header is the expected one, and its rows. */
export interface CsvRead {
  readonly headerOk: boolean;
  readonly rows: ReadRow[];
}

/**
 * The CSV form of the export, for people: RFC 4180 (CRLF, `"` quoting), a UTF-8 byte-order mark
 * so spreadsheets read it as UTF-8, ISO `time` and `wall_time` columns beside `ts` and `wall_ts`
 * (a version 1 export has neither wall column nor `hash_version`), the payload as canonical
 * JSON, and text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) prefixed
 * with `'` (as is text that starts with `'`; a reader strips one). Hand-written: the format is
 * small and exact byte control matters more here than a library's options.
 *
 * @example
 * const text = csv.write(records);
 * const { headerOk, rows } = csv.read(text);
 */
export const csv = {
  write(records: readonly AuditRecord[]): string {
    return csv.head() + csv.rows(records);
  },

  /** The file's start: the byte-order mark and the header line (`write` is `head() + rows()`). */
  head(): string {
    return BOM + COLUMNS.join(',') + EOL;
  },

  /** The lines of `records`, each with its line end (an export written page by page). */
  rows(records: readonly AuditRecord[]): string {
    return records.map((r) => line(r, EXPORT_VERSION) + EOL).join('');
  },

  /**
   * Reads every record of an export of the given version (the manifest's); a record that is
   * not exactly as that version's writer made it is not a row.
   */
  read(text: string, version: ExportVersion = EXPORT_VERSION): CsvRead {
    const records: string[] = [];
    const split = new RecordSplitter('csv', Infinity, (r) => records.push(r!.toString('utf8')));
    split.push(Buffer.from(text.startsWith(BOM) ? text.slice(1) : text, 'utf8'));
    split.end();
    const [header, ...rows] = records;
    return {
      headerOk: header !== undefined && csv.headerOk(header, version),
      rows: rows.map((raw, i) => csv.row(raw, i, version)),
    };
  },

  /** Whether a record's text (`RecordSplitter`'s, after the byte-order mark) is the header. */
  headerOk(raw: string, version: ExportVersion = EXPORT_VERSION): boolean {
    return csvFields(raw).join(',') === columnsOf(version).join(',');
  },

  /** The row of the `index`th record after the header, from its text without its line end. */
  row(raw: string, index: number, version: ExportVersion = EXPORT_VERSION): ReadRow {
    const columns = columnsOf(version);
    const fields = csvFields(raw);
    const int = (v: string | undefined): number | undefined =>
      v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : NaN;
    const where = `record ${index + 1}`;
    if (fields.length !== columns.length) {
      return {
        ok: false,
        error: `${where}: ${fields.length} fields, expected ${columns.length}`,
      };
    }
    const at = (c: Column): string | undefined =>
      columns.includes(c) ? fields[columns.indexOf(c)] : undefined;
    const get = (c: Column): string => at(c)!;
    let payload: unknown;
    try {
      payload = JSON.parse(unguard(get('payload')));
    } catch {
      return { ok: false, error: `${where}: payload is not JSON` };
    }
    const record = readRecord({
      seq: int(get('seq')),
      ts: int(get('ts')),
      wall_ts: int(at('wall_ts')),
      hash_version: int(at('hash_version')),
      actor: unguard(get('actor')),
      role: unguard(get('role')),
      action: unguard(get('action')),
      subject: unguard(get('subject')),
      payload,
      prev_hash: get('prev_hash'),
      hash: get('hash'),
    });
    if (typeof record === 'string') return { ok: false, error: `${where}: ${record}` };
    const written = rewritten(() => line(record, version));
    if ('error' in written) return { ok: false, error: `${where}: ${written.error}` };
    if (written.text !== raw)
      return { ok: false, error: `${where}: not byte-for-byte as exported` };
    return { ok: true, record };
  },
};

function line(r: AuditRecord, version: ExportVersion): string {
  const cells: Record<Column, string> = {
    seq: String(r.seq),
    ts: String(r.ts),
    time: new Date(r.ts).toISOString(),
    wall_ts: String(r.wallTs),
    wall_time: new Date(r.wallTs).toISOString(),
    actor: guard(r.actor),
    role: guard(r.role),
    action: guard(r.action),
    subject: guard(r.subject),
    // At the depth it has in a row (level 2), as in the JSONL line and the hash.
    payload: guard(canonicalJson(r.payload, 'payload', 1)),
    hash_version: String(r.hashVersion),
    prev_hash: r.prevHash,
    hash: r.hash,
  };
  return columnsOf(version)
    .map((c) => quote(cells[c]))
    .join(',');
}

function guard(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

function unguard(text: string): string {
  return text.startsWith("'") ? text.slice(1) : text;
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

/**
 * The RFC 4180 fields of one record's text (`RecordSplitter` cut it at its line end).
 *
 * @example
 * csvFields('a,"b ""c""",d'); // ['a', 'b "c"', 'd']
 */
export function csvFields(text: string): string[] {
  let i = 0;
  const fields: string[] = [];
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        // Stryker disable next-line EqualityOperator: equivalent, q is the index of a quote after the opening one, never 0
        if (q < 0) {
          field += text.slice(i);
          i = text.length;
          break;
        }
        field += text.slice(i, q);
        i = q + 1;
        if (text[i] !== '"') break;
        field += '"';
        i++;
      }
    }
    // Unquoted text (or stray text after a closing quote) up to the next separator.
    const j = text.indexOf(',', i);
    const end = j < 0 ? text.length : j;
    field += text.slice(i, end);
    fields.push(field);
    if (j < 0) return fields;
    i = j + 1;
  }
}
