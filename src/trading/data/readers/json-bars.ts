import type { Bar } from '../market-data.js';
import { BarBuilder } from './bar-builder.js';
import { decimalText } from './decimal-text.js';
import { jsonRows, valuesOf } from './json-rows.js';
import { parseTime, timeText } from './parse-time.js';
import type { ReadOptions } from './read-options.js';

// A number given as text follows the CSV readers' grammar (`decimal-text.ts`).
const num = (x: unknown) =>
  typeof x === 'number' ? x : typeof x === 'string' ? decimalText(x) : NaN;

const LAYOUT = { min: 6, names: 'time (epoch s or ms), open, high, low, close, volume' };

/**
 * Streams bars from freqtrade-style JSON candles: `[[ts_ms, open, high, low, close, volume], ...]`.
 * The time follows the CSV readers' rule (`parseTime`): epoch seconds or milliseconds by its
 * digits, no sign, a fraction of a millisecond dropped.
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
    for (const row of rows) {
      const { line } = row;
      const r = valuesOf(row, opts.source, LAYOUT);
      // The time by the CSV's rule (`parseTime`), a number read as the decimal it is written as.
      const tRaw = timeText(r[0]);
      const o = num(r[1]);
      const h = num(r[2]);
      const l = num(r[3]);
      const c = num(r[4]);
      const v = num(r[5]);
      // The texts, quoted in an error, only for a row with a value that is not a number.
      // Stryker disable next-line ArithmeticOperator: equivalent, with a minus the sum is still non-finite whenever a value is (the one case the texts are read); an overflow of finite values only builds texts never read
      const texts = Number.isFinite(o + h + l + c + v) ? undefined : r.slice(1, 6).map(String);
      b.add(line, parseTime(tRaw), o, h, l, c, v, tRaw, NaN, texts);
      // A batch leaves as soon as it is full (see csv-bars.ts).
      const out = b.take();
      if (out) yield out;
    }
  }
  const last = b.finish();
  if (last.length > 0) yield last;
}
