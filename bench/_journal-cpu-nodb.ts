// The order journal's own CPU an order (building a batch's statement and its values, as
// `OrderRepository.commitBatch` does) without a database, two source trees in one process, in
// turns (A B A B …): a kysely dialect whose driver answers every statement "moved" at once, so
// only this process's work is timed (no socket, no pg, no Postgres). Each batch: `size` orders
// initialized and submitted, then their acceptances (two statements, as `POST /orders` makes).
//   node --import tsx bench/_journal-cpu-nodb.ts var/ab-base var/ab-br [size] [rounds]
import path from 'node:path';
import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Driver,
} from 'kysely';
import type * as Audit from '../src/store/audit-repository.js';
import type * as Orders from '../src/store/order-repository.js';
import { journalBatch } from './journal-batches.js';

const [a = 'var/ab-base', b = '.', ...rest] = process.argv.slice(2);
const [size = 5, rounds = 6] = rest.map(Number);
const BATCHES = 2_000;

const connection: DatabaseConnection = {
  executeQuery: <R>() => Promise.resolve({ rows: [{ fenced: 1, moved: 1 } as R] }),
  streamQuery: () => {
    throw new Error('not streamed');
  },
};
const driver: Driver = {
  init: async () => undefined,
  acquireConnection: async () => connection,
  beginTransaction: async () => undefined,
  commitTransaction: async () => undefined,
  rollbackTransaction: async () => undefined,
  releaseConnection: async () => undefined,
  destroy: async () => undefined,
};
const makeDb = () =>
  new Kysely<never>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
/** A tree's journal on a database of its own that knows the audit head (one statement a batch). */
async function journalOf(root: string): Promise<Orders.OrderRepository> {
  const load = async <T>(p: string) => (await import(path.resolve(root, p))) as T;
  const { OrderRepository } = await load<typeof Orders>('src/store/order-repository.ts');
  const { auditHeadOf } = await load<typeof Audit>('src/store/audit-repository.ts');
  const db = makeDb();
  auditHeadOf(db as never).value = { seq: 1, wallTs: 0, hash: '0'.repeat(64) };
  return new OrderRepository(db as never, 'acct');
}
const journals = [await journalOf(a), await journalOf(b)];
const made = Array.from({ length: 200 }, () => journalBatch(size));
const run = async (repo: Orders.OrderRepository, k: number) => {
  for (let i = 0; i < k; i++) {
    const { placed, accepted } = made[i % made.length]!;
    await repo.commitBatch(placed, 'flushed');
    await repo.commitBatch(accepted, 'flushed');
  }
};
for (const j of journals) await run(j, BATCHES); // the JIT warm
const us: [number[], number[]] = [[], []];
for (let r = 0; r < rounds; r++) {
  for (const i of [0, 1] as const) {
    const t = process.cpuUsage();
    await run(journals[i]!, BATCHES);
    const u = process.cpuUsage(t);
    us[i].push(+((u.user + u.system) / (BATCHES * size)).toFixed(2));
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : +((s[m - 1]! + s[m]!) / 2).toFixed(2);
};
process.stdout.write(
  `${JSON.stringify({ size, aUsPerOrder: us[0], bUsPerOrder: us[1], medians: [median(us[0]), median(us[1])] })}\n`,
);
