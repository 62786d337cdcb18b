// The server's own CPU per `POST /orders`: the benchmark's server (as served, Postgres) in a
// child process, autocannon in this one. Run it in two worktrees one after the other, several
// rounds, to compare them (docs/benchmarks.md, "Less CPU a request").
// `node --import tsx bench/_server-cpu.ts [seconds]`; `--cpu-prof` after `node` profiles this
// process, SERVER_NODE_OPTIONS='--cpu-prof' the server.
import os from 'node:os';
import { postOrders } from './post-orders.js';
import { serveInChild } from './served.js';

const seconds = Number(process.argv[2] ?? 10);
const server = await serveInChild(
  'postgres',
  (process.env.SERVER_NODE_OPTIONS ?? '').split(' ').filter(Boolean),
);
await postOrders(server.url, { seconds: 2, token: server.token, keyPrefix: 'warm' });
const before = server.cpuMs();
const r = await postOrders(server.url, { seconds, token: server.token, keyPrefix: 'run' });
const used = server.cpuMs() - before;
await server.stop();
process.stdout.write(
  `server CPU ${(used / r.requests.total).toFixed(3)} ms/request, ${Math.round(r.requests.average)} orders/s, ` +
    `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, load average ${os.loadavg()[0]!.toFixed(2)}\n`,
);
