// A/B of the `POST /orders` row on Postgres exactly as bench/api.ts measures it (server and
// autocannon in this process), from the tree at <root>; one JSON line. Alternate two trees:
//   node --import tsx bench/_api-ab.ts var/ab-base base; node --import tsx bench/_api-ab.ts . main
// With `alloc` after the label: bytes allocated a request instead (V8's sampling heap profiler,
// the objects the garbage collector freed counted too; 6 s after a 2 s warm-up; the profiler
// costs CPU, so a run measures one or the other).
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { loadTree } from './_ab-tree.js';

const root = path.resolve(process.argv[2] ?? '.');
const label = process.argv[3] ?? root;
const alloc = process.argv[4] === 'alloc';
const { startTestServer, createBenchDatabase, postOrders } = await loadTree(root);

type HeapNode = { selfSize: number; children: HeapNode[] };
const bytes = (n: HeapNode): number => n.children.reduce((s, c) => s + bytes(c), n.selfSize);

const db = await createBenchDatabase();
const t = await startTestServer({
  rateLimitPerMinute: 1e9,
  asServed: true,
  env: { DATABASE_URL: db.url },
});
if (alloc) {
  await postOrders(t.server.url, { seconds: 2, token: t.token, keyPrefix: 'warm' });
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const r = await postOrders(t.server.url, { seconds: 6, token: t.token });
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
    profile: { head: HeapNode };
  };
  session.disconnect();
  process.stdout.write(
    `${JSON.stringify({ label, requests: r.requests.total, kbPerRequest: +(bytes(profile.head) / 1024 / r.requests.total).toFixed(1), non2xx: r.non2xx })}\n`,
  );
} else {
  const cpu0 = process.cpuUsage();
  const r = await postOrders(t.server.url, { seconds: 10, token: t.token });
  const { user, system } = process.cpuUsage(cpu0);
  process.stdout.write(
    `${JSON.stringify({ label, ordersPerSecond: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, cpuMsPerRequest: +((user + system) / 1000 / r.requests.total).toFixed(3), non2xx: r.non2xx })}\n`,
  );
}
await t.server.close();
await db.drop();
process.exit(0);
