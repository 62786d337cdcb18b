// Issue #3 benchmark: tick-to-order latency (market data in → strategy → risk → OMS commit →
// venue ack on the simulated venue) and sustained persisted orders per second, with PGlite and
// with Postgres, next to the machine's pgbench insert rate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { openStore, type Store } from '../src/store/open-store.js';
import type { OrderRepository } from '../src/store/order-repository.js';
import { createBenchDatabase } from './bench-database.js';
import { databaseCeiling, oneRowCommits } from './ceilings.js';
import { omsNode as node } from './oms-node.js';

const benchDb = await createBenchDatabase();
const URL = benchDb.url;
const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/**
 * Times the journal's own statements (`commitBatch`, `flush`): the intervals each spent waiting
 * for the database, so a tick's database share can be cut out of its latency.
 */
function timeDatabase(repo: OrderRepository): { since(t0: number, t1: number): number } {
  const spans: [number, number][] = [];
  const now = () => performance.now();
  for (const name of ['commitBatch', 'flush'] as const) {
    const call = repo[name].bind(repo) as (...a: unknown[]) => Promise<unknown>;
    (repo as unknown as Record<string, unknown>)[name] = async (...a: unknown[]) => {
      const span: [number, number] = [now(), Infinity];
      spans.push(span);
      try {
        return await call(...a);
      } finally {
        span[1] = now();
      }
    };
  }
  return {
    // The database time overlapping [t0, t1] (the queue runs one statement at a time).
    since(t0, t1) {
      let ms = 0;
      for (const [a, b] of spans) ms += Math.max(0, Math.min(b, t1) - Math.max(a, t0));
      spans.length = 0;
      return ms;
    },
  };
}

/** The garbage collector's pauses on this thread, as [start, end] (ms, `performance.now()`). */
function gcPauses(): { during(t0: number, t1: number): number; stop(): void } {
  const pauses: [number, number][] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push([e.startTime, e.startTime + e.duration]);
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    during: (t0, t1) =>
      pauses.reduce((ms, [a, b]) => ms + Math.max(0, Math.min(b, t1) - Math.max(a, t0)), 0),
    stop: () => observer.disconnect(),
  };
}

/**
 * `ceiling`: a database to time one-row commits on between blocks of ticks (100 commits after
 * every 100 ticks), so the ceiling shares the ticks' minutes, not a later, quieter or busier one.
 */
async function measure(label: string, store: Store, ceiling?: string) {
  const n = node(store);
  for (let i = 0; i < 200; i++) await n.tick(100 + (i % 7));
  const db = timeDatabase(n.repo);
  db.since(0, 0);
  const rows = ceiling ? await oneRowCommits(ceiling) : null;
  const gc = gcPauses();
  const lat: number[] = [];
  const dbLat: number[] = [];
  const ticks: [number, number][] = [];
  const beside: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = performance.now();
    await n.tick(100 + (i % 7));
    const t1 = performance.now();
    lat.push(t1 - t0);
    dbLat.push(db.since(t0, t1));
    ticks.push([t0, t1]);
    if (rows && i % 100 === 99) {
      // The last acknowledgement's deferred commit made durable first, outside any tick.
      await n.journal.committed();
      for (let k = 0; k < 100; k++) {
        const c0 = performance.now();
        await rows.commit();
        beside.push(performance.now() - c0);
      }
    }
  }
  await new Promise((r) => setImmediate(r)); // the observer's last entries
  gc.stop();
  await rows?.close();
  const gcTicks = ticks.filter(([a, b]) => gc.during(a, b) > 0).length;
  beside.sort((a, b) => a - b);
  lat.sort((a, b) => a - b);
  dbLat.sort((a, b) => a - b);
  const count = 5000;
  const t0 = process.hrtime.bigint();
  const all: Promise<void>[] = [];
  for (let i = 0; i < count; i++) all.push(n.tick(100 + (i % 7)));
  await Promise.all(all);
  await n.journal.committed();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = {
    store: label,
    p50Ms: +pct(lat, 50).toFixed(3),
    p99Ms: +pct(lat, 99).toFixed(3),
    // The ceiling beside it, measured in the same ticks: the part each spent in the journal's
    // statements (its write-before-send commit, the previous ack's deferred one, a flush).
    databaseP50Ms: +pct(dbLat, 50).toFixed(3),
    databaseP99Ms: +pct(dbLat, 99).toFixed(3),
    ordersPerSecond: Math.round(count / secs),
    // Ticks that met a pause of this process's garbage collector.
    ticksWithGcPause: gcTicks,
    ...(beside.length > 0
      ? {
          // One flushed one-row commit, measured between the blocks of these ticks.
          ceilingBesideP50Ms: +pct(beside, 50).toFixed(3),
          ceilingBesideP99Ms: +pct(beside, 99).toFixed(3),
        }
      : {}),
  };
  process.stdout.write(
    `${label}: tick-to-ack p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms; sustained ${r.ordersPerSecond} persisted orders/s\n` +
      `  of which the journal's statements (the same ticks): p50 ${r.databaseP50Ms} ms, p99 ${r.databaseP99Ms} ms; ${gcTicks} of ${lat.length} ticks met a GC pause\n` +
      (beside.length > 0
        ? `  ceiling in the same minutes (100 one-row commits after every 100 ticks): p50 ${r.ceilingBesideP50Ms} ms, p99 ${r.ceilingBesideP99Ms} ms\n`
        : ''),
  );
  return r;
}

function pgbenchInsertRate(): number | null {
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgb-'));
    const script = path.join(dir, 'insert.sql');
    writeFileSync(
      script,
      "insert into kairos_pgbench (id, qty, note) values (default, 1.5, 'x');\n",
    );
    execFileSync('psql', [
      URL,
      '-q',
      '-c',
      'create table if not exists kairos_pgbench (id bigserial primary key, qty numeric, note text)',
    ]);
    const out = execFileSync('pgbench', ['-n', '-T', '5', '-c', '1', '-f', script, URL], {
      encoding: 'utf8',
    });
    execFileSync('psql', [URL, '-q', '-c', 'drop table kairos_pgbench']);
    const m = /tps = ([\d.]+)/.exec(out);
    return m ? Math.round(Number(m[1])) : null;
  } catch {
    return null;
  }
}

const results = [];
let pgbench: number | null | undefined;
let ceiling: Awaited<ReturnType<typeof databaseCeiling>> | undefined;
try {
  const lite = await openStore();
  results.push(await measure('PGlite (in memory)', lite));
  await lite.close();
  const pgStore = await openStore({ databaseUrl: URL });
  results.push(await measure('Postgres 15 (local)', pgStore, URL));
  await pgStore.close();
  ceiling = await databaseCeiling(URL);
  pgbench = pgbenchInsertRate();
} finally {
  await benchDb.drop();
}
process.stdout.write(`pgbench single-row insert rate (1 client, 5 s): ${pgbench ?? 'n/a'} tps\n`);
export const omsResults = { results, pgbenchInsertTps: pgbench, databaseCeiling: ceiling };
