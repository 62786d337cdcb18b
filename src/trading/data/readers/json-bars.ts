import type { Bar } from '../market-data.js';
import { BarBuilder } from './bar-builder.js';
import { jsonRows } from './json-rows.js';
import type { ReadOptions } from './read-options.js';

// Text that is blank is no number (`+' '` is 0), as in the CSV readers.
const num = (x: unknown) =>
  typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? +x : NaN;

/**
 * Streams bars from freqtrade-style JSON candles: `[[ts_ms, open, high, low, close, volume], ...]`.
 *
 * @example
 * for await (const batch of readJsonBars(chunks, { source: 'BTC-1m.json', instrumentId: 'BTC/USDT', intervalMs: 60_000 })) ...
 */
export async function* readJsonBars(
  chunks: AsyncIterable<string>,
  opts: ReadOptions,
): AsyncGenerator<Bar[]> {
  const b = new BarBuilder(opts);
  for await (const rows of jsonRows(chunks, opts.source)) {
    for (const { values: r, line } of rows) {
      b.add(line, num(r[0]), num(r[1]), num(r[2]), num(r[3]), num(r[4]), num(r[5]), String(r[0]));
      // A batch leaves as soon as it is full (see csv-bars.ts).
      const out = b.take();
      if (out) yield out;
    }
  }
  const last = b.finish();
  if (last.length > 0) yield last;
}
