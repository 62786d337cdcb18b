// The paper venue's compactions under the POST /orders benchmark's orders (resting limit buys,
// a fenced venue), outside the server: 40,000 submits, a turn of the event loop every 50 (so a
// worker's snapshot is put in place), from the venue module at <module> (a tree's
// src/trading/venues/paper/paper-venue.ts, or dist's .js). One JSON line: the longest op on the
// event loop (its stall: wall time, and the loop thread's own CPU), the ops that took ≥ 20 ms of
// that CPU, the loop thread's CPU and the process's (every thread).
//   node --import tsx bench/_compaction-cpu.ts var/ab-base/src/trading/venues/paper/paper-venue.ts main
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { instrument, submittedOrder } from '../test/support/builders.js';

const module = path.resolve(process.argv[2]!);
const label = process.argv[3] ?? module;
const { PaperVenue } = (await import(module)) as {
  PaperVenue: new (...args: unknown[]) => {
    submit(o: unknown, ts: number): void;
    close(): void;
    settled?: () => Promise<void>;
  };
};
const inst = instrument({ id: 'BTC/X', tickSize: '0.001', lotSize: '0.001' });
const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-compaction-cpu-'));
const venue = new PaperVenue(
  path.join(dir, 'venue.json'),
  { venue: 'PAPER', instruments: [inst] },
  () => undefined,
  { token: 1 },
  { compactOffThread: true },
);
const orders = Array.from({ length: 40_000 }, (_, i) =>
  submittedOrder(
    { instrumentId: inst.id, type: 'LIMIT', price: '0.001' as never, quantity: '1' as never },
    `o-${i + 1}`,
  ),
);
// The event loop's own CPU (Linux: this thread's time on a CPU, ns), apart from the wall time
// of an op, which on a busy machine also counts the time the thread waited for a core.
const threadNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
const load = os.loadavg()[0]!;
const cpu0 = process.cpuUsage();
let longest = 0;
let longestCpu = 0;
const slow: [number, number][] = [];
const thread0 = threadNs();
for (let i = 0; i < orders.length; i++) {
  const t = performance.now();
  const c = threadNs();
  venue.submit(orders[i], i + 1);
  const cpu = (threadNs() - c) / 1e6;
  const ms = performance.now() - t;
  longest = Math.max(longest, ms);
  longestCpu = Math.max(longestCpu, cpu);
  if (cpu >= Number(process.env.SLOW_MS ?? 20)) slow.push([i + 1, +cpu.toFixed(1)]);
  if (i % 50 === 49) await new Promise((r) => setImmediate(r));
}
await venue.settled?.();
const loopCpuS = (threadNs() - thread0) / 1e9;
const { user, system } = process.cpuUsage(cpu0);
venue.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ label, longestOpMs: +longest.toFixed(1), longestOpCpuMs: +longestCpu.toFixed(1), opsOver20MsCpu: slow, loopCpuS: +loopCpuS.toFixed(2), cpuS: +((user + system) / 1e6).toFixed(2), load: [+load.toFixed(2), +os.loadavg()[0]!.toFixed(2)] })}\n`,
);
process.exit(0);
