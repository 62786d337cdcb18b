import type { Command } from 'commander';
import type { DownloadFlags } from './data-download.js';

/** Registers `kairos data download`. */
export function registerData(program: Command): void {
  const data = program.command('data').description('market data files');
  data
    .command('download')
    .description(
      'download candles from an exchange (ccxt) into a freqtrade JSON file that kairos backtest reads; resumes where the file ends',
    )
    .requiredOption('--exchange <id>', 'ccxt exchange id, e.g. binance')
    .requiredOption('--symbol <symbol>', 'market, e.g. BTC/USDT')
    .option('--timeframe <tf>', 'candle interval, e.g. 1m, 1h, 1d', '1m')
    .requiredOption('--since <date>', 'first candle (YYYY-MM-DD, ISO-8601 or epoch ms), inclusive')
    .option('--until <date>', 'end, exclusive (default: now; the forming candle is never saved)')
    .option(
      '--exchange-url <url>',
      'another base URL for the exchange (a sandbox, the venue simulator), e.g. http://127.0.0.1:9444',
    )
    .option(
      '--out <file|s3-url>',
      'output file or s3://bucket/key (default: $KAIROS_HOME/data/<exchange>/<BASE_QUOTE>-<tf>.json)',
    )
    .option('--limit <n>', 'candles per request', '1000')
    .option('--no-progress', 'no progress bar')
    .option(
      '--max-ban-wait <seconds>',
      'at start, wait out a venue rate limit or ban this long at most (else exit saying until when)',
      '120',
    )
    .action(async (flags: DownloadFlags) => {
      // Loaded on use: ccxt takes a while to import, and other commands do not need it.
      const { download } = await import('./data-download.js');
      await download(flags);
    });
}
