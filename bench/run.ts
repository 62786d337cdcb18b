// `npm run bench`: end-to-end backtest throughput. Not part of `npm test`.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateBars, generateTrades } from './generate.js';

const home = path.resolve(process.env.KAIROS_HOME ?? 'var');
const dir = path.join(home, 'bench');
const bars = path.join(dir, 'bars-1m-1000000.csv');
const trades = path.join(dir, 'trades-1000000.csv');
process.stdout.write('generating data (once)...\n');
await generateBars(bars, 1_000_000);
await generateTrades(trades, 1_000_000);
const cacheDir = path.join(home, 'cache', 'bars');
// Build the columnar cache outside the measured run.
execFileSync(process.execPath, [
  '--import',
  'tsx',
  'bench/scenario.ts',
  'columnar',
  bars,
  cacheDir,
]);

const scenarios = [
  { name: 'sma-cross, 1M bars from CSV (parsing included)', kind: 'csv', file: bars },
  { name: 'sma-cross, 1M bars from the columnar cache', kind: 'columnar', file: bars },
  { name: 'trade-momentum, 1M trade ticks from CSV', kind: 'trades', file: trades },
];
const results = [];
for (const s of scenarios) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'bench/scenario.ts', s.kind, s.file, cacheDir],
      { encoding: 'utf8' },
    );
    runs.push(JSON.parse(out.trim().split('\n').pop()!));
  }
  runs.sort((a, b) => b.perSecond - a.perSecond);
  const best = runs[0];
  results.push({ scenario: s.name, ...best, runs: runs.map((r) => r.perSecond) });
  process.stdout.write(
    `${s.name}: ${best.perSecond.toLocaleString('en-US')} events/s (best of 3), ${best.seconds.toFixed(3)} s, peak RSS ${best.peakRssMb} MB\n`,
  );
}
process.stdout.write('OMS: tick-to-order latency and persisted orders/s (issue #3)\n');
const { omsResults } = await import('./oms.js');
process.stdout.write('API: POST /orders with autocannon, WebSocket fan-out (issue #4)\n');
const { apiResults } = await import('./api.js');
process.stdout.write(
  'Lambda: a step through the local endpoint, in-process vs Lambda (issue #13)\n',
);
const { lambdaResults } = await import('./lambda.js');
process.stdout.write('Monitoring: the order path with logs and metrics off and on (issue #14)\n');
const { monitoringResults } = await import('./monitoring.js');
const report = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  results,
  oms: omsResults,
  api: apiResults,
  lambda: lambdaResults,
  monitoring: monitoringResults,
};
await mkdir('bench/results', { recursive: true });
const file = path.join('bench/results', `bench-${report.date.slice(0, 10)}.json`);
await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`written ${file}\n`);
