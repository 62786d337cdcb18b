import { sql } from 'kysely';
import { money, price, quantity } from '../../../src/trading/core/money.js';
import { applyOrderEvent } from '../../../src/trading/model/apply-order-event.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { chainHash } from '../../../src/security/audit/chain.js';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import { CandleRepository } from '../../../src/store/candle-repository.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { newOrder } from '../../support/builders.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

describe.each(DIALECTS)('store on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store.drop();
  });

  const ids = { clientOrderId: 'c1', accountId: 'acct', strategyId: 's', instrumentId: 'TEST/USD' };

  it('commits an order, its events and fills; a fill is stored once per venue trade id', async () => {
    const repo = new OrderRepository(store.db, 'acct');
    let order = newOrder(
      {
        accountId: 'acct',
        price: price('101.25'),
        type: 'LIMIT',
        quantity: quantity('0.123456789012345678'),
      },
      'c1',
    );
    await repo.insertOrder(order, { kind: 'OrderInitialized', ...ids, ts: 1, order });
    await expect(
      repo.insertOrder(order, { kind: 'OrderInitialized', ...ids, ts: 1, order }),
    ).rejects.toThrow();
    for (const e of [
      { kind: 'OrderSubmitted', ...ids, ts: 2 },
      { kind: 'OrderAccepted', ...ids, ts: 3, venueOrderId: 'V1' },
    ] as OrderEvent[]) {
      order = applyOrderEvent(order, e);
      expect(await repo.recordEvent(order, e)).toBe(true);
    }
    const fill: OrderEvent = {
      kind: 'OrderFilled',
      ...ids,
      ts: 4,
      fill: {
        venue: 'SIM',
        tradeId: 'T1',
        accountId: 'acct',
        clientOrderId: 'c1',
        instrumentId: 'TEST/USD',
        side: 'BUY',
        price: price('101.25'),
        quantity: quantity('0.1'),
        fee: money('0.0101250000000000001', 'USD'),
        liquidity: 'MAKER',
        ts: 4,
      },
    };
    const afterFill = applyOrderEvent(order, fill);
    expect(await repo.recordEvent(afterFill, fill)).toBe(true);
    expect(await repo.recordEvent(afterFill, fill)).toBe(false);
    const stored = await repo.order('c1');
    expect(stored!.status).toBe('PARTIALLY_FILLED');
    expect(stored!.quantity.toFixed()).toBe('0.123456789012345678');
    expect(stored!.filledQuantity.toFixed()).toBe('0.1');
    expect(typeof stored!.createdAt).toBe('number');
    expect((await repo.restorable({})).open.map((o) => o.clientOrderId)).toEqual(['c1']);
    // Found by the venue's order id too (a late trade naming only that), of this account only.
    expect((await repo.orderByVenueId('V1'))?.clientOrderId).toBe('c1');
    expect(await repo.orderByVenueId('V2')).toBeUndefined();
    expect(await new OrderRepository(store.db, 'other').orderByVenueId('V1')).toBeUndefined();
    const fills = await repo.fills();
    expect(fills).toHaveLength(1);
    expect(fills[0]!.fee.amount.toFixed()).toBe('0.0101250000000000001');
    const events = await repo.events('c1');
    expect(events.map((e) => e.kind)).toEqual([
      'OrderInitialized',
      'OrderSubmitted',
      'OrderAccepted',
      'OrderFilled',
    ]);
    expect((events[3] as Extract<OrderEvent, { kind: 'OrderFilled' }>).fill.price.toFixed()).toBe(
      '101.25',
    );
  });

  it('refuses to change or delete an order event (append-only)', async () => {
    await expect(sql`update order_events set kind = 'X'`.execute(store.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from order_events`.execute(store.db)).rejects.toThrow(/append-only/);
  });

  it('returns bigint and numeric columns with the same types on both dialects', async () => {
    const r = await store.db
      .selectFrom('orders')
      .select(['created_at', 'quantity'])
      .executeTakeFirstOrThrow();
    expect(typeof r.created_at).toBe('string');
    expect(typeof r.quantity).toBe('string');
    const seq = await store.db.selectFrom('order_events').select('seq').executeTakeFirstOrThrow();
    expect(typeof seq.seq).toBe('string');
  });

  it('keeps candles in month partitions and upserts them', async () => {
    const candles = new CandleRepository(store.db);
    const jan = Date.UTC(2024, 0, 31, 23, 59);
    const bars = [0, 1, 2].map((i) => ({
      instrumentId: 'BTC',
      openTime: jan + i * 60_000,
      closeTime: jan + (i + 1) * 60_000,
      open: 1.5,
      high: 2,
      low: 1,
      close: 1.75 + i,
      volume: 10,
    }));
    await candles.upsert(bars);
    await candles.upsert([{ ...bars[0]!, close: 9 }]);
    const got = await candles.range('BTC', 60_000, jan, jan + 3 * 60_000);
    expect(got.map((b) => b.close)).toEqual([9, 2.75, 3.75]);
    const parts = await sql<{
      n: string;
    }>`select count(*)::text as n from pg_inherits where inhparent = 'candles'::regclass`.execute(
      store.db,
    );
    expect(parts.rows[0]!.n).toBe('2');
  });
});

describe.each(DIALECTS)('group commit on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store.drop();
  });

  it('commits a batch in order, keeps the last state, skips a stored fill and refuses a taken id', async () => {
    const repo = new OrderRepository(store.db, 'acct');
    const ids = {
      clientOrderId: 'g1',
      accountId: 'acct',
      strategyId: 's',
      instrumentId: 'TEST/USD',
    };
    const o0 = newOrder({ accountId: 'acct' }, 'g1');
    const e1: OrderEvent = { kind: 'OrderInitialized', ...ids, ts: 1, order: o0 };
    const e2: OrderEvent = { kind: 'OrderSubmitted', ...ids, ts: 2 };
    const o2 = applyOrderEvent(o0, e2);
    const e3: OrderEvent = {
      kind: 'OrderFilled',
      ...ids,
      ts: 3,
      fill: {
        venue: 'SIM',
        tradeId: 'G1',
        accountId: 'acct',
        clientOrderId: 'g1',
        instrumentId: 'TEST/USD',
        side: 'BUY',
        price: price('1'),
        quantity: quantity('10'),
        fee: money('0', 'USD'),
        liquidity: 'TAKER',
        ts: 3,
      },
    };
    const o3 = applyOrderEvent(o2, e3);
    await repo.commitBatch([
      { after: o0, event: e1 },
      { after: o2, event: e2 },
      { after: o3, event: e3 },
    ]);
    expect((await repo.order('g1'))!.status).toBe('FILLED');
    expect((await repo.events('g1')).map((e) => e.kind)).toEqual([
      'OrderInitialized',
      'OrderSubmitted',
      'OrderFilled',
    ]);
    await repo.commitBatch([{ after: o3, event: e3 }]);
    expect(await repo.fills()).toHaveLength(1);
    expect((await repo.events('g1')).map((e) => e.kind)).toHaveLength(3);
    await expect(repo.commitBatch([{ after: o0, event: e1 }])).rejects.toThrow();
    // Every stored event has its audit row, in order, on one valid chain; a skipped fill has none.
    const audit = await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER);
    expect(audit.map((r) => `${r.action}:${r.subject}:${r.actor}`)).toEqual([
      'order.created:g1:s',
      'order.submitted:g1:s',
      'order.filled:g1:s',
    ]);
    expect(audit[2]!.payload).toMatchObject({ status: 'FILLED', fill: { tradeId: 'G1' } });
    expect(audit.map((r) => r.prevHash).slice(1)).toEqual(audit.map((r) => r.hash).slice(0, -1));
  });

  it("eventsAfter: a strategy's events past a place, in the order committed; not another strategy's or account's", async () => {
    const made = (account: string, strategyId: string, id: string) => {
      const ids = { clientOrderId: id, accountId: account, strategyId, instrumentId: 'TEST/USD' };
      const o = newOrder({ accountId: account, strategyId }, id);
      const submitted: OrderEvent = { kind: 'OrderSubmitted', ...ids, ts: 2 };
      return [
        { after: o, event: { kind: 'OrderInitialized', ...ids, ts: 1, order: o } as OrderEvent },
        { after: applyOrderEvent(o, submitted), event: submitted },
      ];
    };
    const mine = new OrderRepository(store.db, 'ea-1');
    const other = new OrderRepository(store.db, 'ea-2');
    const [, first] = (await mine.commitBatch(made('ea-1', 'sx', 'ea-a'))) as number[];
    await mine.commitBatch(made('ea-1', 'sy', 'ea-b'));
    // Another account, the same strategy id: not this account's.
    await other.commitBatch(made('ea-2', 'sx', 'ea-c'));
    await mine.commitBatch(made('ea-1', 'sx', 'ea-d'));
    const after = await mine.eventsAfter('sx', first! - 1);
    expect(after.map((e) => `${e.event.clientOrderId} ${e.event.kind}`)).toEqual([
      'ea-a OrderSubmitted',
      'ea-d OrderInitialized',
      'ea-d OrderSubmitted',
    ]);
    expect(after.map((e) => e.seq)).toEqual([...after.map((e) => e.seq)].sort((x, y) => x - y));
    expect(after[0]!.seq).toBe(first);
    expect(await mine.eventsAfter('sx', after.at(-1)!.seq)).toEqual([]);
    expect(await mine.eventsAfter('nobody', 0)).toEqual([]);
  });

  it('order entry (no fills) stays on one chain with other writers, concurrent or in between', async () => {
    const a = new OrderRepository(store.db, 'acct');
    const b = new OrderRepository(store.db, 'acct');
    const audit = new AuditRepository(store.db);
    const start = (await audit.last())?.seq ?? 0;
    const batch = (id: string) => {
      const ids = {
        clientOrderId: id,
        accountId: 'acct',
        strategyId: 's',
        instrumentId: 'TEST/USD',
      };
      const o = newOrder({ accountId: 'acct' }, id);
      const submitted: OrderEvent = { kind: 'OrderSubmitted', ...ids, ts: 2 };
      return [
        { after: o, event: { kind: 'OrderInitialized', ...ids, ts: 1, order: o } as OrderEvent },
        { after: applyOrderEvent(o, submitted), event: submitted },
      ];
    };
    await a.commitBatch(batch('one-1'));
    // Another writer moves the head: `a`'s remembered head is stale and must be refreshed.
    await audit.append({ ts: 3, actor: 'rita', role: 'risk', action: 'risk.halted', subject: '' });
    await a.commitBatch(batch('one-2'));
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).commitBatch(batch(`one-c${i}`))),
      audit.append({ ts: 4, actor: 'rita', role: 'risk', action: 'risk.resumed', subject: '' }),
    ]);
    const rows = (await audit.list(0, Number.MAX_SAFE_INTEGER)).filter((r) => r.seq > start);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => start + i + 1));
    for (const r of rows) expect(r.hash).toBe(chainHash(r.prevHash, r));
    expect(rows.map((r) => r.prevHash).slice(1)).toEqual(rows.map((r) => r.hash).slice(0, -1));
    expect(rows).toHaveLength(2 * 10 + 2);
    const all = ['one-1', 'one-2', ...Array.from({ length: 8 }, (_, i) => `one-c${i}`)];
    expect((await a.orders([...all, 'missing'])).map((o) => o.clientOrderId).sort()).toEqual(
      [...all].sort(),
    );
    for (const id of all) {
      expect((await a.order(id))!.status).toBe('SUBMITTED');
      expect((await a.events(id)).map((e) => e.kind)).toEqual([
        'OrderInitialized',
        'OrderSubmitted',
      ]);
    }
  });

  it('fails closed: when the audit row cannot be written, the order is not stored', async () => {
    const repo = new OrderRepository(store.db, 'acct');
    const o = newOrder({ accountId: 'acct' }, 'closed-1');
    const ids = {
      clientOrderId: 'closed-1',
      accountId: 'acct',
      strategyId: 's',
      instrumentId: 'TEST/USD',
    };
    await sql`alter table audit_log add constraint no_more check (seq < 0) not valid`.execute(
      store.db,
    );
    try {
      await expect(
        repo.commitBatch([
          { after: o, event: { kind: 'OrderInitialized', ...ids, ts: 5, order: o } },
        ]),
      ).rejects.toThrow(/audit log/);
      expect(await repo.order('closed-1')).toBeUndefined();
    } finally {
      await sql`alter table audit_log drop constraint no_more`.execute(store.db);
    }
  });

  it('keeps strategy snapshots with their random source state', async () => {
    const snaps = new StrategySnapshotRepository(store.db, 'acct');
    expect(await snaps.latest('snap')).toBeNull();
    await snaps.save('snap', 'x', { ts: 60_000, ordersMade: 3, state: { a: [1, 'b'] } });
    // The first without a place among the order events (its saver could not tell): none read back.
    expect(await snaps.latest('snap')).toEqual({
      ts: 60_000,
      ordersMade: 3,
      state: { a: [1, 'b'] },
    });
    await snaps.save('snap', 'x', {
      ts: 120_000,
      ordersMade: 4,
      state: { a: [2] },
      random: [1, -2, 3, 4],
      eventsThrough: 41,
    });
    expect(await snaps.latest('snap')).toEqual({
      ts: 120_000,
      ordersMade: 4,
      state: { a: [2] },
      random: [1, -2, 3, 4],
      // The order events its strategy had heard (migration 0016): a restart shows again those after it.
      eventsThrough: 41,
    });
  });
});
