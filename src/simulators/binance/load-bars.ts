import type { Bar } from '../../trading/data/market-data.js';
import { detectFormat, openBars } from '../../trading/venues/replay/open-data.js';

/**
 * Reads a whole candle file (CSV or freqtrade JSON, gzipped or not) with the project's readers,
 * and the price tick its rows suggest.
 *
 * @example
 * const { bars, tick } = await loadBars('../shared/data/freqtrade/UNITTEST_BTC-1m.json', 'BTC/USDT');
 */
export async function loadBars(
  file: string,
  instrumentId: string,
  range: { from?: number; to?: number } = {},
): Promise<{ bars: Bar[]; tick: string }> {
  const format = await detectFormat(file);
  const bars: Bar[] = [];
  for await (const batch of openBars(file, { instrumentId, ...range })) bars.push(...batch);
  return { bars, tick: format.tick };
}
