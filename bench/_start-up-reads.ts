// Start-up's reads of `orders` on an account with many stored orders: the four reads
// `TradingCore.open` made before `OrderStore.restorable` (`openOrders`, `ordersSince`,
// `lastUpdatedAt`, `ordersClosedSince`, written out here as they were) against the one statement,
// for a node (snapshot time given) and a server account's core (window at the latest update), on
// PGlite (a temp folder) and Postgres (a database of its own). Rounds interleaved, wall ms (the
// database's work is in its own process for Postgres), median and range:
//   node --import tsx bench/_start-up-reads.ts [orders=50000] [rounds=15]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../src/store/open-store.js';
import { OrderRepository } from '../src/store/order-repository.js';
import type { OrdersTable } from '../src/store/schema.js';
import { restoreQuery } from '../src/trading/live/trading-core.js';
import { createBenchDatabase } from './bench-database.js';

const [orders = 50_000, rounds = 15] = process.argv.slice(2).map(Number);
const ACCOUNT = 'acct';
const MINUTE = 60_000;
const WINDOW = 10 * MINUTE;
const TERMINAL = ['DENIED', 'REJECTED', 'FILLED', 'CANCELED', 'EXPIRED'];

/** An order a minute for `orders` minutes: 20 open at the end, the rest filled or canceled. */
function rows(): OrdersTable[] {
  const out: OrdersTable[] = [];
  for (let i = 0; i < orders; i++) {
    const created = i * MINUTE;
    out.push({
      client_order_id: `sma-${String(i).padStart(8, '0')}`,
      account_id: ACCOUNT,
      strategy_id: 'sma',
      instrument_id: 'BTC/USDT',
      side: i % 2 ? 'SELL' : 'BUY',
      type: 'LIMIT',
      time_in_force: 'GTC',
      quantity: '0.01',
      price: '30000.5',
      trigger_price: null,
      post_only: false,
      reduce_only: false,
      status: i >= orders - 20 ? 'ACCEPTED' : i % 3 ? 'FILLED' : 'CANCELED',
      venue_order_id: String(1_000_000 + i),
      filled_quantity: i % 3 ? '0.01' : '0',
      filled_notional: i % 3 ? '300.005' : '0',
      reason: null,
      tag: 'bench',
      created_at: created,
      updated_at: created + 1_000,
    });
  }
  return out;
}

/** The four reads as `TradingCore.open` made them before (one statement each). */
async function fourReads(db: Store['db'], since: number | null, now: number): Promise<number> {
  const all = db.selectFrom('orders').selectAll().where('account_id', '=', ACCOUNT);
  const open = await all
    .where('status', 'not in', [...TERMINAL, 'INITIALIZED'])
    .orderBy('created_at')
    .orderBy('client_order_id')
    .execute();
  const made =
    since !== null
      ? await all
          .where('created_at', '>=', since)
          .orderBy('created_at')
          .orderBy('client_order_id')
          .execute()
      : [];
  let end = since;
  if (end === null) {
    const row = await db
      .selectFrom('orders')
      .select((eb) => eb.fn.max('updated_at').as('last'))
      .where('account_id', '=', ACCOUNT)
      .executeTakeFirst();
    end = row?.last == null ? null : Number(row.last);
  }
  const closed =
    end !== null
      ? await all
          .where('status', 'in', TERMINAL)
          .where('updated_at', '>=', Math.max(now, end) - WINDOW)
          .orderBy('created_at')
          .orderBy('client_order_id')
          .execute()
      : [];
  return open.length + made.length + closed.length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) =>
  `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;

async function measure(dialect: string, store: Store): Promise<void> {
  const data = rows();
  for (let i = 0; i < data.length; i += 2_000)
    await store.db
      .insertInto('orders')
      .values(data.slice(i, i + 2_000))
      .execute();
  const repo = new OrderRepository(store.db, ACCOUNT);
  const last = (orders - 1) * MINUTE + 1_000;
  // A node restarting 30 orders back from its last snapshot; a server core whose clock starts anew.
  const cases = [
    { name: 'node (snapshot)', since: last - 30 * MINUTE, restoreClosed: false, now: last },
    { name: 'server account', since: null, restoreClosed: true, now: 0 },
  ];
  for (const c of cases) {
    const q = restoreQuery(c.since, c.restoreClosed, c.now, WINDOW);
    const before: number[] = [];
    const after: number[] = [];
    const one = async () => (await repo.restorable(q)).open.length;
    await fourReads(store.db, c.since, c.now); // warm: pages cached, plans made
    await one();
    for (let r = 0; r < rounds; r++) {
      let t = performance.now();
      await fourReads(store.db, c.since, c.now);
      before.push(performance.now() - t);
      t = performance.now();
      await one();
      after.push(performance.now() - t);
    }
    process.stdout.write(
      `${dialect}, ${orders} orders, ${c.name}: four reads ${fmt(before)} ms, one statement ${fmt(after)} ms, ` +
        `ratio ${(median(after) / median(before)).toFixed(2)}\n`,
    );
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-start-up-reads-'));
try {
  const lite = await openStore({ dataDir: path.join(dir, 'db') });
  try {
    await measure('PGlite', lite);
  } finally {
    await lite.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const db = await createBenchDatabase();
try {
  const pgStore = await openStore({ databaseUrl: db.url });
  try {
    await measure('Postgres', pgStore);
  } finally {
    await pgStore.close();
  }
} finally {
  await db.drop();
}
