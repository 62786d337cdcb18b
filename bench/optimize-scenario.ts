// One `kairos optimize` sweep in its own process (bench/optimize.ts): sma-cross over a grid on
// the benchmark's bars, from the columnar cache, with `--workers` threads. The product comes from
// dist/, as `kairos optimize` runs it. Prints one JSON line: runs, wall and CPU seconds (every
// thread's), and a hash of the results (the same for any number of workers).
// `node bench/tsx-main.mjs bench/optimize-scenario.ts <bars file> <cacheDir> <workers>`
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as RunOptimize from '../src/system/run-optimize.js';
import { BENCH_INSTRUMENT } from './bench-instrument.js';

const built = (file: string) =>
  import(pathToFileURL(path.resolve(import.meta.dirname, '..', 'dist', file)).href);
const { runOptimize } = (await built('system/run-optimize.js')) as typeof RunOptimize;

const [file, cacheDir, workers] = process.argv.slice(2) as [string, string, string];
/** The grid: 3 × 3 = 9 combinations, every one keeping fast < slow. */
const OPTIMIZE_GRID = ['fast=5,10,20', 'slow=30,60,90', 'size=10'];
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const results = await runOptimize({
  data: file,
  strategyFile: 'examples/strategies/sma-cross.ts',
  buildDir: path.join(cacheDir, '..', 'build'),
  columnCache: cacheDir,
  settings: {
    cash: '1000000',
    symbol: BENCH_INSTRUMENT.id,
    lot: BENCH_INSTRUMENT.lotSize,
    tick: BENCH_INSTRUMENT.tickSize,
    minNotional: '0',
    makerFee: BENCH_INSTRUMENT.makerFee,
    takerFee: BENCH_INSTRUMENT.takerFee,
    slippageBps: 0,
    latencyMs: 0,
    seed: 1,
    barIntervalMs: 60_000,
    allowShort: false,
  },
  params: OPTIMIZE_GRID,
  search: { kind: 'grid' },
  objective: 'sharpe',
  workers: Number(workers),
});
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const runs = results.space.run;
process.stdout.write(
  `${JSON.stringify({
    workers: Number(workers),
    runs,
    bars: results.window.bars,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    runsPerSecond: runs / seconds,
    resultsSha256: createHash('sha256').update(JSON.stringify(results)).digest('hex'),
  })}\n`,
);
