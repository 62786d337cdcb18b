// `npm run bench`: end-to-end backtest throughput, then the OMS, API, Lambda and monitoring
// benchmarks. Not part of `npm test`. `npm run bench -- --backtest` runs the backtests alone;
// `npm run bench -- --only oms,api` runs only the parts named (backtest, optimize, oms, api,
// venues, lambda, monitoring, cluster).
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateBars, generateTrades } from './generate.js';
import { orderShare } from './order-share.js';

const PARTS = [
  'backtest',
  'optimize',
  'oms',
  'api',
  'venues',
  'lambda',
  'monitoring',
  'cluster',
] as const;
const onlyAt = process.argv.indexOf('--only');
const only = new Set<string>(onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').split(',') : PARTS);
for (const p of only)
  if (!(PARTS as readonly string[]).includes(p))
    throw new Error(`--only: ${p} is not one of ${PARTS.join(', ')}`);
const runs = (part: (typeof PARTS)[number]) => only.has(part);

async function backtests() {
  const home = path.resolve(process.env.KAIROS_HOME ?? 'var');
  const dir = path.join(home, 'bench');
  const bars = path.join(dir, 'bars-1m-1000000.csv');
  const trades = path.join(dir, 'trades-1000000.csv');
  process.stdout.write('generating data (once)...\n');
  await generateBars(bars, 1_000_000);
  await generateTrades(trades, 1_000_000);
  const cacheDir = path.join(home, 'cache', 'bars');
  // The scenarios run the product from dist/, as `kairos backtest` does: built from the sources
  // now, so the rows measure them.
  execFileSync(process.execPath, ['bin/build.mjs'], { stdio: 'inherit' });
  // Build the columnar cache outside the measured run.
  execFileSync(process.execPath, [
    'bench/tsx-main.mjs',
    'bench/scenario.ts',
    'columnar',
    bars,
    cacheDir,
  ]);

  // Each backtest row has its ceiling beside it: the same bars read the same way with no engine
  // (the reader alone for CSV, the columns turned into bars for the cache), measured in the same
  // run. The runs are interleaved (round after round), so each row and its ceiling share the
  // machine's load; the best of three is kept, and CPU seconds are printed beside wall seconds.
  const scenarios = [
    {
      name: 'sma-cross, 1M bars from CSV (parsing included)',
      kind: 'csv',
      file: bars,
      // Read on a second thread: through it with no engine, and the reader alone (its bound).
      ceilings: ['csv-thread-read', 'csv-read'],
    },
    {
      name: 'sma-cross, 1M bars from the columnar cache',
      kind: 'columnar',
      file: bars,
      ceilings: ['columnar-read'],
    },
    {
      // The engine's per-bar path alone: what the 39k orders cost is the difference.
      name: 'the same SMAs, never trading (bench/strategies/sma-watch.ts), columnar cache',
      kind: 'columnar',
      file: bars,
      strategy: 'bench/strategies/sma-watch.ts',
    },
    { name: 'trade-momentum, 1M trade ticks from CSV', kind: 'trades', file: trades },
  ];
  interface ScenarioRun {
    perSecond: number;
    seconds: number;
    cpuSeconds: number;
    perCpuSecond: number;
    peakRssMb: number;
    /** The main thread's own CPU seconds (Linux), beside the process's. */
    mainThreadCpuSeconds: number | null;
    orders: number;
    events: number;
  }
  const runScenario = (kind: string, file: string, strategy?: string): ScenarioRun => {
    const out = execFileSync(
      process.execPath,
      ['bench/tsx-main.mjs', 'bench/scenario.ts', kind, file, cacheDir],
      {
        encoding: 'utf8',
        env: strategy ? { ...process.env, BENCH_STRATEGY: strategy } : process.env,
      },
    );
    return JSON.parse(out.trim().split('\n').pop()!) as ScenarioRun;
  };
  const keyOf = (k: { kind: string; strategy?: string }) => `${k.kind} ${k.strategy ?? ''}`;
  const kinds = scenarios.flatMap((s) => [
    { kind: s.kind, file: s.file, strategy: s.strategy },
    ...(s.ceilings ?? []).map((kind) => ({ kind, file: s.file, strategy: undefined })),
  ]);
  const runsOf = new Map<string, ScenarioRun[]>(kinds.map((k) => [keyOf(k), []]));
  for (let round = 0; round < 3; round++)
    for (const k of kinds) runsOf.get(keyOf(k))!.push(runScenario(k.kind, k.file, k.strategy));
  const best = (key: string): ScenarioRun & { runs: number[] } => {
    const runs = [...runsOf.get(key)!].sort((a, b) => b.perSecond - a.perSecond);
    return { ...runs[0]!, runs: runs.map((r) => r.perSecond) };
  };
  const fmt = (r: ScenarioRun) =>
    `${r.perSecond.toLocaleString('en-US')}/s (${r.seconds.toFixed(3)} s wall, ${r.perCpuSecond.toLocaleString('en-US')} per CPU-second${r.mainThreadCpuSeconds === null ? '' : `, ${r.mainThreadCpuSeconds.toFixed(2)} CPU-s on the main thread`}), peak RSS ${r.peakRssMb} MB`;
  const results = [];
  for (const s of scenarios) {
    const b = best(keyOf(s));
    const ceilings = (s.ceilings ?? []).map((kind) => ({ kind, ...best(keyOf({ kind })) }));
    results.push({
      scenario: s.name,
      ...b,
      ...(ceilings.length > 0 ? { ceiling: ceilings[0], ceilings } : {}),
    });
    process.stdout.write(`${s.name}: ${fmt(b)} (best of 3)\n`);
    for (const c of ceilings) process.stdout.write(`  ceiling, ${c.kind} (no engine): ${fmt(c)}\n`);
  }
  const split = orderShare(best(keyOf(scenarios[1]!)), best(keyOf(scenarios[2]!)), 3_000_000);
  process.stdout.write(`  ${split.line}\n`);
  const loadavg = os.loadavg();
  process.stdout.write(
    `load average during the backtests: ${loadavg.map((l) => l.toFixed(2)).join(' ')}\n`,
  );
  return { results, loadavg, orderShare: split };
}

const backtestOnly = process.argv.includes('--backtest');
if (backtestOnly) {
  only.clear();
  only.add('backtest');
}
const {
  results,
  loadavg,
  orderShare: columnarOrders,
} = runs('backtest')
  ? await backtests()
  : { results: [], loadavg: os.loadavg(), orderShare: undefined };
if (backtestOnly) {
  await mkdir('bench/results', { recursive: true });
  const date = new Date().toISOString();
  const file = path.join('bench/results', `backtest-${date.slice(0, 10)}.json`);
  const report = {
    ...{ date, node: process.version, cpus: os.cpus().length, loadavg, results },
    columnarOrders,
  };
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`written ${file}\n`);
  process.exit(0);
}
let optimizeResults,
  omsResults,
  apiResults,
  venueResults,
  lambdaResults,
  monitoringResults,
  clusterResults;
