import type { Logger } from '../trading/core/logger.js';
import { KairosError } from '../trading/core/errors.js';
import type { Bar } from '../trading/data/market-data.js';
import { untilStopped, type SimulateFlags } from './venue-command.js';

/** What `venue simulate` read and checked, for the OKX venue. */
interface OkxRun {
  readonly port: number;
  readonly speed: number;
  readonly fee: string;
  readonly bars: readonly Bar[];
  readonly preload: number;
  readonly filters: { tickSize: string; stepSize: string; minNotional: string };
  readonly balances: Record<string, string> | undefined;
  readonly logger: Logger;
}

/**
 * `kairos venue simulate --venue okx`: OKX's API v5 spot REST over the candles
 * (`src/simulators/okx/`). The Binance simulator's own settings (several accounts, a state file,
 * request weight, a buy's fee in the quote, manual time, file times) are refused by name.
 */
export async function simulateOkx(flags: SimulateFlags, run: OkxRun): Promise<void> {
  const binanceOnly: [boolean, string][] = [
    [flags.account.length > 0, '--account'],
    [flags.state !== undefined, '--state'],
    [flags.weightPerMinute !== undefined, '--weight-per-minute'],
    [flags.buyFeeIn === 'quote', '--buy-fee-in quote'],
    [!flags.rebase, '--no-rebase'],
    [run.speed <= 0, '--speed 0 (manual time)'],
  ];
  const refused = binanceOnly.find(([given]) => given);
  if (refused)
    throw new KairosError(
      'USAGE',
      `${refused[1]}: not with --venue okx (Binance's simulator only)`,
    );
  const { startOkx, OKX_EXAMPLE_KEY } = await import('../simulators/okx/server.js');
  const key = {
    apiKey: flags.apiKey ?? OKX_EXAMPLE_KEY.apiKey,
    secret: flags.secret ?? OKX_EXAMPLE_KEY.secret,
    passphrase: flags.passphrase ?? OKX_EXAMPLE_KEY.passphrase,
  };
  const sim = await startOkx({
    port: run.port,
    host: flags.host,
    data: run.bars,
    symbol: flags.symbol,
    filters: run.filters,
    balances: run.balances,
    makerFee: run.fee,
    takerFee: run.fee,
    accounts: [key],
    preloadBars: run.preload,
    realtime: { speed: run.speed },
    logger: run.logger,
  });
  const m = sim.market;
  process.stdout.write(
    [
      `Simulated OKX spot venue (API v5, REST only): ${sim.symbol}, ${m.totalBars} bars of ${m.intervalMs / 1000}s from ${flags.data}`,
      `  time:       ${run.speed}x real time, ${m.revealedBars} bars revealed`,
      `  REST:       ${sim.url}/api/v5`,
      `  API key:    ${key.apiKey}`,
      `  secret:     ${key.secret}`,
      `  passphrase: ${key.passphrase}  (EXCHANGE_PASSWORD)`,
      'Ctrl+C stops it.',
      '',
    ].join('\n'),
  );
  await untilStopped();
  await sim.close();
}
