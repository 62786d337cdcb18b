// Diagnostic: EXPLAIN (ANALYZE, BUFFERS, WAL) of a tick's journal statement dumped by
// `_tick-spans.ts` (DUMP=file), replayed `n` times on a migrated database, each time in a
// transaction that is rolled back. The dump is the bench's shape (no lease fence, no deferred
// commit to check; a new order, and the previous order's acknowledgement as its changed row):
// before each replay the audit head is set to the one the statement moves from and the changed
// order is stored as it was, so every part of the statement writes. Prints the last plan
// (SHOW=1) and the execution times.
//   node --import tsx bench/_explain-statement.ts dump.json postgres://…/db [n]
import { readFileSync } from 'node:fs';
import pg from 'pg';

const [file, url, count] = process.argv.slice(2);
const dump = JSON.parse(readFileSync(file!, 'utf8')) as { text: string; values: unknown[] };
const n = Number(count ?? 200);
const v = dump.values;
// The slots' places in this shape's values: the head it moves from, the changed orders' JSON.
const [headSeq, headHash, changed] = [v[4], v[5], JSON.parse(v[18] as string)[0] as object];
const c = new pg.Client({ connectionString: url });
await c.connect();
await c.query(`prepare s as ${dump.text}`);
const args = v.map((x) => c.escapeLiteral(String(x))).join(',');
const exec: number[] = [];
let plan = '';
for (let i = 0; i < n; i++) {
  await c.query('begin');
  await c.query('update audit_head set seq = $1, hash = $2 where id = 1', [headSeq, headHash]);
  await c.query(
    'insert into orders select * from json_populate_record(null::orders, $1::json) on conflict do nothing',
    [JSON.stringify({ ...changed, status: 'SUBMITTED', venue_order_id: null })],
  );
  const r = await c.query<{ 'QUERY PLAN': string }>(
    `explain (analyze, buffers, wal, timing ${process.env.TIMING ?? 'off'}) execute s(${args})`,
  );
  plan = r.rows.map((x) => x['QUERY PLAN']).join('\n');
  exec.push(Number(/Execution Time: ([\d.]+)/.exec(plan)![1]));
  await c.query('rollback');
}
await c.end();
exec.sort((a, b) => a - b);
if (process.env.SHOW) process.stdout.write(`${plan}\n`);
const at = (p: number) => exec[Math.min(n - 1, Math.floor(p * n))];
process.stdout.write(`execution time, ms: p10 ${at(0.1)}, p50 ${at(0.5)}, p90 ${at(0.9)}\n`);
