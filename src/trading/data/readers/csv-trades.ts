import type { TradeTick } from '../market-data.js';
import { DataFormatError } from './data-format-error.js';
import { decimalText } from './decimal-text.js';
import { parseTime } from './parse-time.js';
import type { ReadOptions } from './read-options.js';
import { TradeBuilder } from './trade-builder.js';

/** Column positions of a trades CSV header (-1: absent). */
interface Columns {
  readonly t: number;
  readonly id: number;
  readonly side: number;
  readonly p: number;
  readonly q: number;
}

function columns(line: string, source: string): Columns {
  const names = line.split(',').map((s) => s.trim().toLowerCase());
  const find = (...w: string[]) => names.findIndex((n) => w.includes(n));
  const cols = {
    t: find('timestamp', 'time', 'date'),
    id: find('id', 'trade_id'),
    side: find('side'),
    p: find('price'),
    q: find('amount', 'size', 'qty', 'quantity'),
  };
  const missing = Object.entries({ timestamp: cols.t, price: cols.p, amount: cols.q })
    .filter(([, x]) => x < 0)
    .map(([n]) => n);
  if (missing.length > 0)
    throw new DataFormatError(source, 1, missing[0]!, `header has no ${missing.join(', ')} column`);
  return cols;
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_DIGITS = 15;

/**
 * A plain decimal field (`-12.345`, `1.5e-7`: the grammar of `decimal-text.ts`) of at most 15
 * digits and a power of ten up to 22, from bytes: `+text` exactly (an exact mantissa and an exact
 * power of ten, one correctly rounded operation, as `fast-fields.ts`). NaN when the field needs
 * the general parser.
 */
function decimalField(buf: Uint8Array, start: number, end: number): number {
  let m = 0;
  let digits = 0;
  let dec = -1;
  let neg = false;
  let i = start;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      if (++digits > MAX_DIGITS) return NaN;
      if (dec >= 0) dec++;
    } else if (c === 46 && dec < 0) dec = 0;
    else if (c === 45 && i === start) neg = true;
    else break;
  }
  if (digits === 0) return NaN;
  // The power of ten the mantissa is divided by (negative: multiplied by).
  let k = dec > 0 ? dec : 0;
  if (i < end) {
    if (buf[i] !== 101 && buf[i] !== 69) return NaN;
    i++;
    const minus = i < end && buf[i] === 45;
    if (minus || (i < end && buf[i] === 43)) i++;
    if (i >= end) return NaN;
    let e = 0;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c < 48 || c > 57) return NaN;
      // A long exponent grows to Infinity at worst: out of range below.
      e = e * 10 + (c - 48);
    }
    k += minus ? e : -e;
  }
  if (k > 22 || k < -22) return NaN;
  return k >= 0 ? (neg ? -m : m) / POW10[k]! : (neg ? -m : m) * POW10[-k]!;
}

/** A field of 1 to 15 digits and nothing else, as an integer; -1 otherwise. */
function digitsField(buf: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > MAX_DIGITS) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** The side text the general parser would pass on, from the field's bytes. */
function sideField(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n === 3) {
    if (is(buf, start, 'buy')) return 'buy';
    if (is(buf, start, 'BUY')) return 'BUY';
  } else if (n === 4) {
    if (is(buf, start, 'sell')) return 'sell';
    if (is(buf, start, 'SELL')) return 'SELL';
  }
  // Anything else is no side (NONE) for the builder, whatever its text.
  return '';
}

