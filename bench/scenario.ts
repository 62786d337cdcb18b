// One benchmark scenario in its own process, so peak RSS is its own. Prints one JSON line.
// Kinds: csv, columnar, trades (a backtest), and the machine's ceilings for the first two:
// csv-read and columnar-read read the same bars the same way with no engine behind them. The csv
// row reads the file on a second thread, as `kairos backtest` does (openBarsOffThread): its
// ceilings are csv-thread-read (the bars through that thread, no engine) and csv-read (the
// reader alone on one thread, what bounds that thread).
// The product comes from dist/ (`npm run build`; bench/run.ts builds it first), as `kairos
// backtest` runs it: compiled JavaScript, not the TypeScript sources through tsx. Run it with
// `node bench/tsx-main.mjs bench/scenario.ts <kind> <file> <cacheDir>`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Engine from '../src/trading/backtest/backtest-engine.js';
import type * as Aggregator from '../src/trading/data/bar-aggregator.js';
import type * as Instrument from '../src/trading/model/instrument.js';
import type * as Columns from '../src/trading/data/bar-columns.js';
import type * as Cache from '../src/trading/venues/replay/columnar-cache.js';
import type * as OpenData from '../src/trading/venues/replay/open-data.js';
import type * as OffThread from '../src/trading/venues/replay/open-bars-off-thread.js';
import type * as LoadStrategy from '../src/system/load-strategy.js';
import { BENCH_INSTRUMENT } from './bench-instrument.js';

const built = (file: string) =>
  import(pathToFileURL(path.resolve(import.meta.dirname, '..', 'dist', file)).href);
const { BacktestEngine } = (await built('trading/backtest/backtest-engine.js')) as typeof Engine;
const { BarAggregator } = (await built('trading/data/bar-aggregator.js')) as typeof Aggregator;
const { makeInstrument } = (await built('trading/model/instrument.js')) as typeof Instrument;
const { barsFromColumns } = (await built('trading/data/bar-columns.js')) as typeof Columns;
const { loadColumns } = (await built('trading/venues/replay/columnar-cache.js')) as typeof Cache;
const { detectFormat, openBars, openTrades } = (await built(
  'trading/venues/replay/open-data.js',
)) as typeof OpenData;
const { openBarsOffThread } = (await built(
  'trading/venues/replay/open-bars-off-thread.js',
)) as typeof OffThread;
const { loadStrategy } = (await built('system/load-strategy.js')) as typeof LoadStrategy;

const [kind, file, cacheDir] = process.argv.slice(2) as [string, string, string];
const instrument = makeInstrument(BENCH_INSTRUMENT);
const strategyFile =
  process.env.BENCH_STRATEGY ??
  (kind === 'trades'
    ? 'examples/strategies/trade-momentum.ts'
    : 'examples/strategies/sma-cross.ts');
const strategy = await loadStrategy(strategyFile, path.join(cacheDir, '..', 'build'));
const expectedBars =
  kind === 'trades' ? undefined : ((await detectFormat(file)).estimatedRows ?? undefined);
const engine = new BacktestEngine({
  instrument,
  strategy,
  expectedBars,
  cash: '1000000',
  params: process.env.BENCH_STRATEGY
    ? {}
    : kind === 'trades'
      ? { size: '1' }
      : { fast: 10, slow: 30, size: '10' },
});
const opts = { instrumentId: instrument.id };
let cols = null;
if (kind === 'columnar' || kind === 'columnar-read') cols = await loadColumns(file, opts, cacheDir);
const cpu0 = process.cpuUsage();
const main0 = mainThreadCpu();
const start = process.hrtime.bigint();
if (kind === 'csv-read' || kind === 'csv-thread-read' || kind === 'columnar-read') {
  // The ceiling: every bar read into the same objects the engine gets, and its close summed.
  let events = 0;
  let sum = 0;
  const bars = cols
    ? barsFromColumns(cols, opts)
    : kind === 'csv-thread-read'
      ? openBarsOffThread(file, opts)
      : openBars(file, opts);
  for await (const batch of bars) {
    for (const bar of batch) sum += bar.close;
    events += batch.length;
  }
  report(events, 0, 0, sum);
  process.exit(0);
}
const run =
  kind === 'trades'
    ? await engine.runTrades(openTrades(file, opts), (emit) => new BarAggregator(60_000, emit))
    : cols
      ? await engine.runBarColumns(cols, opts)
      : await engine.runBars(openBarsOffThread(file, opts));
if (process.env.BENCH_HEAP) {
  (globalThis as { gc?: () => void }).gc?.();
  process.stderr.write(
    `retained heap ${Math.round(process.memoryUsage().heapUsed / 1048576)} MB, external ${Math.round(process.memoryUsage().arrayBuffers / 1048576)} MB\n`,
  );
}
report(run.events, run.fills.length, run.orders.length);

function report(events: number, fills: number, orders: number, checksum?: number): void {
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  // CPU time beside wall time: on a shared machine the wall clock includes waiting for a core.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // The engine's own thread apart: the process's CPU also counts a reading thread's and V8's.
  const mainThreadCpuSeconds = main0 === null ? null : mainThreadCpu()! - main0;
  process.stdout.write(
    `${JSON.stringify({ kind, events, seconds, perSecond: Math.round(events / seconds), cpuSeconds, mainThreadCpuSeconds, perCpuSecond: Math.round(events / cpuSeconds), fills, orders, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), ...(checksum === undefined ? {} : { checksum }) })}\n`,
  );
}

/** The main thread's CPU seconds (Linux: /proc, in clock ticks of 10 ms), else null. */
function mainThreadCpu(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}
