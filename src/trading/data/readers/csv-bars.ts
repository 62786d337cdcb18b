import type { Bar } from '../market-data.js';
import { BarBuilder } from './bar-builder.js';
import { DataFormatError } from './data-format-error.js';
import { decimalText } from './decimal-text.js';
import { parseNumericLine } from './fast-fields.js';
import { MAX_EPOCH_SECONDS, parseTime } from './parse-time.js';
import type { ReadOptions } from './read-options.js';

const TIME_NAMES = ['timestamp', 'time', 'date', 'datetime', 'open_time', 'opentime'];

/** Column positions of an OHLCV CSV header (volume may be absent). */
interface Columns {
  readonly t: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
  /** "Adj Close", read only when prices are adjusted (else -1). */
  readonly a: number;
}

function columns(header: string, source: string, adjust: boolean): Columns {
  const names = header.split(',').map((s) => s.trim().toLowerCase().replace(/^"|"$/g, ''));
  const find = (...want: string[]) => names.findIndex((n) => want.includes(n));
  const cols = {
    t: find(...TIME_NAMES),
    o: find('open'),
    h: find('high'),
    l: find('low'),
    c: find('close'),
    v: find('volume', 'vol'),
    a: adjust ? find('adj close', 'adj_close', 'adjclose', 'adjusted close') : -1,
  };
  const missing = Object.entries({
    time: cols.t,
    open: cols.o,
    high: cols.h,
    low: cols.l,
    close: cols.c,
    ...(adjust ? { 'adj close': cols.a } : {}),
  })
    .filter(([, i]) => i < 0)
    .map(([n]) => n);
  if (missing.length > 0) {
    throw new DataFormatError(
      source,
      1,
      missing[0]!,
      `header has no ${missing.join(', ')} column (header: ${header.trim()})`,
    );
  }
  return cols;
}

/**
 * Streams bars from an OHLCV CSV with a header (backtrader/Yahoo files and generic ones:
 * time, open, high, low, close[, volume] in any order; the time as YYYY-MM-DD, epoch s/ms or
 * ISO-8601). With `adjustClose`, prices are adjusted from the "Adj Close" column
 * (`closeAdjuster`). Rows take a fast path that parses numbers straight from the bytes (text
 * chunks are encoded first); rows it cannot take (dates as text, quotes, a time not after the
 * previous one) go through the general parser, which gives the same bars and the
 * precise errors. Hand-written for speed: see docs/decisions/data-readers.md.
 *
 * @example
 * for await (const batch of readCsvBars(chunks, { source: 'orcl.txt', instrumentId: 'ORCL' })) ...
 */
export async function* readCsvBars(
  chunks: AsyncIterable<Uint8Array | string>,
  opts: ReadOptions,
): AsyncGenerator<Bar[]> {
  const b = new BarBuilder(opts);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let cols: Columns | null = null;
  let lineNo = 0;
  let width = 0;
  let vals = new Float64Array(0);
  let whole = new Uint8Array(0);
  let rest: Uint8Array = new Uint8Array(0);
  const slow = (text: string) => {
    // \r\r\n (a CRLF file converted again) ends a line as \n does: `line` drops one CR, this
    // the other.
    const line = text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text;
    if (cols === null) {
      cols = columns(line, opts.source, opts.adjustClose !== undefined);
      width = Math.max(cols.t, cols.o, cols.h, cols.l, cols.c, cols.v, cols.a) + 1;
      // Stryker disable next-line MethodExpression: equivalent, fewer slots only send more rows to the general parser, which reads them alike
      vals = new Float64Array(Math.max(width, 16));
      whole = new Uint8Array(vals.length);
      return;
    }
    if (line.length === 0) return;
    const f = line.split(',');
    if (f.length < width) {
      throw new DataFormatError(
        opts.source,
        lineNo,
        'row',
        `has ${f.length} fields, the header has at least ${width}`,
      );
    }
    const tRaw = f[cols.t]!;
    const texts = [f[cols.o]!, f[cols.h]!, f[cols.l]!, f[cols.c]!, cols.v >= 0 ? f[cols.v]! : '0'];
    b.add(
      lineNo,
      parseTime(tRaw),
      decimalText(texts[0]!),
      decimalText(texts[1]!),
      decimalText(texts[2]!),
      decimalText(texts[3]!),
      decimalText(texts[4]!),
      tRaw,
      cols.a >= 0 ? decimalText(f[cols.a]!) : NaN,
      texts,
    );
  };
  const line = (buf: Uint8Array, start: number, end: number) => {
    lineNo++;
    if (end > start && buf[end - 1] === 13) end--;
    const c = cols;
    if (c !== null) {
      const n = parseNumericLine(buf, start, end, vals, whole);
      if (n >= width) {
        const raw = vals[c.t]!;
        // parseTime's rule: a whole number of ≤ 10 digits is epoch seconds, a longer one
        // milliseconds. Without a leading zero, ≤ 10 digits is ≤ MAX_EPOCH_SECONDS. Any other
        // time (a sign, a point, a leading zero) goes to parseTime, and so does one not after the
        // previous row, for the error quoting its text.
        const t = whole[c.t] ? (raw <= MAX_EPOCH_SECONDS ? raw * 1000 : raw) : NaN;
        if (t > b.lastTime) {
          b.add(
            lineNo,
            t,
            vals[c.o]!,
            vals[c.h]!,
            vals[c.l]!,
            vals[c.c]!,
            c.v >= 0 ? vals[c.v]! : 0,
            // Stryker disable next-line StringLiteral: equivalent, only a time error quotes the raw text, and a time that would fail goes to the general parser
            '',
            c.a >= 0 ? vals[c.a]! : NaN,
          );
          return;
        }
      }
    }
    slow(decoder.decode(buf.subarray(start, end)));
  };
  const join = (a: Uint8Array, b: Uint8Array) => {
    const joined = new Uint8Array(a.length + b.length);
    joined.set(a);
    joined.set(b, a.length);
    return joined;
  };
  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    let pos = 0;
    for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, pos)) {
      // The line cut by the chunk boundary: the rest joined with the chunk's first line only, not
      // the whole chunk (a copy of each 1 MB chunk would be garbage only a full GC frees).
      if (pos === 0) line(join(rest, bytes.subarray(0, nl)), 0, rest.length + nl);
      else line(bytes, pos, nl);
      pos = nl + 1;
      // A batch leaves as soon as it is full, not at the chunk's end: a chunk holds ~20k rows,
      // and bars kept that long outlive the young generation (4x the CPU in garbage collection).
      const out = b.take();
      if (out) yield out;
    }
    // A chunk with no line end adds to the rest; else the rest is a copy of the tail (Buffer's
    // slice would be a view keeping the whole chunk).
    rest = pos === 0 ? join(rest, bytes) : Uint8Array.prototype.slice.call(bytes, pos);
  }
  if (rest.length > 0) line(rest, 0, rest.length);
  if (cols === null) throw new DataFormatError(opts.source, 1, 'header', 'the file is empty');
  const last = b.finish();
  if (last.length > 0) yield last;
}
