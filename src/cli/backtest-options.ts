import path from 'node:path';
import { cliConfig, closedOrderRetentionOption, withClosedOrderRetention } from './cli-config.js';
import type { Command } from 'commander';
import { KairosError } from '../trading/core/errors.js';
import type { BacktestSettings } from '../system/run-backtest.js';
import { dateFlag, decimalFlag, durationFlag, integerFlag, numberFlag } from './parse-flags.js';

/** The market-model and data flags `backtest` and `optimize` share, as commander gives them. */
export interface BacktestModelFlags {
  closedOrderRetentionMs?: string;
  data: string;
  symbol?: string;
  quote?: string;
  tick?: string;
  lot: string;
  minQty?: string;
  minNotional?: string;
  cash: string;
  commission: string;
  makerFee?: string;
  takerFee?: string;
  slippageBps: string;
  latencyMs: string;
  buyFeeIn: string;
  from?: string;
  to?: string;
  seed: string;
  interval?: string;
  barInterval?: string;
  allowShort?: boolean;
  adjustClose?: boolean;
}

/** Adds the data, instrument, account and market-model flags (`--data` … `--to`). */
export function addMarketOptions(cmd: Command, data: string): Command {
  return cmd
    .requiredOption('--data <file|s3-url>', data)
    .option('--symbol <symbol>', 'instrument id, e.g. BTC/USDT (default: from the file name)')
    .option('--quote <ccy>', 'quote currency when the symbol has none', 'USD')
    .option(
      '--tick <size>',
      'price tick size (default: the finest step in the data, at most 8 decimals)',
    )
    .option('--lot <size>', 'quantity lot size', '1')
    .option('--min-qty <qty>', 'minimum order quantity (default: one lot)')
    .option('--min-notional <amount>', 'minimum order value', '0')
    .option('--cash <amount>', 'starting cash in the quote currency', '100000')
    .option('--commission <rate>', 'maker and taker fee as a fraction of notional', '0.001')
    .option('--maker-fee <rate>', 'maker fee (overrides --commission)')
    .option('--taker-fee <rate>', 'taker fee (overrides --commission)')
    .option('--slippage-bps <bps>', 'slippage on taker fills, basis points', '0')
    .option('--latency-ms <ms>', 'order and cancel latency to the simulated venue', '0')
    .option(
      '--buy-fee-in <asset>',
      "which asset pays a buy's fee: quote, or base (the asset received, as Binance charges)",
      'quote',
    )
    .option('--from <date>', 'first bar/trade time (YYYY-MM-DD, ISO-8601 or epoch ms), inclusive')
    .option('--to <date>', 'end time, exclusive');
}

/** Adds `--interval`, `--allow-short` and `--adjust-close`. */
export function addBarOptions(cmd: Command): Command {
  return cmd
    .option(...closedOrderRetentionOption())
    .option(
      '--interval <duration>',
      'bar interval of a generic CSV when it cannot be inferred, e.g. 1m',
    )
    .option('--allow-short', 'let sells exceed the position (margin account)')
    .option(
      '--adjust-close',
      "split/dividend-adjust prices from the CSV's Adj Close column (open, high, low scaled by adj close / close), rounded half to even to the tick (default 0.01 with this flag): how backtrader's Yahoo feed reads the same file (docs/simulated-exchange.md)",
    );
}

/** The flags checked into the settings of a backtest (each error names its flag). */
export function backtestSettingsOf(flags: BacktestModelFlags): BacktestSettings {
  const from = flags.from !== undefined ? dateFlag('--from', flags.from) : undefined;
  const to = flags.to !== undefined ? dateFlag('--to', flags.to) : undefined;
  if (from !== undefined && to !== undefined && from >= to) {
    throw new KairosError('USAGE', `--from ${flags.from} is not before --to ${flags.to}`);
  }
  const commission = decimalFlag('--commission', flags.commission, 'non-negative');
  return {
    cash: decimalFlag('--cash', flags.cash, 'positive'),
    lot: decimalFlag('--lot', flags.lot, 'positive'),
    tick: flags.tick !== undefined ? decimalFlag('--tick', flags.tick, 'positive') : undefined,
    minQty:
      flags.minQty !== undefined
        ? decimalFlag('--min-qty', flags.minQty, 'non-negative')
        : undefined,
    minNotional: decimalFlag('--min-notional', flags.minNotional ?? '0', 'non-negative'),
    makerFee:
      flags.makerFee !== undefined
        ? decimalFlag('--maker-fee', flags.makerFee, 'non-negative')
        : commission,
    takerFee:
      flags.takerFee !== undefined
        ? decimalFlag('--taker-fee', flags.takerFee, 'non-negative')
        : commission,
    slippageBps: numberFlag('--slippage-bps', flags.slippageBps, { max: 10_000 }),
    latencyMs: numberFlag('--latency-ms', flags.latencyMs, { integer: true }),
    buyFeeIn: buyFeeAsset(flags.buyFeeIn),
    seed: integerFlag('--seed', flags.seed),
    intervalMs:
      flags.interval !== undefined ? durationFlag('--interval', flags.interval) : undefined,
    barIntervalMs: durationFlag('--bar-interval', flags.barInterval ?? '1m'),
    from,
    to,
    allowShort: flags.allowShort ?? false,
    adjustClose: flags.adjustClose ?? false,
    symbol: flags.symbol,
    quote: flags.quote,
    closedOrderRetentionMs: withClosedOrderRetention(cliConfig(), flags).closedOrderRetentionMs,
  };
}

function buyFeeAsset(value: string): 'quote' | 'base' {
  if (value !== 'quote' && value !== 'base')
    throw new KairosError('CONFIG_INVALID', `--buy-fee-in: must be quote or base, was ${value}`);
  return value;
}

/** A data file's name without its extensions (`orcl-1995-2014.txt` → `orcl-1995-2014`). */
export function dataStem(file: string): string {
  return path.basename(file).replace(/(\.(json|csv|txt|gz|feather|parquet))+$/i, '');
}

/** A name made safe for a folder name. */
export const safeName = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');