if (runs('optimize')) {
  process.stdout.write('Optimize: a parameter sweep with 1 and 2 worker threads\n');
  ({ optimizeResults } = await import('./optimize.js'));
}
if (runs('oms')) {
  process.stdout.write('OMS: tick-to-order latency and persisted orders/s (issue #3)\n');
  ({ omsResults } = await import('./oms.js'));
}
if (runs('api')) {
  process.stdout.write('API: POST /orders with autocannon, WebSocket fan-out (issue #4)\n');
  ({ apiResults } = await import('./api.js'));
}
if (runs('venues')) {
  process.stdout.write(
    'Venues: POST /orders across 2 accounts on 2 venues, WebSocket fan-out of 20 instruments (issue 15)\n',
  );
  ({ venueResults } = await import('./venues.js'));
}
if (runs('lambda')) {
  process.stdout.write(
    'Lambda: a step through the local endpoint, in-process vs Lambda (issue #13)\n',
  );
  ({ lambdaResults } = await import('./lambda.js'));
}
if (runs('monitoring')) {
  process.stdout.write('Monitoring: the order path with logs and metrics off and on (issue #14)\n');
  ({ monitoringResults } = await import('./monitoring.js'));
}
if (runs('cluster')) {
  process.stdout.write(
    'Cluster: 1 instance and 3 behind nginx, reads, order entry, WebSocket fan-out (issue 16)\n',
  );
  ({ clusterResults } = await import('./cluster.js'));
}
const report = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  loadavg,
  parts: [...only],
  results,
  columnarOrders,
  optimize: optimizeResults,
  oms: omsResults,
  api: apiResults,
  venues: venueResults,
  lambda: lambdaResults,
  monitoring: monitoringResults,
  cluster: clusterResults,
};
await mkdir('bench/results', { recursive: true });
const file = path.join('bench/results', `bench-${report.date.slice(0, 10)}.json`);
await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`written ${file}\n`);
