import { Option, type Command } from 'commander';
import { KairosError } from '../trading/core/errors.js';
import { cliConfig } from './cli-config.js';
import { decimalFlag, numberFlag } from './parse-flags.js';
import { renamedOptions } from './renamed-options.js';

export interface SimulateFlags {
  venue: 'binance' | 'okx';
  passphrase?: string;
  data: string;
  port: string;
  host: string;
  symbol: string;
  speed: string;
  preload?: string;
  tick?: string;
  lot: string;
  minNotional: string;
  balance?: string;
  commission: string;
  buyFeeIn?: string;
  weightPerMinute?: string;
  apiKey?: string;
  secret?: string;
  account: string[];
  state?: string;
  rebase: boolean;
  verbose?: boolean;
}

/** `BTC=10,USDT=100000` → balances, each a non-negative decimal. */
function balanceList(value: string, flag = '--balance'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(',')) {
    const m = /^([A-Z0-9]{1,20})=(.+)$/.exec(part.trim());
    if (!m)
      throw new KairosError(
        'USAGE',
        `${flag}: must be ASSET=amount,... (e.g. BTC=1,USDT=10000), was ${JSON.stringify(value)}`,
      );
    out[m[1]!] = decimalFlag(flag, m[2]!, 'non-negative');
  }
  return out;
}

const KEY_PART = /^[A-Za-z0-9._~-]{1,128}$/;

/** `--account apiKey:secret[:BTC=1,USDT=1000]` → one account of the venue. */
function accountFlag(value: string): {
  apiKey: string;
  secret: string;
  balances?: Record<string, string>;
} {
  const [apiKey = '', secret = '', balances, ...rest] = value.split(':');
  if (!KEY_PART.test(apiKey) || !KEY_PART.test(secret) || rest.length > 0)
    throw new KairosError(
      'USAGE',
      `--account: must be apiKey:secret[:ASSET=amount,...] (key and secret of A-Z a-z 0-9 . _ ~ -), e.g. alice-key:alice-secret:USDT=10000`,
    );
  return {
    apiKey,
    secret,
    ...(balances === undefined ? {} : { balances: balanceList(balances, '--account') }),
  };
}

/** The venue's accounts from `--account` (repeated), or the one of `--api-key`/`--secret`. */
function accountsOf(flags: SimulateFlags) {
  if (flags.account.length === 0) return {};
  if (flags.apiKey !== undefined || flags.secret !== undefined)
    throw new KairosError('USAGE', '--account: give --account or --api-key/--secret, not both');
  const accounts = flags.account.map(accountFlag);
  const seen = new Set<string>();
  for (const a of accounts) {
    if (seen.has(a.apiKey))
      throw new KairosError('USAGE', `--account: the API key ${a.apiKey} is given twice`);
    seen.add(a.apiKey);
  }
  return { accounts };
}

/** Registers `kairos venue simulate`: a local Binance- or OKX-compatible venue over a candle file. */
export function registerVenue(program: Command): void {
  const venue = program.command('venue').description('venue tools');
  const simulateCmd = venue.command('simulate');
  renamedOptions(simulateCmd, { '--step <size>': '--lot', '--fee <rate>': '--commission' });
  simulateCmd
    .description(
      'serve a simulated Binance spot venue (REST + WebSocket) that replays a candle file; ccxt talks to it with only its URLs changed',
    )
    .requiredOption('--data <file>', 'candles to replay (CSV, freqtrade JSON; gzip ok)')
    .addOption(
      new Option(
        '--venue <name>',
        "whose API to speak: Binance's spot REST + WebSocket, or OKX's API v5 spot REST (docs/venues.md)",
      )
        .choices(['binance', 'okx'])
        .default('binance'),
    )
    .option('--port <port>', 'TCP port (0 = any free port)', '9444')
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .option('--symbol <symbol>', 'the one listed symbol, BASE/QUOTE', 'BTC/USDT')
    .option(
      '--speed <factor>',
      'replay speed: bar time / real time (0 = manual: POST /__advance moves time)',
      '60',
    )
    .option('--preload <bars>', 'bars already revealed at start (default: up to 500)')
    .option('--tick <size>', 'price tick (default: the finest step in the data)')
    .option('--lot <size>', 'quantity step (LOT_SIZE)', '0.00001')
    .option('--min-notional <amount>', 'smallest price × quantity (NOTIONAL)', '0')
    .option('--balance <list>', 'starting balances, e.g. BTC=10,USDT=100000')
    .option('--commission <rate>', 'maker and taker fee as a fraction of notional', '0.001')
    .addOption(
      new Option('--buy-fee-in <asset>', "a buy's commission: in the base received, or the quote")
        .choices(['base', 'quote'])
        .default('base'),
    )
    .option(
      '--weight-per-minute <n>',
      'request weight allowed per minute, advertised in exchangeInfo and enforced (default 6000)',
    )
    .option('--api-key <key>', 'the API key to accept (default: an example key)')
    .option('--secret <secret>', 'its secret (default: an example secret)')
    .option('--passphrase <text>', 'okx: the passphrase to accept (default: an example one)')
    .option(
      '--account <apiKey:secret[:balances]>',
      'an account of its own per API key, repeatable, e.g. alice-key:alice-secret:USDT=10000 (default: the one of --api-key)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option(
      '--state <file>',
      'keep every account, order, fill and the replay position in this file (written atomically on each change) and take them back at start',
    )
    .option('--no-rebase', 'keep the file times (default: the replay starts now)')
    .option('--verbose', 'log every request (debug level, on stderr)')
    .action((flags: SimulateFlags) => simulate(flags));
}

