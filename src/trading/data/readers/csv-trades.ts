import type { TradeTick } from '../market-data.js';
import { DataFormatError } from './data-format-error.js';
import { lines } from './lines.js';
import { parseTime } from './parse-time.js';
import type { ReadOptions } from './read-options.js';
import { TradeBuilder } from './trade-builder.js';

/**
 * Streams trades from a CSV with a header naming `timestamp` (or `time`/`date`), `price`,
 * `amount` (or `size`/`qty`), and optionally `id` and `side` (freqtrade's public trades CSV).
 *
 * @example
 * for await (const batch of readCsvTrades(chunks, { source: 'trades.csv', instrumentId: 'ETH/USDT' })) ...
 */
export async function* readCsvTrades(
  chunks: AsyncIterable<string>,
  opts: ReadOptions,
): AsyncGenerator<TradeTick[]> {
  const b = new TradeBuilder(opts);
  let cols: { t: number; id: number; side: number; p: number; q: number } | null = null;
  let lineNo = 0;
  for await (const batch of lines(chunks)) {
    for (let i = 0; i < batch.length; i++) {
      lineNo++;
      let line = batch[i]!;
      if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      if (cols === null) {
        const names = line.split(',').map((s) => s.trim().toLowerCase());
        const find = (...w: string[]) => names.findIndex((n) => w.includes(n));
        cols = {
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
          throw new DataFormatError(
            opts.source,
            1,
            missing[0]!,
            `header has no ${missing.join(', ')} column`,
          );
        continue;
      }
      if (line.length === 0) continue;
      const f = line.split(',');
      const tRaw = f[cols.t] ?? '';
      const p = f[cols.p] ?? '';
      const q = f[cols.q] ?? '';
      b.add(
        lineNo,
        parseTime(tRaw),
        cols.id >= 0 ? f[cols.id]! : String(lineNo),
        cols.side >= 0 ? f[cols.side]! : '',
        p === '' ? NaN : +p,
        q === '' ? NaN : +q,
        tRaw,
      );
      // A batch leaves as soon as it is full (see csv-bars.ts).
      const out = b.take();
      if (out) yield out;
    }
  }
  if (cols === null) throw new DataFormatError(opts.source, 1, 'header', 'the file is empty');
  const last = b.finish();
  if (last.length > 0) yield last;
}
