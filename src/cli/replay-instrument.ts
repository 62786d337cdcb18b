import type { Command } from 'commander';
import type { Instrument } from '../trading/model/instrument.js';
import { detectFormat } from '../trading/venues/replay/open-data.js';
import { instrumentFromFlags } from '../system/instrument-from-flags.js';
import { decimalFlag } from './parse-flags.js';

/** The flags of a command that replays one data file as a market (`paper`, `serve`). */
export interface ReplayInstrumentFlags {
  data: string;
  symbol?: string;
  quote?: string;
  tick?: string;
  lot: string;
  cash: string;
  commission: string;
}

/**
 * Adds `--data` (required unless `dataOptional`: the command has another market source), the
 * instrument flags, `--cash` and `--commission` to a command.
 */
export function replayInstrumentOptions(
  cmd: Command,
  dataHelp: string,
  dataOptional = false,
): Command {
  return (
    dataOptional
      ? cmd.option('--data <file>', dataHelp)
      : cmd.requiredOption('--data <file>', dataHelp)
  )
    .option('--symbol <symbol>', 'instrument id (default: from the file name)')
    .option('--quote <ccy>', 'quote currency when the symbol has none', 'USD')
    .option('--tick <size>', 'price tick (default: the finest step in the data)')
    .option('--lot <size>', 'quantity lot size', '1')
    .option('--cash <amount>', 'starting cash of the paper account', '100000')
    .option('--commission <rate>', 'maker and taker fee', '0.001');
}

/** The instrument those flags describe (the tick, unless given, from the data). */
export async function replayInstrument(flags: ReplayInstrumentFlags): Promise<Instrument> {
  const commission = decimalFlag('--commission', flags.commission, 'non-negative');
  const format = await detectFormat(flags.data);
  return instrumentFromFlags(
    {
      symbol: flags.symbol,
      quote: flags.quote,
      tick: flags.tick !== undefined ? decimalFlag('--tick', flags.tick, 'positive') : format.tick,
      lot: decimalFlag('--lot', flags.lot, 'positive'),
      makerFee: commission,
      takerFee: commission,
    },
    flags.data,
  );
}
