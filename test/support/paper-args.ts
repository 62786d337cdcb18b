import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeInstrument, type Instrument } from '../../src/trading/model/instrument.js';
import { DATA } from './run-cli.js';

/** Writes the first `n` one-minute candles of the shared BTC file to `file` (quick paper runs). */
export function btcSlice(file: string, n: number): string {
  const rows = JSON.parse(
    readFileSync(path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json'), 'utf8'),
  ) as unknown[];
  writeFileSync(file, JSON.stringify(rows.slice(0, n)));
  return file;
}

/** `kairos paper` arguments: sma-cross on `data`, as fast as possible, sized for BTC. */
export function paperArgs(data: string, ...extra: string[]): string[] {
  return [
    'paper',
    'examples/strategies/sma-cross.ts',
    '--data',
    data,
    '--speed',
    '0',
    '--lot',
    '0.001',
    '--cash',
    '100',
    '--params',
    'fast=5,slow=15,size=100',
    '--symbol',
    'BTC/X',
    ...extra,
  ];
}

/** The instrument `paperArgs` trades: BTC/X, lot 0.001, fees 0.1%. */
export function btcInstrument(): Instrument {
  return makeInstrument({
    id: 'BTC/X',
    base: 'BTC',
    quote: 'X',
    tickSize: '0.00000001',
    lotSize: '0.001',
    makerFee: '0.001',
    takerFee: '0.001',
  });
}
