// The order journal's CPU in this process a `POST /orders`-like order, for one source tree:
// batches of `size` orders (initialized and submitted, flushed), then their acceptances (one
// batch, deferred), through `OrderRepository.commitBatch` on a Postgres database of its own. Run
// it on two trees alternately (a tree under this one resolves the same node_modules):
//   for r in 1 2 3; do node --import tsx bench/_journal-cpu.ts var/ab-base main;
//     node --import tsx bench/_journal-cpu.ts . branch; done
import path from 'node:path';
import type * as Stores from '../src/store/open-store.js';
import type * as Orders from '../src/store/order-repository.js';
import { createBenchDatabase } from './bench-database.js';
import { journalBatch } from './journal-batches.js';

const root = path.resolve(process.argv[2] ?? '.');
const label = process.argv[3] ?? root;
const [size = 23, batches = 400] = process.argv.slice(4).map(Number);
const load = async <T>(p: string) => (await import(path.join(root, p))) as T;
const { openStore } = await load<typeof Stores>('src/store/open-store.ts');
const { OrderRepository } = await load<typeof Orders>('src/store/order-repository.ts');

const db = await createBenchDatabase();
const store = await openStore({ databaseUrl: db.url });
const repo = new OrderRepository(store.db, 'acct');
const run = async (k: number) => {
  for (let b = 0; b < k; b++) {
    const { placed, accepted } = journalBatch(size);
    await repo.commitBatch(placed, 'flushed');
    await repo.commitBatch(accepted, 'deferred');
  }
};
await run(50); // warm-up: the head known, the statements made, the JIT warm
const t = process.cpuUsage();
await run(batches);
const u = process.cpuUsage(t);
await store.close();
await db.drop();
process.stdout.write(
  `${JSON.stringify({ label, size, usPerOrder: +((u.user + u.system) / (batches * size)).toFixed(2), sysPerOrder: +(u.system / (batches * size)).toFixed(2) })}\n`,
);
