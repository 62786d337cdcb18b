import { KairosError } from '../../trading/core/errors.js';
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

/** A venue's replay data: the bars given, or those of a candle file with the tick its rows suggest. */
export async function replayData(
  data: string | readonly Bar[],
  instrumentId: string,
  range: { from?: number; to?: number } = {},
): Promise<{ bars: readonly Bar[]; tick?: string }> {
  return typeof data === 'string' ? loadBars(data, instrumentId, range) : { bars: data };
}

/**
 * Checks a venue's replay settings against its data: `preloadBars` an integer below the number
 * of bars, a `realtime` speed above zero (CONFIG_INVALID naming the setting otherwise).
 */
export function checkReplay(
  bars: number,
  preload: number,
  realtime: { readonly speed: number } | undefined,
): void {
  if (!Number.isInteger(preload) || preload < 0 || preload >= bars)
    throw new KairosError(
      'CONFIG_INVALID',
      `preloadBars: must be an integer in [0, ${bars - 1}] (the data has ${bars} bars)`,
    );
  if (realtime && !(realtime.speed > 0))
    throw new KairosError('CONFIG_INVALID', 'realtime.speed: must be a positive number');
}
