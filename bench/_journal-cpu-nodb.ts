// The order journal's own CPU (building a batch's statement and its values, as
// `OrderRepository.commitBatch` does) without a database: a kysely dialect whose driver answers
// every committed statement "moved" at once, so only this process's work is timed (no socket, no
// pg). Batches as `_journal-cpu.ts` makes them; run it on two trees alternately:
//   for r in 1 2 3; do node --import tsx bench/_journal-cpu-nodb.ts var/ab-base main 23;
//     node --import tsx bench/_journal-cpu-nodb.ts . branch 23; done
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
import type * as Builders from '../test/support/builders.js';
import type * as Apply from '../src/trading/model/apply-order-event.js';
import type * as Money from '../src/trading/core/money.js';
import type { OrderEvent } from '../src/trading/model/order-events.js';

const root = path.resolve(process.argv[2] ?? '.');
const label = process.argv[3] ?? root;
const [size = 23, batches = 4000] = process.argv.slice(4).map(Number);
const load = async <T>(p: string) => (await import(path.join(root, p))) as T;
const { OrderRepository } = await load<typeof Orders>('src/store/order-repository.ts');
const { auditHeadOf } = await load<typeof Audit>('src/store/audit-repository.ts');
const { newOrder } = await load<typeof Builders>('test/support/builders.ts');
const { applyOrderEvent } = await load<typeof Apply>('src/trading/model/apply-order-event.ts');
const { price } = await load<typeof Money>('src/trading/core/money.ts');

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
const db = new Kysely<never>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => driver,
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});
auditHeadOf(db as never).value = { seq: 1, wallTs: 0, hash: '0'.repeat(64) };
const repo = new OrderRepository(db as never, 'acct');
let n = 0;
function batch() {
  const placed: { after: ReturnType<typeof newOrder>; event: OrderEvent }[] = [];
  const accepted: typeof placed = [];
  for (let i = 0; i < size; i++) {
    const id = `api-u1-${++n}`;
    const o = newOrder(
      { accountId: 'acct', strategyId: 'user:u1', type: 'LIMIT', price: price('100.5') },
      id,
    );
    const ref = {
      clientOrderId: id,
      accountId: 'acct',
      strategyId: 'user:u1',
      instrumentId: o.instrumentId,
    };
    const sub: OrderEvent = { kind: 'OrderSubmitted', ...ref, ts: n };
    const s = applyOrderEvent(o, sub);
    const acc: OrderEvent = { kind: 'OrderAccepted', ...ref, ts: n, venueOrderId: `V${n}` };
    placed.push({ after: o, event: { kind: 'OrderInitialized', ...ref, ts: n, order: o } });
    placed.push({ after: s, event: sub });
    accepted.push({ after: applyOrderEvent(s, acc), event: acc });
  }
  return { placed, accepted };
}
const made = Array.from({ length: 200 }, batch);
const run = async (k: number) => {
  for (let b = 0; b < k; b++) {
    const { placed, accepted } = made[b % made.length]!;
    await repo.commitBatch(placed, 'flushed');
    await repo.commitBatch(accepted, 'flushed');
  }
};
await run(Math.max(500, batches / 4)); // the JIT warm
const t = process.cpuUsage();
await run(batches);
const u = process.cpuUsage(t);
process.stdout.write(
  `${JSON.stringify({ label, size, usPerOrder: +((u.user + u.system) / (batches * size)).toFixed(2) })}\n`,
);
