import type { TradeTick } from '../market-data.js';
import { decimalText } from './decimal-text.js';
import { jsonRows, valuesOf } from './json-rows.js';
import { parseTime, timeText } from './parse-time.js';
import type { ReadOptions } from './read-options.js';
import { TradeBuilder } from './trade-builder.js';

// A number given as text follows the CSV readers' grammar (`decimal-text.ts`).
const num = (x: unknown) =>
  typeof x === 'number' ? x : typeof x === 'string' ? decimalText(x) : NaN;

// The cost, seventh, and any more values are not read.
const LAYOUT = { min: 6, names: 'time (epoch s or ms), id, order type, side, price, amount' };

/**
 * Streams trades from a ccxt-ordered JSON trade list:
 * `[[ts_ms, id, order, side, price, amount, cost], ...]` (freqtrade's trades files). The time
 * follows the CSV readers' rule (`parseTime`).
 *
 * @example
 * for await (const batch of readJsonTrades(chunks, { source: 'XRP_ETH-trades.json', instrumentId: 'XRP/ETH' })) ...
 */
export async function* readJsonTrades(
  chunks: AsyncIterable<string>,
  opts: ReadOptions,
): AsyncGenerator<TradeTick[]> {
  const b = new TradeBuilder(opts);
  for await (const rows of jsonRows(chunks, opts.source)) {
    for (const row of rows) {
      const { line } = row;
      const r = valuesOf(row, opts.source, LAYOUT);
      const texts = [String(r[4]), String(r[5])] as const;
      // The time by the CSV's rule (see json-bars.ts).
      const tRaw = timeText(r[0]);
      b.add(line, parseTime(tRaw), String(r[1]), String(r[3]), num(r[4]), num(r[5]), tRaw, texts);
      // A batch leaves as soon as it is full (see csv-bars.ts).
      const out = b.take();
      if (out) yield out;
    }
  }
  const last = b.finish();
  if (last.length > 0) yield last;
}
