import fc from 'fast-check';
import { sql } from 'kysely';
import { money, price, quantity } from '../../../src/trading/core/money.js';
import { applyOrderEvent } from '../../../src/trading/model/apply-order-event.js';
import type { Fill } from '../../../src/trading/model/fill.js';
import type { Order } from '../../../src/trading/model/order.js';
import { orderRef, type OrderEvent } from '../../../src/trading/model/order-events.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import type { StrategySnapshot } from '../../../src/trading/live/strategy-snapshot-store.js';
import { journalEntry, newOrder } from '../../support/builders.js';
import { DIALECTS, freshStore } from '../../support/stores.js';
import { statementKinds } from '../../support/statement-kinds.js';

/** An accepted order of `account`, stored, ready to take fills. */
async function acceptedOrder(repo: OrderRepository, id: string): Promise<Order> {
  let o = newOrder({ accountId: repo.accountId, quantity: quantity('10') }, id);
  const ids = orderRef(o);
  await repo.insertOrder(o, { kind: 'OrderInitialized', ...ids, ts: 1, order: o });
  for (const e of [
    { kind: 'OrderSubmitted', ...ids, ts: 2 },
    { kind: 'OrderAccepted', ...ids, ts: 3, venueOrderId: `V-${id}` },
  ] as OrderEvent[]) {
    o = applyOrderEvent(o, e);
    await repo.recordEvent(o, e);
  }
  return o;
}

function fillOf(o: Order, over: Partial<Fill> = {}): OrderEvent {
  const fill: Fill = {
    venue: 'PAPER',
    tradeId: 'PAPER-T1',
    accountId: o.accountId,
    clientOrderId: o.clientOrderId,
    instrumentId: 'TEST/USD',
    side: 'BUY',
    price: price('100'),
    quantity: quantity('1'),
    fee: money('0.1', 'USD'),
    liquidity: 'TAKER',
    ts: 4,
    ...over,
  };
  return {
    kind: 'OrderFilled',
    ...orderRef(o),
    ts: 4,
    fill,
  };
}

