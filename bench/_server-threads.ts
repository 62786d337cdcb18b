// The served Postgres server's CPU a `POST /orders` in consecutive 10 s windows of one run, its
// event loop's thread apart from the rest (V8's compiler and garbage-collector threads, libuv's
// pool, the venue's compaction worker), from /proc/<pid>/task. Shows how long the server takes
// to warm up: the first windows carry V8 compiling the hot code on background threads.
//   node --import tsx bench/_server-threads.ts [tree] [windows]
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { postOrders } from './post-orders.js';

const root = path.resolve(process.argv[2] ?? '.');
const windows = Number(process.argv[3] ?? 4);
const child = fork(path.join(root, 'bench/serve-child.ts'), ['postgres'], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const ready = await new Promise<{ url: string; token: string }>((resolve) =>
  child.once('message', resolve as never),
);
/** CPU ms so far: the main thread's, and every other thread's together. */
function cpu(): { main: number; other: number } {
  const out = { main: 0, other: 0 };
  for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[tid === String(child.pid) ? 'main' : 'other'] += (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      // A thread that ended meanwhile: its time is gone with it.
    }
  }
  return out;
}
await postOrders(ready.url, { seconds: 2, token: ready.token, keyPrefix: 'warm' });
for (let w = 0; w < windows; w++) {
  const before = cpu();
  const r = await postOrders(ready.url, { seconds: 10, token: ready.token, keyPrefix: `w${w}` });
  const after = cpu();
  const n = r.requests.total;
  process.stdout.write(
    `${JSON.stringify({
      window: w,
      ordersPerSecond: Math.round(r.requests.average),
      mainMs: +((after.main - before.main) / n).toFixed(3),
      otherThreadsMs: +((after.other - before.other) / n).toFixed(3),
    })}\n`,
  );
}
child.send('stop');
await new Promise((resolve) => child.once('exit', resolve));
