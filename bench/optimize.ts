// `npm run bench -- --only optimize`: runs/s of `kairos optimize` (sma-cross over a 9-combination
// grid on the benchmark's 1M one-minute bars, from the columnar cache) with 1 and 2 worker
// threads, interleaved, best of 2 each; and that both wrote the same results.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { generateBars } from './generate.js';

const home = path.resolve(process.env.KAIROS_HOME ?? 'var');
const bars = path.join(home, 'bench', 'bars-1m-1000000.csv');
const cacheDir = path.join(home, 'cache', 'bars');
await generateBars(bars, 1_000_000);
execFileSync(process.execPath, ['bin/build.mjs'], { stdio: 'inherit' });

interface SweepRun {
  workers: number;
  runs: number;
  bars: number;
  seconds: number;
  cpuSeconds: number;
  runsPerSecond: number;
  resultsSha256: string;
}
const sweep = (workers: number): SweepRun =>
  JSON.parse(
    execFileSync(
      process.execPath,
      ['bench/tsx-main.mjs', 'bench/optimize-scenario.ts', bars, cacheDir, String(workers)],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n')
      .pop()!,
  ) as SweepRun;

sweep(1); // builds the columnar copy outside the measured runs
const runsOf = new Map<number, SweepRun[]>([
  [1, []],
  [2, []],
]);
for (let round = 0; round < 2; round++) for (const w of [1, 2]) runsOf.get(w)!.push(sweep(w));
const best = (w: number) =>
  [...runsOf.get(w)!].sort((a, b) => b.runsPerSecond - a.runsPerSecond)[0]!;
const rows = [best(1), best(2)];
for (const r of rows)
  process.stdout.write(
    `optimize, sma-cross, ${r.runs} runs of ${r.bars.toLocaleString('en-US')} bars, ${r.workers} worker(s): ${r.runsPerSecond.toFixed(2)} runs/s (${r.seconds.toFixed(2)} s wall, ${r.cpuSeconds.toFixed(2)} CPU-s, ${((r.runs * r.bars) / r.cpuSeconds).toLocaleString('en-US', { maximumFractionDigits: 0 })} bars per CPU-second) (best of 2)\n`,
  );
const same = new Set([...runsOf.values()].flat().map((r) => r.resultsSha256)).size === 1;
process.stdout.write(`  results identical across runs and worker counts: ${same}\n`);
if (!same) throw new Error('optimize: the results differ between runs or worker counts');

/** What bench/run.ts writes for the optimize part. */
export const optimizeResults = { rows, identical: same, loadavg: os.loadavg() };
