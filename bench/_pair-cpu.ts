// Two trees' servers at the same time (each as served, Postgres, in its own process), each under
// the same fixed offered rate: the CPU a `POST /orders` of each, and B's over A's in the same
// round. On a loaded machine a run of one tree moves with the load by 2x and more; two servers
// measured side by side share it (docs/benchmarks.md, "The API's own share of a request").
//   node --import tsx bench/_pair-cpu.ts var/ab-base var/ab-br [rate/s] [seconds] [rounds] [warm-up s]
// A server's first tens of seconds under load are V8 compiling its hot code on background threads
// (counted in its CPU): a warm-up of 20 s or more leaves the code's own cost (docs/benchmarks.md).
import path from 'node:path';
import autocannon from 'autocannon';
import type * as Served from './served.js';
import { BENCH_ORDER } from './post-orders.js';

const [a = 'var/ab-base', b = '.', ...rest] = process.argv.slice(2);
const [rate = 150, seconds = 12, rounds = 5, warm = 2] = rest.map(Number);
const roots = [a, b].map((r) => path.resolve(r));

/** `seconds` of orders at `rate` a second on 20 connections, each with a fresh key. */
function load(url: string, token: string, secs: number, prefix: string) {
  let n = 0;
  return autocannon({
    url: `${url}/orders`,
    connections: 20,
    duration: secs,
    method: 'POST',
    overallRate: rate,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(BENCH_ORDER),
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          headers: { ...req.headers, 'idempotency-key': `${prefix}-${++n}` },
        }),
      },
    ],
  });
}

for (let round = 1; round <= rounds; round++) {
  const served: Served.Served[] = [];
  for (const root of roots) {
    const { serveInChild } = (await import(path.join(root, 'bench/served.ts'))) as typeof Served;
    served.push(await serveInChild('postgres'));
  }
  await Promise.all(served.map((s, i) => load(s.url, s.token!, warm, `warm${i}`)));
  const before = served.map((s) => s.cpuMs());
  const runs = await Promise.all(served.map((s, i) => load(s.url, s.token!, seconds, `run${i}`)));
  const per = served.map((s, i) => (s.cpuMs() - before[i]!) / runs[i]!.requests.total);
  await Promise.all(served.map((s) => s.stop()));
  process.stdout.write(
    `${JSON.stringify({
      round,
      aMs: +per[0]!.toFixed(3),
      bMs: +per[1]!.toFixed(3),
      bOverA: +(per[1]! / per[0]!).toFixed(3),
      ordersPerSecond: runs.map((r) => Math.round(r.requests.average)),
      p99Ms: runs.map((r) => r.latency.p99),
      non2xx: runs.map((r) => r.non2xx),
    })}\n`,
  );
}
