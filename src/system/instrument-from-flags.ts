import path from 'node:path';
import { makeInstrument, type Instrument } from '../trading/model/instrument.js';

/** Instrument flags of `backtest` and `paper`. */
export interface InstrumentFlags {
  readonly symbol?: string;
  readonly tick: string;
  readonly lot: string;
  readonly minQty?: string;
  readonly minNotional?: string;
  readonly makerFee: string;
  readonly takerFee: string;
  readonly quote?: string;
}

/**
 * Guesses a symbol from a data file name: `UNITTEST_BTC-1m.json` → `UNITTEST/BTC`,
 * `XRP_USDT_USDT-1h-futures.json.gz` → `XRP/USDT`, `orcl-1995-2014.txt` → `ORCL`.
 */
export function symbolFromFile(file: string): string {
  const base = path
    .basename(file)
    .replace(/\.(gz)$/, '')
    .replace(/\.[a-z]+$/i, '');
  const pair = /^([A-Z0-9]+)_([A-Z0-9]+)(?:_[A-Z0-9]+)?(?:-|$)/.exec(base);
  if (pair) return `${pair[1]}/${pair[2]}`;
  return (base.split(/[-_.]/)[0] || 'ASSET').toUpperCase();
}

/** Builds the instrument: `BASE/QUOTE` symbols split; others are quoted in `--quote` (USD). */
export function instrumentFromFlags(flags: InstrumentFlags, dataFile: string): Instrument {
  const id = flags.symbol ?? symbolFromFile(dataFile);
  const [base, quote] = id.includes('/') ? id.split('/') : [id, flags.quote ?? 'USD'];
  return makeInstrument({
    id,
    base: base!,
    quote: (quote ?? 'USD').split(':')[0]!,
    tickSize: flags.tick,
    lotSize: flags.lot,
    minQuantity: flags.minQty ?? flags.lot,
    minNotional: flags.minNotional ?? '0',
    makerFee: flags.makerFee,
    takerFee: flags.takerFee,
  });
}
