// A/B of the OMS row (issue #18) on Postgres: the benchmark's own node (`oms-node.ts`) from the
// source tree at <root>, 2,000 ticks one at a time then 5,000 orders at once, printing one JSON
// line with the latency, the sustained rate, the `pg` queries per tick and the CPU of this
// process and of its Postgres backends. Run it alternately on two trees, in fresh processes:
//   git archive main src bench | tar -x -C var/ab-base
//   for r in 1 2 3; do node --import tsx bench/oms-ab.ts var/ab-base main;
//     node --import tsx bench/oms-ab.ts . branch; done
// (a tree under this one, so it resolves the same node_modules).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type * as OpenStore from '../src/store/open-store.js';
import type * as BenchDatabase from './bench-database.js';
import type * as OmsNode from './oms-node.js';

const root = path.resolve(process.argv[2] ?? '.');
const label = process.argv[3] ?? root;
const { openStore } = (await import(
  path.join(root, 'src/store/open-store.ts')
)) as typeof OpenStore;
const { omsNode } = (await import(path.join(root, 'bench/oms-node.ts'))) as typeof OmsNode;
const { createBenchDatabase } = (await import(
  path.join(root, 'bench/bench-database.ts')
)) as typeof BenchDatabase;

let queries = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  queries++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** CPU seconds so far of the Postgres backends serving `url`'s database (Linux, same host). */
async function backendCpu(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
  );
  await c.end();
  let seconds = 0;
  for (const { pid } of rows) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      seconds += (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // Not on this host, or gone: counted as nothing.
    }
  }
  return seconds;
}

/**
 * The server's WAL flushes so far (`pg_stat_wal.wal_sync`, every database's: other work on the
 * server counts too, so read it as an upper bound).
 */
async function walSyncs(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query<{ n: string }>('select wal_sync::text as n from pg_stat_wal');
  await c.end();
  return Number(rows[0]?.n ?? 0);
}

const cpu = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

const db = await createBenchDatabase();
try {
  const store = await openStore({ databaseUrl: db.url });
  const n = omsNode(store);
  for (let i = 0; i < 200; i++) await n.tick(100 + (i % 7));
  const ticks = 2000;
  const lat: number[] = [];
  let q0 = queries;
  let c0 = process.cpuUsage();
  let b0 = await backendCpu(db.url);
  const w0 = await walSyncs(db.url);
  for (let i = 0; i < ticks; i++) {
    const t0 = process.hrtime.bigint();
    await n.tick(100 + (i % 7));
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const tick = {
    queries: (queries - q0) / ticks,
    nodeCpuMs: (cpu(c0) * 1e3) / ticks,
    pgCpuMs: (((await backendCpu(db.url)) - b0) * 1e3) / ticks,
    walSyncs: ((await walSyncs(db.url)) - w0) / ticks,
  };
  lat.sort((a, b) => a - b);
  await n.journal.committed();
  const count = 5000;
  q0 = queries;
  c0 = process.cpuUsage();
  b0 = await backendCpu(db.url);
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: count }, (_, i) => n.tick(100 + (i % 7))));
  await n.journal.committed();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = {
    label,
    p50Ms: +pct(lat, 50).toFixed(3),
    p99Ms: +pct(lat, 99).toFixed(3),
    queriesPerTick: +tick.queries.toFixed(2),
    walSyncsPerTick: +tick.walSyncs.toFixed(2),
    nodeCpuMsPerTick: +tick.nodeCpuMs.toFixed(3),
    pgCpuMsPerTick: +tick.pgCpuMs.toFixed(3),
    ordersPerSecond: Math.round(count / secs),
    burstQueries: queries - q0,
    burstNodeCpuS: +cpu(c0).toFixed(2),
    burstPgCpuS: +((await backendCpu(db.url)) - b0).toFixed(2),
    load1: +os.loadavg()[0]!.toFixed(1),
  };
  process.stdout.write(`${JSON.stringify(r)}\n`);
  await store.close();
} finally {
  await db.drop();
}