async function simulate(flags: SimulateFlags): Promise<void> {
  const port = numberFlag('--port', flags.port, { integer: true, max: 65535 });
  const speed = numberFlag('--speed', flags.speed);
  const fee = decimalFlag('--commission', flags.commission, 'non-negative');
  const { loadBars } = await import('../simulators/binance/load-bars.js');
  const { rootLogger } = await import('./root-logger.js');
  const { bars, tick } = await loadBars(flags.data, flags.symbol);
  const preload =
    flags.preload !== undefined
      ? numberFlag('--preload', flags.preload, { integer: true, max: bars.length - 1 })
      : Math.min(500, bars.length - 1);
  // Requests are logged at debug: --verbose shows them whatever LOG_LEVEL says.
  const logger = rootLogger(cliConfig(), 'venue simulate', flags.verbose ? { level: 'debug' } : {});
  if (flags.venue === 'okx') {
    const { simulateOkx } = await import('./venue-simulate-okx.js');
    const filters = {
      tickSize: flags.tick !== undefined ? decimalFlag('--tick', flags.tick, 'positive') : tick,
      stepSize: decimalFlag('--lot', flags.lot, 'positive'),
      minNotional: decimalFlag('--min-notional', flags.minNotional, 'non-negative'),
    };
    const balances = flags.balance !== undefined ? balanceList(flags.balance) : undefined;
    return simulateOkx(flags, { port, speed, fee, bars, preload, filters, balances, logger });
  }
  if (flags.passphrase !== undefined)
    throw new KairosError('USAGE', '--passphrase: only with --venue okx');
  const { start } = await import('../simulators/binance/server.js');
  const sim = await start({
    port,
    host: flags.host,
    data: bars,
    symbol: flags.symbol,
    filters: {
      tickSize: flags.tick !== undefined ? decimalFlag('--tick', flags.tick, 'positive') : tick,
      stepSize: decimalFlag('--lot', flags.lot, 'positive'),
      minNotional: decimalFlag('--min-notional', flags.minNotional, 'non-negative'),
    },
    balances: flags.balance !== undefined ? balanceList(flags.balance) : undefined,
    makerFee: fee,
    takerFee: fee,
    buyFeeIn: flags.buyFeeIn === 'quote' ? 'quote' : 'base',
    weightPerMinute: numberFlag('--weight-per-minute', flags.weightPerMinute ?? '6000', {
      integer: true,
    }),
    apiKey: flags.apiKey,
    secret: flags.secret,
    ...accountsOf(flags),
    stateFile: flags.state,
    preloadBars: preload,
    realtime: speed > 0 ? { speed, rebase: flags.rebase } : undefined,
    logger,
  });
  const m = sim.market;
  process.stdout.write(
    [
      `Simulated Binance spot venue: ${sim.symbol}, ${m.totalBars} bars of ${m.intervalMs / 1000}s from ${flags.data}`,
      `  time:    ${speed > 0 ? `${speed}x real time` : 'manual (POST /__advance {"bars": n})'}, ${m.revealedBars} bars revealed`,
      `  REST:    ${sim.url}/api/v3`,
      `  WS:      ${sim.wsUrl}/ws  (combined: ${sim.wsUrl}/stream, WebSocket API: ${sim.wsUrl}/ws-api/v3)`,
      ...sim.keys.flatMap((k) => [`  API key: ${k.apiKey}`, `  secret:  ${k.secret}`]),
      ...(flags.state !== undefined
        ? [`  state:   ${flags.state} (${sim.restored ? 'restored' : 'new'})`]
        : []),
      `  faults:  POST ${sim.url}/__faults  (docs/venue-simulator.md)`,
      'Ctrl+C stops it.',
      '',
    ].join('\n'),
  );
  await untilStopped();
  await sim.close();
}

/** Resolves on Ctrl+C or SIGTERM. */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}
