import fc from 'fast-check';
import { csvFields } from '../../../../src/security/audit/csv-format.js';
import { RecordSplitter } from '../../../../src/security/audit/record-splitter.js';

// The verifier cuts a file into records as it streams, chunk by chunk. Whatever the bytes and
// wherever the chunks end, it must find the records reading the whole text found (the reader
// of the previous release, restated here as a pattern), and hold no record past its limit.

/**
 * RFC 4180 records as the whole-text reader reads them, written as one pattern: a field opened
 * by a quote runs to its closing quote (`""` is a quote; no closing quote: to the end) and then
 * to the separator; a record ends at an unquoted CR, LF or CRLF, or at the end.
 */
const FIELD = /"((?:[^"]|"")*)"?([^,\r\n]*)|([^,\r\n]*)/y;
function wholeCsv(text: string): { fields: string[]; raw: string }[] {
  const out: { fields: string[]; raw: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const start = i;
    const fields: string[] = [];
    let more = true;
    while (more) {
      FIELD.lastIndex = i;
      const m = FIELD.exec(text)!;
      fields.push(m[3] ?? m[1]!.replaceAll('""', '"') + m[2]);
      i = FIELD.lastIndex;
      more = text[i] === ',';
      if (more) i++;
    }
    out.push({ fields, raw: text.slice(start, i) });
    i += text.startsWith('\r\n', i) ? 2 : 1;
  }
  return out;
}

/** The JSONL reader's lines before streaming. */
function wholeLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Runs a splitter over `bytes` cut at `cuts` (offsets, any order, repeats and 0 allowed). */
function split(kind: 'lf' | 'csv', bytes: Buffer, cuts: number[], max = Infinity) {
  const out: (string | null)[] = [];
  const splitter = new RecordSplitter(kind, max, (r) => out.push(r && r.toString('utf8')));
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const c of [...at, bytes.length]) {
    splitter.push(bytes.subarray(from, c));
    from = c;
  }
  splitter.end();
  return out;
}

/** Text made of what matters to a CSV or JSONL reader, and multi-byte characters. */
const text = fc
  .array(fc.constantFrom('a', 'bc', ',', '"', '""', '\r', '\n', '\r\n', 'é', '€', '😀', ' '), {
    maxLength: 40,
  })
  .map((parts) => parts.join(''));
const cuts = fc.array(fc.nat(400), { maxLength: 12 });

describe('RecordSplitter', () => {
  it('cuts CSV bytes into the records, and the fields, the whole-text reader found', () => {
    fc.assert(
      fc.property(text, cuts, (t, c) => {
        const whole = wholeCsv(t);
        const streamed = split('csv', Buffer.from(t, 'utf8'), c);
        expect(streamed).toEqual(whole.map((r) => r.raw));
        expect(streamed.map((r) => csvFields(r!))).toEqual(whole.map((r) => r.fields));
      }),
      { numRuns: 1000 },
    );
  });

  it('cuts JSONL bytes into the lines the whole-text reader found', () => {
    fc.assert(
      fc.property(text, cuts, (t, c) => {
        expect(split('lf', Buffer.from(t, 'utf8'), c)).toEqual(wholeLines(t));
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes bad UTF-8 per record as the whole file decoded', () => {
    const bytes = fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b));
    fc.assert(
      fc.property(bytes, cuts, (b, c) => {
        const t = b.toString('utf8');
        expect(split('lf', b, c)).toEqual(wholeLines(t));
        expect(split('csv', b, c)).toEqual(wholeCsv(t).map((r) => r.raw));
      }),
      { numRuns: 1000 },
    );
  });

  it('hands on a record longer than the limit as null, never its bytes, and the next ones intact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'é', ','), maxLength: 12 }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 1, max: 10 }),
        cuts,
        (lines, max, c) => {
          const t = lines.map((l) => `${l}\n`).join('');
          const expected = lines.map((l) => (Buffer.byteLength(l) > max ? null : l));
          expect(split('lf', Buffer.from(t), c, max)).toEqual(expected);
          const crlf = lines.map((l) => `${l}\r\n`).join('');
          expect(split('csv', Buffer.from(crlf), c, max)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('hands on a 16 MiB record with no end (an unended quote too) as one null', () => {
    for (const kind of ['lf', 'csv'] as const) {
      const held: number[] = [];
      const splitter = new RecordSplitter(kind, 1000, (r) => held.push(r?.length ?? -1));
      // 16 MiB with no record end (in a CSV, line ends inside a quote): dropped as it comes.
      if (kind === 'csv') splitter.push(Buffer.from('"'));
      const chunk = Buffer.alloc(64 * 1024, kind === 'csv' ? 'a\r\n' : 'a');
      for (let i = 0; i < 256; i++) splitter.push(chunk);
      splitter.end();
      expect(held).toEqual([-1]);
    }
  });
});
