// A/B of the `POST /orders` row on Postgres exactly as bench/api.ts measures it (server and
// autocannon in this process), from the tree at <root>; one JSON line. Alternate two trees:
//   node --import tsx bench/_api-ab.ts var/ab-base base; node --import tsx bench/_api-ab.ts . main
import path from 'node:path';
import type * as ApiServer from '../test/support/api-server.js';
import type * as BenchDatabase from './bench-database.js';
import type * as PostOrders from './post-orders.js';

const root = path.resolve(process.argv[2] ?? '.');
const label = process.argv[3] ?? root;
const { startTestServer } = (await import(
  path.join(root, 'test/support/api-server.ts')
)) as typeof ApiServer;
const { createBenchDatabase } = (await import(
  path.join(root, 'bench/bench-database.ts')
)) as typeof BenchDatabase;
const { postOrders } = (await import(path.join(root, 'bench/post-orders.ts'))) as typeof PostOrders;

const db = await createBenchDatabase();
const t = await startTestServer({
  rateLimitPerMinute: 1e9,
  asServed: true,
  env: { DATABASE_URL: db.url },
});
const cpu0 = process.cpuUsage();
const r = await postOrders(t.server.url, { seconds: 10, token: t.token });
const { user, system } = process.cpuUsage(cpu0);
await t.server.close();
await db.drop();
process.stdout.write(
  `${JSON.stringify({ label, ordersPerSecond: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, cpuMsPerRequest: +((user + system) / 1000 / r.requests.total).toFixed(3), non2xx: r.non2xx })}\n`,
);
process.exit(0);
