const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;

/** Where a byte leaves the splitter: inside a record, or a CSV field. */
const enum At {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteSeen,
}

/** A record's bytes (without its line end), or null: it was longer than the limit. */
export type OnRecord = (record: Buffer | null) => void;

/**
 * Cuts a file's bytes, chunk by chunk, into its records, holding at most `maxBytes` of one
 * record: a longer one is handed on as null and its bytes are dropped as they come. `'lf'`: a
 * JSONL file, lines ended by `\n` (the text after the last one, when not empty, is the last
 * line). `'csv'`: RFC 4180 records as the CSV reader splits text (a quoted field may hold line
 * ends; a record ends at an unquoted CR, LF or CRLF). The bytes that end records are ASCII, so
 * cutting before decoding gives the records decoding the whole file would.
 *
 * @example
 * const split = new RecordSplitter('lf', 1024, (line) => lines.push(line));
 * for await (const chunk of stream) split.push(chunk);
 * split.end();
 */
export class RecordSplitter {
  readonly #csv: boolean;
  readonly #max: number;
  readonly #on: OnRecord;
  #parts: Buffer[] = [];
  #length = 0;
  #tooLong = false;
  #at = At.FieldStart;
  #afterCr = false;

  constructor(kind: 'lf' | 'csv', maxBytes: number, onRecord: OnRecord) {
    this.#csv = kind === 'csv';
    this.#max = maxBytes;
    this.#on = onRecord;
  }

  push(chunk: Buffer): void {
    let i = 0;
    // The LF of a CRLF cut between two chunks: skipped, it starts no record.
    if (this.#afterCr && chunk.length > 0) {
      this.#afterCr = false;
      if (chunk[0] === LF) i = 1;
    }
    let start = i;
    while (i < chunk.length) {
      const end = this.#csv ? this.#csvEnd(chunk, i) : chunk.indexOf(LF, i);
      if (end < 0) break;
      this.#take(chunk, start, end);
      this.#emit();
      i = end + 1;
      if (this.#csv && chunk[end] === CR) {
        if (i === chunk.length) this.#afterCr = true;
        else if (chunk[i] === LF) i++;
      }
      start = i;
    }
    this.#take(chunk, start, chunk.length);
  }

  /** The last record, when bytes follow the last line end. */
  end(): void {
    if (this.#length > 0 || this.#tooLong) this.#emit();
  }

  /** The index of the unquoted CR or LF that ends the record in this chunk from `from`, or -1. */
  #csvEnd(chunk: Buffer, from: number): number {
    let at = this.#at;
    for (let i = from; i < chunk.length; i++) {
      if (at === At.Quoted) {
        // Inside a quoted field only a quote matters (a payload's JSON is quoted).
        const q = chunk.indexOf(QUOTE, i);
        if (q < 0) break;
        i = q;
        at = At.QuoteSeen;
        continue;
      }
      const b = chunk[i];
      if (at === At.QuoteSeen && b === QUOTE) {
        at = At.Quoted; // a doubled quote inside a quoted field
        continue;
      }
      if (at === At.FieldStart && b === QUOTE) at = At.Quoted;
      else if (b === COMMA) at = At.FieldStart;
      else if (b === CR || b === LF) {
        this.#at = At.FieldStart;
        return i;
      } else at = At.Unquoted;
    }
    this.#at = at;
    return -1;
  }

  #take(chunk: Buffer, start: number, end: number): void {
    if (end <= start || this.#tooLong) return;
    this.#length += end - start;
    if (this.#length > this.#max) {
      this.#tooLong = true;
      this.#parts = [];
      return;
    }
    this.#parts.push(chunk.subarray(start, end));
  }

  #emit(): void {
    const record = this.#tooLong ? null : Buffer.concat(this.#parts, this.#length);
    this.#parts = [];
    this.#length = 0;
    this.#tooLong = false;
    this.#on(record);
  }
}
