// A/B of the columnar `sma-cross` row (issue 18) in one process: the backtest engine of two or
// more trees, alternately (the order swapped each round), on the columnar cache's 1M bars. In one
// process the machine's load falls on every copy alike, which separates changes of a few per cent
// that separate processes on this shared machine do not (±10 % from run to run). Prints each
// run's CPU seconds, then each copy's median and the median of its round-by-round ratio to the
// first copy. A copy is a tree under this one (so it resolves the same node_modules):
//   git archive main src examples | tar -x -C var/ab-main
//   node --import tsx bench/_backtest-ab.ts 9 var/ab-main .
// BENCH_STRATEGY picks another strategy file (as `bench/scenario.ts`).
import path from 'node:path';
import type * as Engine from '../src/trading/backtest/backtest-engine.js';
import type * as Instruments from '../src/trading/model/instrument.js';
import type * as Cache from '../src/trading/venues/replay/columnar-cache.js';
import type * as Load from '../src/cli/load-strategy.js';
import { BENCH_INSTRUMENT } from './bench-instrument.js';

const [roundsArg, ...roots] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (!(rounds > 0) || roots.length === 0)
  throw new Error('usage: _backtest-ab.ts <rounds> <root>...');
const file = path.resolve('var/bench/bars-1m-1000000.csv');
const cacheDir = path.resolve('var/cache/bars');
const strategyFile = process.env.BENCH_STRATEGY ?? 'examples/strategies/sma-cross.ts';

const copies = await Promise.all(
  roots.map(async (root) => {
    const at = (f: string) => import(path.resolve(root, f));
    const { BacktestEngine } = (await at(
      'src/trading/backtest/backtest-engine.ts',
    )) as typeof Engine;
    const { makeInstrument } = (await at('src/trading/model/instrument.ts')) as typeof Instruments;
    const { loadColumns } = (await at(
      'src/trading/venues/replay/columnar-cache.ts',
    )) as typeof Cache;
    const { loadStrategy } = (await at('src/cli/load-strategy.ts')) as typeof Load;
    const strategy = await loadStrategy(
      path.resolve(root, strategyFile),
      path.join(cacheDir, '..', 'build'),
    );
    const instrument = makeInstrument(BENCH_INSTRUMENT);
    const opts = { instrumentId: instrument.id };
    const cols = await loadColumns(file, opts, cacheDir);
    const params = process.env.BENCH_STRATEGY ? {} : { fast: 10, slow: 30, size: '10' };
    return {
      root,
      /** One run; its CPU seconds (every thread of the process: the collector's helpers too). */
      async run(): Promise<number> {
        const engine = new BacktestEngine({
          instrument,
          strategy,
          expectedBars: 1_000_000,
          cash: '1000000',
          params,
        });
        const cpu0 = process.cpuUsage();
        const r = await engine.runBarColumns(cols, opts);
        const cpu = process.cpuUsage(cpu0);
        if (r.events !== 1_000_000) throw new Error(`${root}: ${r.events} bars`);
        return (cpu.user + cpu.system) / 1e6;
      },
    };
  }),
);

const median = (x: number[]) => {
  const s = [...x].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};
// A warm-up run of each copy: its first run also compiles it.
for (const c of copies) await c.run();
const cpu: number[][] = copies.map(() => []);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...copies.keys()].reverse() : [...copies.keys()];
  for (const i of order) cpu[i]!.push(await copies[i]!.run());
  process.stdout.write(`round ${r + 1}: ${cpu.map((c) => c[r]!.toFixed(3)).join(' ')}\n`);
}
copies.forEach((c, i) => {
  const ratios = cpu[i]!.map((x, r) => x / cpu[0]![r]!);
  process.stdout.write(
    `${c.root}: median ${median(cpu[i]!).toFixed(3)} CPU-s (${Math.min(...cpu[i]!).toFixed(3)}-${Math.max(...cpu[i]!).toFixed(3)}), ratio to ${copies[0]!.root} median ${median(ratios).toFixed(3)}, lower in ${ratios.filter((x) => x < 1).length} of ${rounds}\n`,
  );
});
