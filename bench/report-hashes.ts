// Backtests every example strategy on the shared data (and the benchmark's generated data) with
// the CLI and prints the SHA-256 of each report.json: run it before and after a change to the
// engine and compare (`diff`). Usage: node --import tsx bench/report-hashes.ts [out.txt]
// With KAIROS_KEEP_REPORTS=<folder>, each report.json is also kept there (`<case>.json`), so two
// runs' reports can be diffed field by field when a hash changes.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateBars, generateTrades } from './generate.js';

const shared = process.env.KAIROS_SHARED_DATA ?? '/work/shared/data';
const bt = (f: string): string => path.join(shared, 'backtrader', f);
const ft = (f: string): string => path.join(shared, 'freqtrade', f);
const home = path.resolve(process.env.KAIROS_HOME ?? 'var');
const keep = process.env.KAIROS_KEEP_REPORTS;
if (keep) mkdirSync(keep, { recursive: true });
const benchBars = path.join(home, 'bench', 'bars-1m-1000000.csv');
const benchTrades = path.join(home, 'bench', 'trades-1000000.csv');
await generateBars(benchBars, 1_000_000);
await generateTrades(benchTrades, 1_000_000);

const SMA = 'examples/strategies/sma-cross.ts';
const RSI = 'examples/strategies/rsi-reversion.ts';
const MOM = 'examples/strategies/trade-momentum.ts';
const bench = ['--symbol', 'BENCH/USD', '--tick', '0.01', '--cash', '1000000'];
const cases: [string, string[]][] = [];
for (const s of [SMA, RSI]) {
  for (const f of [
    bt('orcl-1995-2014.txt'),
    bt('nvda-1999-2014.txt'),
    bt('yhoo-1996-2015.txt'),
    bt('2006-day-001.txt'),
  ])
    cases.push([`${path.basename(s)} ${path.basename(f)}`, [s, '--data', f]]);
  cases.push([`${path.basename(s)} btc-1m`, [s, '--data', ft('UNITTEST_BTC-1m.json')]]);
  cases.push([
    `${path.basename(s)} btc-1m fractional`,
    [
      s,
      '--data',
      ft('UNITTEST_BTC-1m.json'),
      '--lot',
      '0.00001',
      '--params',
      'size=0.01234',
      '--commission',
      '0.00075',
    ],
  ]);
  cases.push([
    `${path.basename(s)} orcl fee-in-base slippage latency`,
    [
      s,
      '--data',
      bt('orcl-1995-2014.txt'),
      '--buy-fee-in',
      'base',
      '--slippage-bps',
      '7',
      '--latency-ms',
      '5',
      '--lot',
      '0.01',
      '--params',
      'size=33.33',
    ],
  ]);
  cases.push([
    `${path.basename(s)} nvda short maker/taker`,
    [
      s,
      '--data',
      bt('nvda-1999-2014.txt'),
      '--allow-short',
      '--maker-fee',
      '0.0002',
      '--taker-fee',
      '0.0007',
      '--cash',
      '12345.67',
    ],
  ]);
}
cases.push([
  'sma-cross bench 1M bars',
  [SMA, '--data', benchBars, ...bench, '--params', 'fast=10,slow=30,size=10'],
]);
cases.push(['rsi-reversion bench 1M bars', [RSI, '--data', benchBars, ...bench]]);
cases.push(['trade-momentum xrp-eth', [MOM, '--data', ft('XRP_ETH-trades.json.gz')]]);
cases.push(['trade-momentum public-trades', [MOM, '--data', ft('public_trades_list.csv')]]);
cases.push([
  'trade-momentum public-trades fractional',
  [
    MOM,
    '--data',
    ft('public_trades_list.csv'),
    '--lot',
    '0.0001',
    '--params',
    'size=0.0123',
    '--buy-fee-in',
    'base',
  ],
]);
cases.push([
  'trade-momentum bench 1M trades',
  [MOM, '--data', benchTrades, ...bench, '--params', 'size=1'],
]);

const lines: string[] = [];
for (const [name, args] of cases) {
  const out = mkdtempSync(path.join(os.tmpdir(), 'kairos-hash-'));
  try {
    execFileSync(
      process.execPath,
      ['bin/kairos.js', 'backtest', ...args, '--no-progress', '--out', out],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, KAIROS_HOME: home } },
    );
    const hash = createHash('sha256')
      .update(readFileSync(path.join(out, 'report.json')))
      .digest('hex');
    lines.push(`${hash}  ${name}`);
    if (keep)
      copyFileSync(
        path.join(out, 'report.json'),
        path.join(keep, `${name.replace(/[^\w.-]+/g, '_')}.json`),
      );
  } catch (e) {
    lines.push(`FAILED  ${name}: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  process.stdout.write(`${lines.at(-1)}\n`);
}
if (process.argv[2]) writeFileSync(process.argv[2], `${lines.join('\n')}\n`);
