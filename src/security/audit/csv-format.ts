import type { AuditRecord } from './audit-record.js';
import { canonicalJson } from './canonical.js';
import type { ReadRow } from './first-break.js';
import { readRecord } from './read-record.js';

const COLUMNS = [
  'seq',
  'ts',
  'time',
  'actor',
  'role',
  'action',
  'subject',
  'payload',
  'prev_hash',
  'hash',
] as const;
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
 * so spreadsheets read it as UTF-8, an ISO `time` column beside `ts`, the payload as canonical
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
    return BOM + [COLUMNS.join(','), ...records.map(line)].map((l) => l + EOL).join('');
  },

  /** Reads every record; a record that is not exactly as `write` makes it is not a row. */
  read(text: string): CsvRead {
    const records = parse(text.startsWith(BOM) ? text.slice(1) : text);
    const header = records.shift();
    const headerOk = header?.fields.join(',') === COLUMNS.join(',');
    const rows = records.map(({ fields, raw }, i): ReadRow => {
      const where = `record ${i + 1}`;
      if (fields.length !== COLUMNS.length) {
        return {
          ok: false,
          error: `${where}: ${fields.length} fields, expected ${COLUMNS.length}`,
        };
      }
      const get = (c: (typeof COLUMNS)[number]): string => fields[COLUMNS.indexOf(c)]!;
      let payload: unknown;
      try {
        payload = JSON.parse(unguard(get('payload')));
      } catch {
        return { ok: false, error: `${where}: payload is not JSON` };
      }
      const record = readRecord({
        seq: /^\d+$/.test(get('seq')) ? Number(get('seq')) : NaN,
        ts: /^\d+$/.test(get('ts')) ? Number(get('ts')) : NaN,
        actor: unguard(get('actor')),
        role: unguard(get('role')),
        action: unguard(get('action')),
        subject: unguard(get('subject')),
        payload,
        prev_hash: get('prev_hash'),
        hash: get('hash'),
      });
      if (typeof record === 'string') return { ok: false, error: `${where}: ${record}` };
      if (line(record) !== raw)
        return { ok: false, error: `${where}: not byte-for-byte as exported` };
      return { ok: true, record };
    });
    return { headerOk, rows };
  },
};

function line(r: AuditRecord): string {
  return [
    String(r.seq),
    String(r.ts),
    new Date(r.ts).toISOString(),
    guard(r.actor),
    guard(r.role),
    guard(r.action),
    guard(r.subject),
    guard(canonicalJson(r.payload)),
    r.prevHash,
    r.hash,
  ]
    .map(quote)
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

/** RFC 4180 records, each with its exact text (without the line end). */
function parse(text: string): { fields: string[]; raw: string }[] {
  const out: { fields: string[]; raw: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const start = i;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
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
      let j = i;
      while (j < text.length && text[j] !== ',' && text[j] !== '\r' && text[j] !== '\n') j++;
      field += text.slice(i, j);
      i = j;
      fields.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    const raw = text.slice(start, i);
    if (text.startsWith(EOL, i)) i += 2;
    else if (i < text.length) i++;
    out.push({ fields, raw });
  }
  return out;
}