/** Whether the bytes at `start` are the ASCII text `word`. */
function is(buf: Uint8Array, start: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (buf[start + i] !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * Streams trades from a CSV with a header naming `timestamp` (or `time`/`date`), `price`,
 * `amount` (or `size`/`qty`), and optionally `id` and `side` (freqtrade's public trades CSV).
 * Byte chunks take a fast path that reads the fields it needs straight from the bytes (epoch
 * times, plain decimals, numeric ids); a row it cannot take, and string chunks, go through the
 * general parser (`split`, `parseTime`, `decimalText`), which gives the same values and the precise
 * errors. Hand-written for speed: see docs/decisions/data-readers.md.
 *
 * @example
 * for await (const batch of readCsvTrades(chunks, { source: 'trades.csv', instrumentId: 'ETH/USDT' })) ...
 */
export async function* readCsvTrades(
  chunks: AsyncIterable<Uint8Array | string>,
  opts: ReadOptions,
): AsyncGenerator<TradeTick[]> {
  const b = new TradeBuilder(opts);
  // Lines are decoded alone: a byte-order mark is stripped from the header line only (the start
  // of the file, as a decoder of the whole stream does), never from a later line or field.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const headerDecoder = new TextDecoder();
  const encoder = new TextEncoder();
  let cols: Columns | null = null;
  let lineNo = 0;
  /** Start and end of each field the fast path reads, by column (-1: not read). */
  let want = new Int32Array(0);
  let span = new Int32Array(0);
  let last = 0;
  const text = (raw: string) => {
    lineNo++;
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (cols === null) {
      const c = (cols = columns(line, opts.source));
      last = Math.max(c.t, c.id, c.side, c.p, c.q);
      want = new Int32Array(last + 1).fill(-1);
      for (const [k, col] of [c.t, c.id, c.side, c.p, c.q].entries()) if (col >= 0) want[col] = k;
      span = new Int32Array(10);
      return;
    }
    if (line.length === 0) return;
    const f = line.split(',');
    const tRaw = f[cols.t] ?? '';
    const p = f[cols.p] ?? '';
    const q = f[cols.q] ?? '';
    b.add(
      lineNo,
      parseTime(tRaw),
      cols.id >= 0 ? f[cols.id]! : String(lineNo),
      cols.side >= 0 ? f[cols.side]! : '',
      decimalText(p),
      decimalText(q),
      tRaw,
      [p, q],
    );
  };
  /** One line of bytes (no LF): the fast path, else the general parser on its text. */
  const bytes = (buf: Uint8Array, start: number, end: number) => {
    const c = cols;
    if (c === null) return text(headerDecoder.decode(buf.subarray(start, end)));
    if (end > start) {
      const e = buf[end - 1] === 13 ? end - 1 : end;
      if (e > start && fields(buf, start, e)) {
        const t = digitsField(buf, span[0]!, span[1]!);
        // parseTime: ≤ 10 digits are epoch seconds, longer ones milliseconds.
        const ts = t < 0 ? NaN : span[1]! - span[0]! <= 10 ? t * 1000 : t;
        const price = decimalField(buf, span[6]!, span[7]!);
        const size = decimalField(buf, span[8]!, span[9]!);
        // A time before the last one goes the general way, for the error naming the raw text.
        if (ts === ts && ts >= b.lastTs && price === price && size === size) {
          lineNo++;
          b.add(
            lineNo,
            ts,
            c.id >= 0 ? idField(buf, span[2]!, span[3]!) : String(lineNo),
            c.side >= 0 ? sideField(buf, span[4]!, span[5]!) : '',
            price,
            size,
            '',
          );
          return;
        }
      }
    }
    text(decoder.decode(buf.subarray(start, end)));
  };
  /** Finds the wanted fields of a row; false when it has too few. */
  const fields = (buf: Uint8Array, start: number, end: number): boolean => {
    let col = 0;
    let from = start;
    for (let i = start; i <= end; i++) {
      if (i < end && buf[i] !== 44) continue;
      const k = want[col]!;
      if (k >= 0) {
        span[2 * k] = from;
        span[2 * k + 1] = i;
      }
      if (col === last) return true;
      col++;
      from = i + 1;
    }
    return false;
  };
  const idField = (buf: Uint8Array, start: number, end: number): string => {
    const n = digitsField(buf, start, end);
    // Digits without a leading zero print back as themselves.
    if (n >= 0 && (buf[start] !== 48 || end - start === 1)) return String(n);
    return decoder.decode(buf.subarray(start, end));
  };
  let restText = '';
  let restBytes: Uint8Array = new Uint8Array(0);
  for await (const chunk of chunks) {
    if (typeof chunk === 'string') {
      // Text: the general parser, line by line (a byte tail left before it joins as text).
      if (restBytes.length > 0) {
        restText = decoder.decode(restBytes);
        restBytes = new Uint8Array(0);
      }
      const parts = (restText + chunk).split('\n');
      restText = parts.pop()!;
      for (const part of parts) {
        text(part);
        const out = b.take();
        if (out) yield out;
      }
      continue;
    }
    const buf = chunk;
    if (restText.length > 0) {
      restBytes = encoder.encode(restText);
      restText = '';
    }
    let pos = 0;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, pos)) {
      if (pos === 0) {
        // Only the line cut by the chunk boundary is joined (see csv-bars.ts).
        const joined = join(restBytes, buf.subarray(0, nl));
        bytes(joined, 0, joined.length);
      } else bytes(buf, pos, nl);
      pos = nl + 1;
      // A batch leaves as soon as it is full (see csv-bars.ts).
      const out = b.take();
      if (out) yield out;
    }
    // A chunk with no line end adds to the rest; else a copy of the tail (Buffer's slice would be
    // a view keeping the whole chunk).
    restBytes = pos === 0 ? join(restBytes, buf) : Uint8Array.prototype.slice.call(buf, pos);
  }
  if (restBytes.length > 0) bytes(restBytes, 0, restBytes.length);
  else if (restText.length > 0) text(restText);
  if (cols === null) throw new DataFormatError(opts.source, 1, 'header', 'the file is empty');
  const out = b.finish();
  if (out.length > 0) yield out;
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
