// Diagnostic for issue 18's tick-to-ack row (not part of `npm run bench`): the OMS node of
// `oms-node.ts` on Postgres, every `pg` query of a tick timed (when it was sent after the tick
// began, how long it took, its kind: the journal's flushed or deferred commit, with or without
// the check of a deferred one, or a flush; and the moments the journal's `commitBatch` was entered,
// its statement handed to kysely, a pool connection asked for and given), the garbage collector's
// pauses in each tick, and the CPU of this process and of the journal's backends a tick. Ticks
// run in blocks of 50, each followed by 50 of each ceiling on a connection of its own, so ticks
// and ceilings share the same minutes of the machine's load:
//   rows3   BEGIN, a one-row insert, COMMIT (bench/ceilings.ts's ceiling)
//   row1    the same insert as one statement, committed on its own (as the journal commits)
//   rowWal  row1 with as much WAL beside it as a tick's statement writes (a WAL message,
//           WAL_PAD bytes, default 3,700)
// Options:
//   split          each journal statement runs as BEGIN, the statement, COMMIT: its execution and
//                  its commit (the flush) timed apart, with the WAL it inserted
//   alone          every other block waits, after each tick, for the acknowledgement's own
//                  deferred commit: that block's statements hold the order's rows alone
//   NO_CEILING=1   ticks only; COMMIT_DELAY=µs: the bench database's commit_delay (with
//                  commit_siblings 0, so that it applies to one writer); DUMP=file: writes the
//                  last flushed statement (text and values) for EXPLAIN (bench/_explain-statement.ts)
// With `perf trace -e fdatasync,pwrite64 -a` beside it, the printed backend pids tell the
// journal's flushes from the ceiling's (docs/benchmarks.md, "Tick-to-ack against its ceiling").
//   node --import tsx bench/_tick-spans.ts [ticks] [split] [alone]
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import pg from 'pg';
import { auditHeadOf } from '../src/store/audit-repository.js';
import { FixedStatement } from '../src/store/fixed-statement.js';
import { openStore } from '../src/store/open-store.js';
import { createBenchDatabase } from './bench-database.js';
import { omsNode } from './oms-node.js';

const ticks = Number(process.argv[2] ?? 2000);
const split = process.argv.includes('split');
const alone = process.argv.includes('alone');
const walPad = Number(process.env.WAL_PAD ?? 3700);

type Span = { kind: string; t0: number; t1: number; exec?: number; commit?: number };
let lastSplit: { exec: number; commit: number } | null = null;
const gcs: { t0: number; t1: number; kind: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    gcs.push({
      t0: e.startTime,
      t1: e.startTime + e.duration,
      kind: (e as unknown as { detail: { kind: number } }).detail.kind,
    });
}).observe({ entryTypes: ['gc'] });
const spans: Span[] = [];
const parts: Record<string, number[]> = { exec: [], commit: [], walBytes: [] };
let recording = false;
const kindOf = (text: string): string => {
  if (!text.startsWith('/* committed statement */')) return text.slice(0, 30);
  if (text.includes('update audit_head set seq = seq')) return 'flush';
  const deferred = text.includes('deferred as');
  const unflushed = /exists \(select 1 from audit_log/.test(text);
  return `commit${deferred ? '-deferred' : '-flushed'}${unflushed ? '+check' : ''}`;
};
// Marks: when a tick's statement is handed to kysely, when a pool connection is asked for and given.
const mark = (kind: string) => {
  if (recording) spans.push({ kind, t0: performance.now(), t1: performance.now() });
};
const execute = FixedStatement.prototype.execute;
FixedStatement.prototype.execute = function (this: FixedStatement<string>, ...a: unknown[]) {
  mark('statement-execute');
  return (execute as (...a: unknown[]) => unknown).apply(this, a);
} as typeof execute;
const connect = pg.Pool.prototype.connect;
pg.Pool.prototype.connect = function (this: pg.Pool, ...a: unknown[]) {
  mark('pool-connect');
  const r = (connect as (...a: unknown[]) => unknown).apply(this, a);
  if (r instanceof Promise) void r.then(() => mark('pool-connected'));
  return r;
} as typeof connect;
const query = pg.Client.prototype.query;
const raw = (c: pg.Client, ...a: unknown[]) =>
  (query as (...a: unknown[]) => Promise<pg.QueryResult>).apply(c, a);
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const a0 = args[0] as string | { text: string };
  const text = typeof a0 === 'string' ? a0 : a0.text;
  let r: unknown;
  if (
    process.env.DUMP &&
    recording &&
    typeof a0 === 'object' &&
    text.startsWith('/* committed statement */') &&
    !text.includes('deferred as')
  )
    (globalThis as { dumped?: unknown }).dumped = a0;
  if (split && typeof a0 === 'object' && text.startsWith('/* committed statement */')) {
    r = (async () => {
      await raw(this, 'begin');
      const l0 = (await raw(this, 'select pg_current_wal_insert_lsn() as l')).rows[0].l as string;
      const e0 = performance.now();
      const out = await raw(this, a0);
      const e1 = performance.now();
      const l1 = (await raw(this, 'select pg_current_wal_insert_lsn() as l')).rows[0].l as string;
      const c0 = performance.now();
      await raw(this, 'commit');
      const c1 = performance.now();
      lastSplit = { exec: e1 - e0, commit: c1 - c0 };
      if (recording) {
        parts.exec!.push(e1 - e0);
        parts.commit!.push(c1 - c0);
        const lsn = (l: string) => {
          const [hi, lo] = l.split('/');
          return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
        };
        parts.walBytes!.push(lsn(l1) - lsn(l0));
      }
      return out;
    })();
  } else r = (query as (...a: unknown[]) => unknown).apply(this, args);
  if (recording && r instanceof Promise) {
    const span: Span = { kind: kindOf(text), t0: performance.now(), t1: Infinity };
    spans.push(span);
    void r.then(
      () => {
        span.t1 = performance.now();
        if (lastSplit) Object.assign(span, lastSplit);
        lastSplit = null;
      },
      () => (span.t1 = performance.now()),
    );
  }
  return r;
} as typeof query;

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const stats = (xs: number[]) =>
  xs.length === 0
    ? null
    : {
        p50: +pct(xs, 50).toFixed(3),
        p90: +pct(xs, 90).toFixed(3),
        p99: +pct(xs, 99).toFixed(3),
      };

