import type { Command } from 'commander';

const BTC = '../shared/data/freqtrade/UNITTEST_BTC-1m.json';
const ORCL = '../shared/data/backtrader/orcl-1995-2014.txt';
const SMA = 'examples/strategies/sma-cross.ts';

/** Two or three real examples per command, by its path (`risk limit`); groups list a few of theirs. */
export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  '': [
    `kairos backtest ${SMA} --data ${ORCL} --params fast=10,slow=30,size=100`,
    `kairos paper ${SMA} --data ${BTC} --symbol BTC/USDT --lot 0.001 --cash 100 --speed 0 --params size=0.01`,
    'kairos serve --data ../shared/data/freqtrade/UNITTEST_BTC-1m.json --symbol BTC/USDT --lot 0.001',
  ],
  backtest: [
    `kairos backtest ${SMA} --data ${BTC} --cash 100 --lot 0.001 --params size=0.01 --out var/reports/btc`,
    `kairos backtest examples/strategies/rsi-reversion.ts --data ../shared/data/backtrader/nvda-1999-2014.txt --commission 0.0005 --slippage-bps 5`,
    `kairos backtest examples/strategies/close-above-sma.ts --data ${ORCL} --adjust-close --from 2000-01-01 --to 2001-01-01 --cash 1000 --commission 0`,
  ],
  optimize: [
    `kairos optimize ${SMA} --data ${ORCL} --param fast=5..30:5 --param slow=20,40,60 --objective sharpe`,
    `kairos optimize ${SMA} --data ${ORCL} --param fast=5..50:5 --param slow=20..200:20 --walk-forward 5 --train-ratio 3`,
    `kairos optimize ${SMA} --data ${BTC} --lot 0.001 --cash 100 --param fast=2..40 --param slow=10..200:10 --param size=0.01 --search random --samples 50 --seed 7 --workers 2`,
  ],
  data: [
    'kairos data download --exchange binance --symbol BTC/USDT --timeframe 1m --since 2024-01-01',
  ],
  'data download': [
    'kairos data download --exchange binance --symbol BTC/USDT --timeframe 1m --since 2024-01-01',
    'kairos data download --exchange binance --symbol BTC/USDT --since 2024-01-01 --exchange-url http://127.0.0.1:9444',
  ],
  paper: [
    `kairos paper ${SMA} --data ${BTC} --symbol BTC/USDT --lot 0.001 --cash 100 --params fast=10,slow=30,size=0.01`,
    `kairos paper ${SMA} --data ${BTC} --symbol BTC/USDT --lot 0.001 --speed 0 --account desk2 --strategy-id sma-2`,
    `kairos paper ${SMA} --exchange binance --symbol BTC/USDT --params size=0.01 --cash 1000`,
  ],
  live: [
    `kairos live ${SMA} --exchange binance --symbol BTC/USDT --exchange-url http://127.0.0.1:9444 --credential main --cash 100 --params size=0.01`,
    `EXCHANGE_API_KEY=… EXCHANGE_SECRET=… kairos live ${SMA} --exchange binance --symbol BTC/USDT --cash 50`,
  ],
  risk: [
    'kairos risk show',
    'kairos risk limit maxPosition 0.5',
    'kairos risk halt --reason "venue outage"',
  ],
  'risk show': ['kairos risk show', 'DATABASE_URL=postgres://… kairos risk show'],
  'risk limit': [
    'kairos risk limit maxPosition 0.5 --strategy-id sma-cross',
    'kairos risk limit maxOrderValue 5000',
    'kairos risk limit --clear maxPosition --strategy-id sma-cross',
  ],
  'risk halt': [
    'kairos risk halt --reason "venue outage" --actor rita',
    'kairos risk halt --strategy-id sma-cross',
  ],
  'risk reduce': [
    'kairos risk reduce --strategy-id sma-cross',
    'kairos risk reduce --reason "end of day"',
  ],
  'risk resume': ['kairos risk resume --actor rita', 'kairos risk resume --strategy-id sma-cross'],
  migrate: [
    'kairos migrate',
    'DATABASE_URL=postgres://postgres@127.0.0.1:5432/kairos kairos migrate',
  ],
  config: ['kairos config', 'KAIROS_HOME=/srv/kairos kairos config'],
  strategy: [
    `kairos strategy package ${SMA} --out build`,
    `kairos strategy deploy ${SMA} --name sma`,
  ],
  'strategy deploy': [
    `AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:9001 kairos strategy deploy ${SMA} --name sma`,
    `kairos strategy deploy ${SMA} --name sma --role arn:aws:iam::123456789012:role/kairos-strategy --memory 512 --timeout 10`,
  ],
  'strategy versions': ['kairos strategy versions sma', 'kairos strategy versions sma --json'],
  'strategy rollback': ['kairos strategy rollback sma --to 2'],
  'strategy remove': ['kairos strategy remove sma --actor rita'],
  'strategy package': [
    `kairos strategy package ${SMA}`,
    `kairos strategy package ${SMA} --out build`,
  ],
  lambda: ['kairos lambda serve --port 9001'],
  'lambda serve': ['kairos lambda serve', 'kairos lambda serve --port 0 --verbose'],
  venue: [`kairos venue simulate --data ${BTC} --preload 10000`],
  'venue simulate': [
    `kairos venue simulate --data ${BTC} --preload 10000`,
    `kairos venue simulate --data ${BTC} --port 0 --speed 0 --lot 0.001 --commission 0.00075`,
    `kairos venue simulate --data ${BTC} --account tom-key:tom-secret:USDT=10000 --account ann-key:ann-secret --state var/sim-state.json`,
  ],
  audit: [
    'kairos audit export --from 2026-01-01 --to 2026-02-01 --out var/exports/jan',
    'kairos audit verify var/exports/jan',
  ],
  'audit export': [
    'kairos audit export --from 2026-01-01 --to 2026-02-01 --out var/exports/jan',
    'kairos audit export --from 2026-03-01T00:00:00Z --to 2026-03-02T00:00:00Z --out var/exports/mar-1',
    'kairos audit export --from 2026-12-03 --out var/exports/today',
  ],
  'audit verify': [
    'kairos audit verify var/exports/jan',
    'kairos audit verify var/exports/jan && echo intact',
  ],
  user: [
    "KAIROS_ADMIN_PASSWORD='a long admin passphrase' kairos user create-admin rita",
    "KAIROS_USER_PASSWORD='a long trader passphrase' kairos user create tom --role trader",
  ],
  'user create-admin': [
    "KAIROS_ADMIN_PASSWORD='a long admin passphrase' kairos user create-admin rita",
    'kairos user create-admin rita   # asks for the password',
  ],
  'user create': [
    "KAIROS_USER_PASSWORD='a long trader passphrase' kairos user create tom --role trader",
    'kairos user create quinn --role quant   # asks for the password',
  ],
  'user list': ['kairos user list'],
  keys: ['kairos keys status', 'kairos keys rotate', 'kairos keys retire'],
  'keys status': ['kairos keys status', 'KMS_KEY_ID=alias/kairos kairos keys status --json'],
  'keys rotate': ['kairos keys rotate', 'KMS_KEY_ID=alias/kairos kairos keys rotate'],
  'keys retire': ['kairos keys retire'],
  credential: [
    "printf '%s\\n%s\\n' KEY SECRET | kairos credential add --user tom --venue binance --label main",
    'kairos credential list',
  ],
  'credential add': [
    "printf '%s\\n%s\\n' KEY SECRET | kairos credential add --user tom --venue binance --label main",
    'kairos credential add --user tom --venue kraken --label spare   # asks for key and secret',
  ],
  'credential list': ['kairos credential list', 'kairos credential list --user tom'],
  'credential remove': ['kairos credential remove 3f2c…-… --user tom'],
  serve: [
    `kairos serve --data ${BTC} --symbol BTC/USDT --lot 0.001 --cash 1000`,
    `kairos serve --data ${BTC} --symbol BTC/USDT --lot 0.001 --port 0 --strategies examples/strategies`,
  ],
};

/** The "Examples:" block that ends a command's `--help`. */
export function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** The path of a command below `kairos` (`risk limit`; '' for kairos itself). */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Ends every command's help with its examples (walks the whole tree). */
export function addExamples(cmd: Command): void {
  const lines = EXAMPLES[commandPath(cmd)];
  if (lines) cmd.addHelpText('after', examples(lines));
  for (const sub of cmd.commands) addExamples(sub);
}