describe.each(DIALECTS)('records keyed by their owner on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store.drop();
  });

  it('stores the same venue trade id once per account: two paper accounts both keep PAPER-T1', async () => {
    const a = new OrderRepository(store.db, 'paper');
    const b = new OrderRepository(store.db, 'venue1');
    const oa = await acceptedOrder(a, 'a-1');
    const ob = await acceptedOrder(b, 'b-1');
    const fa = fillOf(oa);
    const fb = fillOf(ob, { price: price('101') });
    await a.commitBatch([{ after: applyOrderEvent(oa, fa), event: fa }]);
    expect(await b.recordEvent(applyOrderEvent(ob, fb), fb)).toBe(true);
    expect((await a.fills()).map((f) => [f.tradeId, f.clientOrderId])).toEqual([
      ['PAPER-T1', 'a-1'],
    ]);
    expect((await b.fills()).map((f) => [f.tradeId, f.clientOrderId, f.price.toFixed()])).toEqual([
      ['PAPER-T1', 'b-1', '101'],
    ]);
    expect((await b.events('b-1')).map((e) => e.kind)).toContain('OrderFilled');
    // The same trade reported again is a true duplicate: skipped, on both paths.
    expect(await a.recordEvent(applyOrderEvent(oa, fa), fa)).toBe(false);
    await a.commitBatch([{ after: applyOrderEvent(oa, fa), event: fa }]);
    expect(await a.fills()).toHaveLength(1);
    expect((await a.events('a-1')).filter((e) => e.kind === 'OrderFilled')).toHaveLength(1);
    // What the OMS asks of an order it released: each account's own stored fills, once each.
    const key = { venue: 'PAPER', tradeId: 'PAPER-T1' };
    const absent = { venue: 'PAPER', tradeId: 'PAPER-T2' };
    const other = { venue: 'OTHER', tradeId: 'PAPER-T1' };
    const brief = (fs: readonly Fill[]) => fs.map((f) => `${f.clientOrderId} ${f.price.toFixed()}`);
    expect(brief(await a.storedFills([key, absent, other, key]))).toEqual(['a-1 100']);
    expect(brief(await b.storedFills([key]))).toEqual(['b-1 101']);
    expect(brief(await a.fillsOf(['a-1', 'b-1', 'none']))).toEqual(['a-1 100']);
    expect(brief(await b.fillsOf(['b-1', 'a-1']))).toEqual(['b-1 101']);
    expect(await a.storedFills([])).toEqual([]);
    expect(await a.fillsOf([])).toEqual([]);
  });

  it("reads and writes one account only: another account's orders, events and fills are not there, and writing them is refused", async () => {
    const mine = new OrderRepository(store.db, 'scope-a');
    const theirs = new OrderRepository(store.db, 'scope-b');
    const o = await acceptedOrder(theirs, 'scope-b-1');
    const f = fillOf(o, { tradeId: 'SCOPE-T1' });
    await theirs.commitBatch([{ after: applyOrderEvent(o, f), event: f }]);
    expect(await mine.order('scope-b-1')).toBeUndefined();
    expect(await mine.orders(['scope-b-1'])).toEqual([]);
    expect(await mine.events('scope-b-1')).toEqual([]);
    expect(await mine.fills()).toEqual([]);
    expect((await theirs.order('scope-b-1'))?.accountId).toBe('scope-b');
    const stored = await theirs.events('scope-b-1');
    expect(stored.map((e) => e.accountId)).toEqual(stored.map(() => 'scope-b'));
    expect((await theirs.fills()).map((x) => x.accountId)).toEqual(['scope-b']);
    // A record of another account reaching this repository is a bug: refused, nothing written.
    const next = fillOf(o, { tradeId: 'SCOPE-T2' });
    await expect(mine.recordEvent(applyOrderEvent(o, next), next)).rejects.toThrow(
      /ACCOUNT_MISMATCH/,
    );
    await expect(
      mine.commitBatch([{ after: applyOrderEvent(o, next), event: next }]),
    ).rejects.toThrow(/ACCOUNT_MISMATCH/);
    expect((await theirs.fills()).map((x) => x.tradeId)).toEqual(['SCOPE-T1']);
  });

  it('refuses a different fill under a stored key (another order, price, quantity, …): FILL_CONFLICT, nothing written', async () => {
    const repo = new OrderRepository(store.db, 'conflicts');
    const o1 = await acceptedOrder(repo, 'k-1');
    const o2 = await acceptedOrder(repo, 'k-2');
    const first = fillOf(o1, { tradeId: 'T-9' });
    await repo.commitBatch([{ after: applyOrderEvent(o1, first), event: first }]);
    const variants = fc.constantFrom<Partial<Fill>>(
      { clientOrderId: 'k-2' },
      { price: price('100.5') },
      { quantity: quantity('2') },
      { fee: money('0.2', 'USD') },
      { side: 'SELL' },
      { ts: 5 },
      { liquidity: 'MAKER' },
    );
    await fc.assert(
      fc.asyncProperty(variants, fc.boolean(), async (over, batch) => {
        const target = over.clientOrderId === 'k-2' ? o2 : o1;
        const e = fillOf(target, { tradeId: 'T-9', ...over });
        const after = target; // the event must not apply: keep the row as it was
        const write = batch ? repo.commitBatch([{ after, event: e }]) : repo.recordEvent(after, e);
        await expect(write).rejects.toMatchObject({ code: 'FILL_CONFLICT' });
      }),
      { numRuns: 14 },
    );
    const fills = await repo.fills();
    expect(fills.map((f) => [f.tradeId, f.clientOrderId, f.price.toFixed()])).toEqual([
      ['T-9', 'k-1', '100'],
    ]);
    expect((await repo.events('k-2')).map((e) => e.kind)).not.toContain('OrderFilled');
  });

  it('refuses a fill the database skipped yet does not hold (a trigger drops it): FILL_NOT_STORED, nothing written', async () => {
    const repo = new OrderRepository(store.db, 'lost-fills');
    const o = await acceptedOrder(repo, 'lost-1');
    // A trigger that drops the row: the insert skips it, and nothing is stored under its key.
    const fills = store.schema ? sql.id(store.schema, 'fills') : sql.id('fills');
    const fn = store.schema ? sql.id(store.schema, 'drop_lost_fill') : sql.id('drop_lost_fill');
    await sql`create function ${fn}() returns trigger language plpgsql as $$
      begin if new.trade_id like 'LOST-%' then return null; end if; return new; end $$`.execute(
      store.db,
    );
    await sql`create trigger drop_lost_fill before insert on ${fills}
      for each row execute function ${fn}()`.execute(store.db);
    try {
      const lost = fillOf(o, { tradeId: 'LOST-1' });
      await expect(repo.recordEvent(applyOrderEvent(o, lost), lost)).rejects.toMatchObject({
        code: 'FILL_NOT_STORED',
      });
      await expect(
        repo.commitBatch([{ after: applyOrderEvent(o, lost), event: lost }]),
      ).rejects.toMatchObject({ code: 'FILL_NOT_STORED' });
      // A fill beside it in the batch is not written either; a fill the trigger keeps still is.
      const kept = fillOf(o, { tradeId: 'KEPT-1' });
      const both = applyOrderEvent(applyOrderEvent(o, kept), lost);
      await expect(
        repo.commitBatch([
          { after: applyOrderEvent(o, kept), event: kept },
          { after: both, event: lost },
        ]),
      ).rejects.toMatchObject({ code: 'FILL_NOT_STORED' });
      expect(await repo.fills()).toEqual([]);
      expect((await repo.events('lost-1')).map((e) => e.kind)).not.toContain('OrderFilled');
      expect(await repo.recordEvent(applyOrderEvent(o, kept), kept)).toBe(true);
      expect((await repo.fills()).map((f) => f.tradeId)).toEqual(['KEPT-1']);
    } finally {
      await sql`drop trigger drop_lost_fill on ${fills}`.execute(store.db);
      await sql`drop function ${fn}()`.execute(store.db);
    }
  });

  it('keys snapshots by account: one account never resumes from another account’s snapshot', async () => {
    const a = new StrategySnapshotRepository(store.db, 'paper');
    const b = new StrategySnapshotRepository(store.db, 'venue1');
    await a.save('sma', 'sma-cross', { ts: 60_000, ordersMade: 3, state: { x: 1 } });
    expect(await b.latest('sma')).toBeNull();
    expect(await b.otherAccounts('sma')).toEqual(['paper']);
    await b.save('sma', 'sma-cross', { ts: 120_000, ordersMade: 1, state: { x: 2 } });
    expect((await a.latest('sma'))?.ordersMade).toBe(3);
    expect((await b.latest('sma'))?.ordersMade).toBe(1);
  });

  it('refuses a different snapshot under a stored (account, strategy, time): SNAPSHOT_CONFLICT, the stored one kept; the same one again is fine', async () => {
    const repo = new StrategySnapshotRepository(store.db, 'snap-conflicts');
    const first: StrategySnapshot = {
      ts: 60_000,
      ordersMade: 2,
      // Keys in an order jsonb does not keep; nested values; a random source's state.
      state: { zeta: 1, a: [1, 2.5, { b: null, aa: 'x' }], long_key_name: true },
      random: [1, 2, 3, 4],
      eventsThrough: 17,
    };
    await repo.save('s1', 'sma-cross', first);
    // A retried save of the same snapshot: kept, no error (also from another repository).
    await repo.save('s1', 'sma-cross', { ...first, state: { ...first.state } });
    await new StrategySnapshotRepository(store.db, 'snap-conflicts').save('s1', 'sma-cross', first);
    const variants = fc.constantFrom<Partial<StrategySnapshot>>(
      { ordersMade: 3 },
      { state: { ...first.state, zeta: 2 } },
      { state: { zeta: 1 } },
      { state: { ...first.state, extra: 0 } },
      { random: [1, 2, 3, 5] },
      { random: [] },
      { random: undefined },
      { eventsThrough: 18 },
      { eventsThrough: 16 },
      { eventsThrough: undefined },
    );
    await fc.assert(
      fc.asyncProperty(variants, async (over) => {
        await expect(repo.save('s1', 'sma-cross', { ...first, ...over })).rejects.toMatchObject({
          code: 'SNAPSHOT_CONFLICT',
        });
      }),
      { numRuns: 20 },
    );
    const kept = await repo.latest('s1');
    expect(kept).toEqual(first);
    // The same time of another account or another strategy id is another key: stored.
    const other = { ...first, ordersMade: 9 };
    await new StrategySnapshotRepository(store.db, 'snap-other').save('s1', 'sma-cross', other);
    await repo.save('s2', 'sma-cross', other);
    expect((await repo.latest('s2'))?.ordersMade).toBe(9);
    expect((await repo.latest('s1'))?.ordersMade).toBe(2);
  });

  it('refuses a strategy id that belongs to another strategy (the strategies row is never silently kept)', async () => {
    const a = new StrategySnapshotRepository(store.db, 'paper');
    await a.save('mine', 'sma-cross', { ts: 60_000, ordersMade: 0, state: {} });
    await a.save('mine', 'sma-cross', { ts: 120_000, ordersMade: 0, state: {} }); // true duplicate
    await expect(
      a.save('mine', 'churn', { ts: 180_000, ordersMade: 0, state: {} }),
    ).rejects.toThrow(/strategy id "mine" belongs to strategy "sma-cross", not "churn"/);
    expect((await a.latest('mine'))?.ts).toBe(120_000);
  });

  /** Every row an order write may add or change, to show that a refused one changed nothing. */
  const everything = async () => {
    const rows = async (q: ReturnType<typeof sql<Record<string, unknown>>>) =>
      (await q.execute(store.db)).rows;
    return {
      orders: await rows(sql`select * from orders order by client_order_id`),
      events: await rows(sql`select seq, client_order_id, kind from order_events order by seq`),
      fills: await rows(sql`select * from fills order by account_id, venue, trade_id`),
      audit: await rows(sql`select seq, hash from audit_log order by seq`),
    };
  };

  /**
   * A repository of `accountId` on its own handle, to reach either path of `commitBatch`: on a
   * handle that knows the audit head a batch is tried as one statement first (the handle writes
   * one batch of its own to learn it), on a fresh one it goes straight to the transaction.
   * `tried()`: whether the last batch was tried as one statement.
   */
  async function onPath(accountId: string, path: 'statement' | 'transaction', warm: string) {
    const { plugin, kinds } = statementKinds();
    const repo = new OrderRepository(store.db.withPlugin(plugin), accountId);
    if (path === 'statement') await repo.commitBatch(journalEntry(accountId, warm));
    kinds.length = 0;
    return { repo, tried: () => kinds[0] === 'RawNode' };
  }

  const PATHS = ['statement', 'transaction'] as const;

  it('a new order of account B under a client order id stored for account A is ORDER_CONFLICT on every path; nothing of it or of its batch is written', async () => {
    const a = new OrderRepository(store.db, 'own-a');
    await acceptedOrder(a, 'new-1');
    const theirs = newOrder({ accountId: 'own-b' }, 'new-1');
    const init: OrderEvent = {
      kind: 'OrderInitialized',
      ...orderRef(theirs),
      ts: 1,
      order: theirs,
    };
    const refused = {
      code: 'ORDER_CONFLICT',
      message: expect.stringMatching(
        /account own-b: client order id new-1 is stored for account own-a/,
      ),
    };
    const before = await everything();
    await expect(
      new OrderRepository(store.db, 'own-b').insertOrder(theirs, init),
    ).rejects.toMatchObject(refused);
    expect(await everything()).toEqual(before);
    for (const path of PATHS) {
      const { repo, tried } = await onPath('own-b', path, `new-warm-${path}`);
      const start = await everything();
      await expect(
        repo.commitBatch([
          ...journalEntry('own-b', `new-mine-${path}`),
          { after: theirs, event: init },
        ]),
      ).rejects.toMatchObject(refused);
      expect(tried()).toBe(path === 'statement');
      expect(await everything()).toEqual(start);
    }
    expect((await a.order('new-1'))?.status).toBe('ACCEPTED');
  });

  it('a state change of account B under a client order id stored for account A is ORDER_CONFLICT in a batch (one statement or transaction) and through recordEvent; nothing of the batch is written', async () => {
    const a = new OrderRepository(store.db, 'own-a');
    const b = new OrderRepository(store.db, 'own-b');
    await acceptedOrder(a, 'chg-1');
    const mine = await acceptedOrder(b, 'chg-mine');
    // Account B's order under A's client order id, moving as B's journal would move it.
    let theirs = newOrder({ accountId: 'own-b' }, 'chg-1');
    const submitted: OrderEvent = { kind: 'OrderSubmitted', ...orderRef(theirs), ts: 2 };
    theirs = applyOrderEvent(theirs, submitted);
    const accepted: OrderEvent = {
      kind: 'OrderAccepted',
      ...orderRef(theirs),
      ts: 3,
      venueOrderId: 'V-B',
    };
    const theirsAccepted = applyOrderEvent(theirs, accepted);
    const theirFill = fillOf(theirsAccepted, { tradeId: 'CHG-T1' });
    const refused = {
      code: 'ORDER_CONFLICT',
      message: expect.stringMatching(
        /account own-b: client order id chg-1 is stored for account own-a/,
      ),
    };
    const stored = await everything();
    await expect(b.recordEvent(theirs, submitted)).rejects.toMatchObject(refused);
    await expect(
      b.recordEvent(applyOrderEvent(theirsAccepted, theirFill), theirFill),
    ).rejects.toMatchObject(refused);
    expect(await everything()).toEqual(stored);
    let n = 0;
    for (const path of PATHS) {
      for (const [after, event] of [
        [theirsAccepted, accepted],
        [applyOrderEvent(theirsAccepted, theirFill), theirFill],
      ] as const) {
        const { repo, tried } = await onPath('own-b', path, `chg-warm-${path}-${++n}`);
        const ownFill = fillOf(mine, { tradeId: `CHG-MINE-${n}` });
        const start = await everything();
        await expect(
          repo.commitBatch([
            ...journalEntry('own-b', `chg-new-${n}`),
            { after: applyOrderEvent(mine, ownFill), event: ownFill },
            { after, event },
          ]),
        ).rejects.toMatchObject(refused);
        expect(tried()).toBe(path === 'statement');
        expect(await everything()).toEqual(start);
      }
    }
    const kept = await a.order('chg-1');
    expect([kept?.accountId, kept?.status, kept?.venueOrderId]).toEqual([
      'own-a',
      'ACCEPTED',
      'V-chg-1',
    ]);
    expect((await a.events('chg-1')).map((e) => e.kind)).toEqual([
      'OrderInitialized',
      'OrderSubmitted',
      'OrderAccepted',
    ]);
  });

  it('within one account, a state change of another order (strategy, instrument, side, quantity, …) under a stored id is ORDER_CONFLICT; the same order’s changes are written on every path', async () => {
    const a = new OrderRepository(store.db, 'own-c');
    let o = await acceptedOrder(a, 'same-1');
    const variants: Partial<Order>[] = [
      { strategyId: 'other' },
      { instrumentId: 'OTHER/USD' },
      { side: 'SELL' },
      { quantity: quantity('11') },
      { type: 'LIMIT', price: price('100') },
      { createdAt: 7 },
    ];
    const stored = await everything();
    for (const over of variants) {
      const other: Order = { ...o, ...over };
      const pending: OrderEvent = { kind: 'OrderPendingCancel', ...orderRef(other), ts: 5 };
      const after = applyOrderEvent(other, pending);
      await expect(a.recordEvent(after, pending)).rejects.toMatchObject({
        code: 'ORDER_CONFLICT',
        message: expect.stringMatching(
          /client order id same-1 is stored for another order of this account/,
        ),
      });
      for (const path of PATHS) {
        const { repo } = await onPath('own-c', path, `same-warm-${path}-${JSON.stringify(over)}`);
        const start = await everything();
        await expect(repo.commitBatch([{ after, event: pending }])).rejects.toMatchObject({
          code: 'ORDER_CONFLICT',
        });
        expect(await everything()).toEqual(start);
      }
    }
    expect((await everything()).orders).toEqual(expect.arrayContaining(stored.orders as unknown[]));
    // The same order's changes: through recordEvent, then a batch on each path.
    const steps: OrderEvent[] = [
      { kind: 'OrderPendingCancel', ...orderRef(o), ts: 5 },
      { kind: 'OrderCancelRejected', ...orderRef(o), ts: 6, reason: 'late' },
      fillOf(o, { tradeId: 'SAME-T1', ts: 7 }),
    ] as OrderEvent[];
    o = applyOrderEvent(o, steps[0]!);
    expect(await a.recordEvent(o, steps[0]!)).toBe(true);
    for (const [i, path] of PATHS.entries()) {
      const { repo, tried } = await onPath('own-c', path, `same-ok-${path}`);
      const e = steps[i + 1]!;
      o = applyOrderEvent(o, e);
      await repo.commitBatch([{ after: o, event: e }]);
      expect(tried()).toBe(path === 'statement');
    }
    const now = await a.order('same-1');
    expect([now?.status, now?.filledQuantity.toFixed()]).toEqual(['PARTIALLY_FILLED', '1']);
    expect((await a.events('same-1')).map((e) => e.kind).slice(-3)).toEqual([
      'OrderPendingCancel',
      'OrderCancelRejected',
      'OrderFilled',
    ]);
  });
});
