// A/B of `POST /orders` on the served Postgres server of the source tree at <root>: the server's
// CPU a request, every `postgres` process's (`postgresCpu`: other work on the machine counts too)
// and its own database's backends' alone, from /proc. One JSON line; run it alternately on two
// trees, in fresh processes (a tree under this one, so it resolves the same node_modules):
//   git archive main src bench test/support test/fixtures examples | tar -x -C var/ab-base
//   for r in 1 2 3 4 5; do node --import tsx bench/_served-ab.ts var/ab-base main;
//     node --import tsx bench/_served-ab.ts . branch; done
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type * as PostOrders from './post-orders.js';
import type * as Served from './served.js';

const root = path.resolve(process.argv[2] ?? '.');
const label = process.argv[3] ?? root;
const seconds = Number(process.argv[4] ?? 10);
/** Seconds of load before the measured ones (V8 compiles the hot code meanwhile: `_pair-cpu.ts`). */
const warm = Number(process.argv[5] ?? 2);
const { postOrders } = (await import(path.join(root, 'bench/post-orders.ts'))) as typeof PostOrders;
const { serveInChild, postgresCpu } = (await import(
  path.join(root, 'bench/served.ts')
)) as typeof Served;

const server0 = process.env.KAIROS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new URL(server0);
admin.pathname = '/postgres';
async function rows<T>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    return (await c.query(text, values)).rows as T[];
  } finally {
    await c.end();
  }
}
const databases = async () =>
  new Set(
    (await rows<{ datname: string }>('select datname from pg_database')).map((r) => r.datname),
  );

// The server's database: the one bench database that appeared while it started.
const before = await databases();
// SERVER_NODE_OPTIONS: flags for the server's process alone (e.g. '--max-semi-space-size=64').
const server = await serveInChild(
  'postgres',
  (process.env.SERVER_NODE_OPTIONS ?? '').split(' ').filter(Boolean),
);
const mine = [...(await databases())].filter(
  (d) => !before.has(d) && d.startsWith('kairos_bench_'),
);
if (mine.length !== 1) throw new Error(`not one new bench database: ${mine.join(', ')}`);
/** CPU ms so far of the backends connected to the server's database. */
async function backendMs(): Promise<number> {
  let ms = 0;
  const pids = await rows<{ pid: number }>(
    'select pid from pg_stat_activity where datname = $1',
    mine,
  );
  for (const { pid } of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ms += (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      // Gone: counted as nothing.
    }
  }
  return ms;
}

await postOrders(server.url, { seconds: warm, token: server.token, keyPrefix: 'warm' });
const serverMs0 = server.cpuMs();
const everyPostgres = postgresCpu();
const backendMs0 = await backendMs();
const r = await postOrders(server.url, { seconds, token: server.token, keyPrefix: 'run' });
const postgresMs = everyPostgres.since();
const ownBackendsMs = (await backendMs()) - backendMs0;
const serverMs = server.cpuMs() - serverMs0;
await server.stop();
const n = r.requests.total;
process.stdout.write(
  `${JSON.stringify({
    label,
    serverMsPerRequest: +(serverMs / n).toFixed(3),
    postgresMsPerRequest: +(postgresMs / n).toFixed(3),
    ownBackendsMsPerRequest: +(ownBackendsMs / n).toFixed(3),
    requestsPerSecond: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    load1: +os.loadavg()[0]!.toFixed(1),
  })}\n`,
);
