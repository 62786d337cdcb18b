import fc from 'fast-check';
import { OrderRepository } from '../../../src/store/order-repository.js';
import type { OrdersTable } from '../../../src/store/schema.js';
import type { RestorableOrders } from '../../../src/trading/execution/order-store.js';
import { restoreQuery } from '../../../src/trading/live/trading-core.js';
import type { OrderStatus } from '../../../src/trading/model/order-types.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

const STATUSES: readonly OrderStatus[] = [
  'INITIALIZED',
  'DENIED',
  'SUBMITTED',
  'ACCEPTED',
  'REJECTED',
  'PARTIALLY_FILLED',
  'FILLED',
  'PENDING_CANCEL',
  'UNKNOWN',
  'CANCELED',
  'EXPIRED',
];
const TERMINAL = new Set(['DENIED', 'REJECTED', 'FILLED', 'CANCELED', 'EXPIRED']);

interface Row {
  readonly id: string;
  readonly status: OrderStatus;
  readonly createdAt: number;
  readonly updatedAt: number;
}

const row = (account: string, r: Row): OrdersTable => ({
  client_order_id: r.id,
  account_id: account,
  strategy_id: 's',
  instrument_id: 'TEST/USD',
  side: 'BUY',
  type: 'LIMIT',
  time_in_force: 'GTC',
  quantity: '1',
  price: '100',
  trigger_price: null,
  post_only: false,
  reduce_only: false,
  status: r.status,
  venue_order_id: null,
  filled_quantity: '0',
  filled_notional: '0',
  reason: null,
  tag: null,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
});

/**
 * The four reads `TradingCore.open` made before `restorable` (`openOrders`, `ordersSince`,
 * `lastUpdatedAt`, `ordersClosedSince`, each by creation time and id) and how it combined them.
 */
function fourReads(
  rows: readonly Row[],
  since: number | null,
  restoreClosed: boolean,
  now: number,
  ms: number,
): { open: string[]; made: string[]; closed: string[] } {
  const sorted = [...rows].sort((a, b) =>
    a.createdAt !== b.createdAt ? a.createdAt - b.createdAt : a.id < b.id ? -1 : 1,
  );
  const ids = (keep: (r: Row) => boolean) => sorted.filter(keep).map((r) => r.id);
  const open = ids((r) => !TERMINAL.has(r.status) && r.status !== 'INITIALIZED');
  const made = since !== null ? ids((r) => r.createdAt >= since) : [];
  const lastUpdatedAt = rows.length === 0 ? null : Math.max(...rows.map((r) => r.updatedAt));
  const windowEnd = since !== null ? since : restoreClosed ? lastUpdatedAt : null;
  const closed =
    windowEnd !== null
      ? ids((r) => TERMINAL.has(r.status) && r.updatedAt >= Math.max(now, windowEnd) - ms)
      : [];
  return { open, made, closed };
}

const idsOf = (r: RestorableOrders) => ({
  open: r.open.map((o) => o.clientOrderId),
  made: r.made.map((o) => o.clientOrderId),
  closed: r.closed.map((o) => o.clientOrderId),
});

// Small time ranges, so ties and the window's edges are met often.
const rowsArb = (prefix: string) =>
  fc
    .array(
      fc.record({
        status: fc.constantFrom(...STATUSES),
        createdAt: fc.integer({ min: 0, max: 60 }),
        age: fc.integer({ min: 0, max: 60 }),
        // Ids that sort alike in JavaScript and in the database's collation.
        n: fc.integer({ min: 0, max: 999 }),
      }),
      { maxLength: 25 },
    )
    .map((xs) =>
      xs.map((x, i): Row => ({
        id: `${prefix}-${String(x.n).padStart(3, '0')}-${String(i).padStart(2, '0')}`,
        status: x.status,
        createdAt: x.createdAt,
        updatedAt: x.createdAt + x.age,
      })),
    );

describe.each(DIALECTS)('restorable orders on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store.drop();
  });

  it('reads in one statement exactly what the four start-up reads gave', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        rowsArb('a'),
        // Another account's orders, updated later too: never read, never the window's end.
        rowsArb('b').map((rs) => rs.map((r) => ({ ...r, updatedAt: r.updatedAt + 50 }))),
        fc.option(fc.integer({ min: -5, max: 130 }), { nil: null }),
        fc.boolean(),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 80 }),
        async (mine, theirs, since, restoreClosed, now, ms) => {
          const account = `acct-${++run}`;
          const other = `other-${run}`;
          const own = (rs: readonly Row[], who: string) =>
            rs.map((r) => ({ ...r, id: `${who}-${r.id}` }));
          const rows = own(mine, account);
          const all = [
            ...rows.map((r) => row(account, r)),
            ...own(theirs, other).map((r) => row(other, r)),
          ];
          if (all.length > 0) await store.db.insertInto('orders').values(all).execute();
          const repo = new OrderRepository(store.db, account);
          const got = await repo.restorable(restoreQuery(since, restoreClosed, now, ms));
          expect(idsOf(got)).toEqual(fourReads(rows, since, restoreClosed, now, ms));
        },
      ),
      { numRuns: 80 },
    );
  }, 120_000);

  it('refuses a time that is not an integer of ms, naming the field', async () => {
    const repo = new OrderRepository(store.db, 'nobody');
    await expect(repo.restorable({ madeSince: 1.5 })).rejects.toThrow(
      'RESTORE_QUERY_INVALID: restorable: madeSince 1.5 must be an integer of ms',
    );
    await expect(repo.restorable({ closedWithin: { ms: -1, endsAt: 0 } })).rejects.toThrow(
      'closedWithin.ms -1 must not be negative',
    );
  });
});