const db = await createBenchDatabase();
try {
  // COMMIT_DELAY=µs: the bench database's commit_delay, with commit_siblings 0 so that it applies
  // to a lone writer (a diagnostic: Postgres then sleeps that long before each flush).
  if (process.env.COMMIT_DELAY) {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const name = (await admin.query('select current_database() as d')).rows[0].d as string;
    await admin.query(
      `alter database ${name} set commit_delay = ${Number(process.env.COMMIT_DELAY)}`,
    );
    await admin.query(`alter database ${name} set commit_siblings = 0`);
    await admin.end();
  }
  const store = await openStore({ databaseUrl: db.url });
  const ceiling = new pg.Client({ connectionString: db.url });
  await ceiling.connect();
  await ceiling.query(
    'create table if not exists kairos_ceiling (id bigserial primary key, qty numeric, note text)',
  );
  const timed = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  const ceilings: Record<string, () => Promise<unknown>> = {
    rows3: async () => {
      await raw(ceiling, 'begin');
      await raw(ceiling, "insert into kairos_ceiling (qty, note) values (1.5, 'x')");
      await raw(ceiling, 'commit');
    },
    row1: () => raw(ceiling, "insert into kairos_ceiling (qty, note) values (1.5, 'x')"),
    rowWal: () =>
      raw(
        ceiling,
        `with m as (select pg_logical_emit_message(true, 'k', repeat('x', ${walPad})) as l)
         insert into kairos_ceiling (qty, note) select 1.5, 'x' from m`,
      ),
  };
  const ceilingPid = (await raw(ceiling, 'select pg_backend_pid() as p')).rows[0].p as number;
  const jiffies = (pid: number) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      return 0;
    }
  };
  let journalPids: number[] = [];
  const cpuMs: Record<string, number> = {
    tickNode: 0,
    tickPg: 0,
    rows3Pg: 0,
    row1Pg: 0,
    rowWalPg: 0,
  };
  const n = omsNode(store);
  {
    const repo = n.repo as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const call = repo.commitBatch!.bind(n.repo);
    repo.commitBatch = (...a: unknown[]) => {
      if (recording)
        spans.push({ kind: 'commitBatch-entered', t0: performance.now(), t1: performance.now() });
      return call(...a);
    };
  }
  for (let i = 0; i < 300; i++) await n.tick(100 + (i % 7));
  for (const f of Object.values(ceilings)) for (let i = 0; i < 50; i++) await f();
  journalPids = (
    await raw(
      ceiling,
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    )
  ).rows.map((r) => r.pid as number);
  const pgCpu = () => journalPids.reduce((a, p) => a + jiffies(p), 0);
  const rows: { ms: number; spans: Span[]; t0: number; t1: number }[] = [];
  const rowsAlone: typeof rows = [];
  const ceilingMs: Record<string, number[]> = { rows3: [], row1: [], rowWal: [] };
  for (let b = 0; b < ticks / 50; b++) {
    const c0 = process.cpuUsage();
    const p0 = pgCpu();
    for (let i = 0; i < 50; i++) {
      spans.length = 0;
      recording = true;
      const t0 = performance.now();
      await n.tick(100 + (i % 7));
      const t1 = performance.now();
      recording = false;
      (alone && b % 2 === 1 ? rowsAlone : rows).push({
        t0,
        t1,
        ms: t1 - t0,
        spans: spans.map((s) => ({ ...s, t0: s.t0 - t0, t1: s.t1 - t0 })),
      });
      // `alone`, odd blocks: the acknowledgement's deferred commit ends before the next tick, so
      // the tick's statement holds its own order's rows only.
      if (alone && b % 2 === 1) {
        await new Promise((r) => setImmediate(r));
        await auditHeadOf(store.db).turn;
      }
    }
    await n.journal.committed();
    const c1 = process.cpuUsage(c0);
    cpuMs.tickNode! += (c1.user + c1.system) / 1e3;
    cpuMs.tickPg! += pgCpu() - p0;
    if (!process.env.NO_CEILING)
      for (const [name, f] of Object.entries(ceilings)) {
        const q0 = jiffies(ceilingPid);
        for (let i = 0; i < 50; i++) ceilingMs[name]!.push(await timed(f));
        cpuMs[`${name}Pg`]! += jiffies(ceilingPid) - q0;
      }
  }
  const { sql } = await import('kysely');
  const prepared = (
    await sql<{
      name: string;
      generic_plans: number;
      custom_plans: number;
    }>`select name, generic_plans, custom_plans from pg_prepared_statements`.execute(store.db)
  ).rows;
  const lat = rows.map((r) => r.ms);
  const p99 = pct(lat, 99);
  const summarize = (set: typeof rows) => {
    const kinds = new Map<string, { n: number; ms: number[]; start: number[] }>();
    for (const r of set)
      for (const s of r.spans) {
        let k = kinds.get(s.kind);
        if (!k) kinds.set(s.kind, (k = { n: 0, ms: [], start: [] }));
        k.n++;
        k.ms.push(Math.min(s.t1, r.ms) - s.t0);
        k.start.push(s.t0);
      }
    return Object.fromEntries(
      [...kinds].map(([kind, { n, ms, start }]) => [
        kind,
        { perTick: +(n / set.length).toFixed(3), ms: stats(ms), startsAt: stats(start) },
      ]),
    );
  };
  const slow = rows.filter((r) => r.ms >= p99);
  await new Promise((r) => setImmediate(r));
  const gcIn = (r: { t0: number; t1: number }) => {
    let ms = 0;
    for (const g of gcs) ms += Math.max(0, Math.min(g.t1, r.t1) - Math.max(g.t0, r.t0));
    return ms;
  };
  const gcAll = rows.map(gcIn);
  const gcSlow = slow.map(gcIn);
  process.stdout.write(
    `${JSON.stringify({
      load: os.loadavg().map((x) => +x.toFixed(2)),
      pids: { ceiling: ceilingPid, journal: journalPids },
      split,
      prepared,
      tick: stats(lat),
      tickAlone: stats(rowsAlone.map((r) => r.ms)),
      aloneStatements: summarize(rowsAlone),
      cpuMsEach: Object.fromEntries(
        Object.entries(cpuMs).map(([k, v]) => [k, +(v / rows.length).toFixed(3)]),
      ),
      ceilings: Object.fromEntries(Object.entries(ceilingMs).map(([k, v]) => [k, stats(v)])),
      ...(split
        ? {
            exec: stats(parts.exec!),
            commit: stats(parts.commit!),
            walBytes: stats(parts.walBytes!),
          }
        : {}),
      gc: {
        ticksWithGc: gcAll.filter((x) => x > 0).length,
        slowTicksWithGc: gcSlow.filter((x) => x > 0).length,
        slowTicks: slow.length,
        slowGcMs: gcSlow.map((x) => +x.toFixed(2)),
        slowMs: slow.map((r) => +r.ms.toFixed(2)),
        slowDetail: slow.map((r) => [
          rows.indexOf(r),
          +r.ms.toFixed(2),
          ...r.spans.map(
            (s) =>
              `${s.kind}@${s.t0.toFixed(2)}+${(s.t1 - s.t0).toFixed(2)}${s.exec !== undefined ? ` exec ${s.exec.toFixed(2)} commit ${s.commit!.toFixed(2)}` : ''}`,
          ),
        ]),
      },
      all: summarize(rows),
      slowest1pc: summarize(slow),
    })}\n`,
  );
  if (process.env.DUMP)
    (await import('node:fs')).writeFileSync(
      process.env.DUMP,
      JSON.stringify((globalThis as { dumped?: unknown }).dumped),
    );
  await ceiling.end();
  await store.close();
} finally {
  await db.drop();
}
