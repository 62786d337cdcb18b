import path from 'node:path';
import type { Bar } from '../../src/trading/data/market-data.js';
import { openBars } from '../../src/trading/venues/replay/open-data.js';
import { btcSlice } from './paper-args.js';
import { tempDir } from './temp-dir.js';

/** The first `rows` bars of the BTC fixture (`btcSlice`), as instrument `BTC/X`. */
export async function btcBars(rows: number): Promise<Bar[]> {
  const file = btcSlice(path.join(tempDir('kairos-crash-bars-'), `btc-${rows}.json`), rows);
  const bars: Bar[] = [];
  for await (const batch of openBars(file, { instrumentId: 'BTC/X' })) bars.push(...batch);
  return bars;
}
