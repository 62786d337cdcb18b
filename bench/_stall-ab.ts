// A/B of the event loop's longest stall under `POST /orders` (the benchmark's load, autocannon
// in this process, as bench/api.ts runs it) over a longer run than the row's 10 s, so that the
// paper venue's state reaches tens of thousands of resting orders and several compactions; from
// the tree at <root>; one JSON line. Alternate two trees:
//   node --import tsx bench/_stall-ab.ts var/ab-base main 30; node --import tsx bench/_stall-ab.ts . branch 30
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTree } from './_ab-tree.js';

const root = path.resolve(process.argv[2] ?? '.');
const label = process.argv[3] ?? root;
const seconds = Number(process.argv[4] ?? 30);
const { startTestServer, createBenchDatabase, postOrders } = await loadTree(root);

const db = await createBenchDatabase();
const t = await startTestServer({
  rateLimitPerMinute: 1e9,
  asServed: true,
  env: { DATABASE_URL: db.url },
});
const delay = monitorEventLoopDelay({ resolution: 5 });
// A 5 ms interval timer: the longest gap between two of its calls is the longest stall too.
// Within each gap, the event loop thread's own CPU (Linux: its time on a CPU, ns): on a machine
// with more runnable threads than cores a gap also counts the time the thread waited for one,
// and only the CPU is work done on the loop.
const threadNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
let last = performance.now();
let lastCpu = threadNs();
let gap = 0;
let gapCpu = 0;
let cpuGap = 0;
const tick = setInterval(() => {
  const now = performance.now();
  const cpu = threadNs();
  const ms = now - last;
  const cpuMs = (cpu - lastCpu) / 1e6;
  if (ms > gap) [gap, gapCpu] = [ms, cpuMs];
  cpuGap = Math.max(cpuGap, cpuMs);
  last = now;
  lastCpu = cpu;
}, 5);
// Garbage collections, to tell their pauses from other stalls: the longest, and how many ≥ 50 ms.
let gcMax = 0;
let gcLong = 0;
const gc = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMax = Math.max(gcMax, e.duration);
    if (e.duration >= 50) gcLong++;
  }
});
gc.observe({ entryTypes: ['gc'] });
const load = os.loadavg()[0]!;
const cpu0 = process.cpuUsage();
delay.enable();
const r = await postOrders(t.server.url, { seconds, token: t.token });
delay.disable();
clearInterval(tick);
gc.disconnect();
const { user, system } = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({
    label,
    seconds,
    orders: r.requests.total,
    ordersPerSecond: Math.round(r.requests.average),
    p99Ms: r.latency.p99,
    maxLatencyMs: r.latency.max,
    longestStallMs: +(delay.max / 1e6).toFixed(1),
    stallP99Ms: +(delay.percentile(99) / 1e6).toFixed(1),
    timerGapMs: +gap.toFixed(1),
    cpuInLongestGapMs: +gapCpu.toFixed(1),
    mostCpuInOneGapMs: +cpuGap.toFixed(1),
    longestGcMs: +gcMax.toFixed(1),
    gcsOver50Ms: gcLong,
    cpuMsPerRequest: +((user + system) / 1000 / r.requests.total).toFixed(3),
    load: [+load.toFixed(2), +os.loadavg()[0]!.toFixed(2)],
    non2xx: r.non2xx,
  })}\n`,
);
await t.server.close();
await db.drop();
process.exit(0);
