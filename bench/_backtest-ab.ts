// A/B of a backtest row (issue 18): each tree's `bench/scenario.ts`, bundled by esbuild, run in
// fresh processes alternately (the order swapped each round), printing each run's CPU seconds, each
// copy's median and range, and the median of its round-by-round ratio to the first copy. A copy is
// a tree under this one (so the bundle resolves the same node_modules):
//   git archive main src bench examples | tar -x -C var/ab-main
//   cp -r <a checkout of main, after npm run build>/dist var/ab-main/   # scenario.ts runs dist/
//   node --import tsx bench/_backtest-ab.ts 15 var/ab-main .
// Optional: BENCH_KIND (default columnar), BENCH_STRATEGY (as scenario.ts). Two trees' engines in
// one process were tried and dropped: an A/A pair there read 0.96 and 1.05, and a third or fourth
// copy moved the others by up to 40 % (they share big.js's allocation sites and the heap's state).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const [roundsArg, ...roots] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (!(rounds > 0) || roots.length === 0)
  throw new Error('usage: _backtest-ab.ts <rounds> <root>...');
const kind = process.env.BENCH_KIND ?? 'columnar';
const file = path.resolve('var/bench/bars-1m-1000000.csv');
const cacheDir = path.resolve('var/cache/bars');
const out = path.resolve('var/ab-bundles');
mkdirSync(out, { recursive: true });

const bundles = await Promise.all(
  roots.map(async (root, i) => {
    const outfile = path.join(out, `copy-${i}.mjs`);
    await build({
      entryPoints: [path.resolve(root, 'bench/scenario.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      // scenario.ts imports the product from its tree's dist/ (`npm run build` there first), by
      // its own folder: the bundle lives elsewhere, so that folder is the tree's bench/.
      define: { 'import.meta.dirname': JSON.stringify(path.resolve(root, 'bench')) },
      outfile,
      logLevel: 'warning',
    });
    return outfile;
  }),
);

interface Run {
  cpuSeconds: number;
  seconds: number;
}
const runs: Run[][] = roots.map(() => []);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...roots.keys()].reverse() : [...roots.keys()];
  for (const i of order) {
    const line = execFileSync(process.execPath, [bundles[i]!, kind, file, cacheDir], {
      encoding: 'utf8',
    });
    runs[i]!.push(JSON.parse(line.trim().split('\n').pop()!) as Run);
  }
  process.stdout.write(
    `round ${r + 1}: ${runs.map((x) => x[r]!.cpuSeconds.toFixed(3)).join(' ')}\n`,
  );
}
const median = (x: number[]) => {
  const s = [...x].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};
roots.forEach((root, i) => {
  const cpu = runs[i]!.map((x) => x.cpuSeconds);
  const ratios = cpu.map((x, r) => x / runs[0]![r]!.cpuSeconds);
  process.stdout.write(
    `${root}: median ${median(cpu).toFixed(3)} CPU-s (${Math.min(...cpu).toFixed(3)}-${Math.max(...cpu).toFixed(3)}), wall median ${median(runs[i]!.map((x) => x.seconds)).toFixed(3)} s; ratio to ${roots[0]} median ${median(ratios).toFixed(3)}, lower in ${ratios.filter((x) => x < 1).length} of ${rounds}\n`,
  );
});
