import { Option, type Command } from 'commander';
import { closedOrderRetentionOption } from './cli-config.js';
import type { LiveFlags } from './live-run.js';

/** Registers `kairos live`. */
export function registerLive(program: Command): void {
  program
    .command('live')
    .description(
      'trade a strategy on a real venue through ccxt (keys: a stored credential, --credential, else EXCHANGE_API_KEY, EXCHANGE_SECRET)',
    )
    .argument('<strategy>', 'TypeScript strategy file')
    .requiredOption('--exchange <id>', 'ccxt exchange id, e.g. binance')
    .requiredOption('--symbol <symbol>', 'unified symbol, e.g. BTC/USDT')
    .option('--timeframe <tf>', 'bar interval', '1m')
    .option(
      '--exchange-url <url>',
      'another base URL for REST and WebSocket (a sandbox, a simulator)',
    )
    .option('--params <list>', 'strategy params, e.g. fast=10,slow=30,size=0.01')
    .requiredOption(
      '--cash <amount>',
      'quote currency the strategy may use (the risk gate checks it); no default with real money',
    )
    .option('--warmup <bars>', 'past bars to warm the indicators on (never traded)', '200')
    .option('--account <id>', 'account name for the stored orders (default: the exchange id)')
    .option('--strategy-id <id>', 'id of this strategy run (default: the strategy name)')
    .option('--export <name>', 'the strategy export to run')
    .option(
      '--lambda <function>',
      'run the strategy as this Lambda function, name[:alias|version] (default alias live; docs/cloud.md)',
    )
    .addOption(
      new Option(
        '--credential <label|id>',
        'a stored venue credential (kairos credential add); wins over EXCHANGE_API_KEY/SECRET (env: EXCHANGE_CREDENTIAL)',
      ),
    )
    .option('--user <username>', "the credential's owner, when several users have that label")
    .addOption(
      new Option('--on-stop <what>', 'orders still working at the venue when the node stops')
        .choices(['cancel', 'leave'])
        .default('cancel'),
    )
    .option(
      '--max-ban-wait <seconds>',
      'at start, wait out a venue rate limit or ban this long at most (else exit saying until when)',
      '120',
    )
    .option(...closedOrderRetentionOption())
    .action(async (file: string, flags: LiveFlags) => {
      const { runLive } = await import('./live-run.js');
      await runLive(file, flags);
    });
}
