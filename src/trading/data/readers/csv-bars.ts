import type { Bar } from '../market-data.js';
import { BarBuilder } from './bar-builder.js';
import { DataFormatError } from './data-format-error.js';
import { lines } from './lines.js';
import { parseTime } from './parse-time.js';
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
}

function columns(header: string, source: string): Columns {
  const names = header.split(',').map((s) => s.trim().toLowerCase().replace(/^"|"$/g, ''));
  const find = (...want: string[]) => names.findIndex((n) => want.includes(n));
  const cols = {
    t: find(...TIME_NAMES),
    o: find('open'),
    h: find('high'),
    l: find('low'),
    c: find('close'),
    v: find('volume', 'vol'),
  };
  const missing = Object.entries({
    time: cols.t,
    open: cols.o,
    high: cols.h,
    low: cols.l,
    close: cols.c,
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
 * ISO-8601). Hand-written for speed (see docs/decisions/data-readers.md).
 *
 * @example
 * for await (const batch of readCsvBars(chunks, { source: 'orcl.txt', instrumentId: 'ORCL' })) ...
 */
export async function* readCsvBars(
  chunks: AsyncIterable<string>,
  opts: ReadOptions,
): AsyncGenerator<Bar[]> {
  const b = new BarBuilder(opts);
  let cols: Columns | null = null;
  let lineNo = 0;
  let width = 0;
  for await (const batch of lines(chunks)) {
    for (let i = 0; i < batch.length; i++) {
      lineNo++;
      let line = batch[i]!;
      if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      if (cols === null) {
        cols = columns(line, opts.source);
        width = Math.max(cols.t, cols.o, cols.h, cols.l, cols.c, cols.v) + 1;
        continue;
      }
      if (line.length === 0) continue;
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
      b.add(
        lineNo,
        parseTime(tRaw),
        num(f[cols.o]!),
        num(f[cols.h]!),
        num(f[cols.l]!),
        num(f[cols.c]!),
        cols.v >= 0 ? num(f[cols.v]!) : 0,
        tRaw,
      );
    }
    const out = b.take();
    if (out) yield out;
  }
  if (cols === null) throw new DataFormatError(opts.source, 1, 'header', 'the file is empty');
  const last = b.finish();
  if (last.length > 0) yield last;
}

function num(s: string): number {
  return s.length === 0 ? NaN : +s;
}
