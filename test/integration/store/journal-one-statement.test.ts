import { sql } from 'kysely';
import { MemoryMetrics } from '../../../src/monitoring/memory-metrics.js';
import { GENESIS_HASH } from '../../../src/security/audit/chain.js';
import { firstBreak } from '../../../src/security/audit/first-break.js';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import { LeaseRepository } from '../../../src/store/lease-repository.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { money, price, quantity } from '../../../src/trading/core/money.js';
import { applyOrderEvent } from '../../../src/trading/model/apply-order-event.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { journalEntry } from '../../support/builders.js';
import { DIALECTS, freshStore } from '../../support/stores.js';
import { statementKinds } from '../../support/statement-kinds.js';
import { until } from '../../support/until.js';

const ids = (id: string) => ({
  clientOrderId: id,
  accountId: 'acct',
  strategyId: 's',
  instrumentId: 'TEST/USD',
});

/** An order's entry as the journal commits it: initialized and submitted. */
const entry = (id: string) => journalEntry('acct', id);

/**
 * The order journal commits a batch as one statement once its store knows the audit head
 * (`OrderRepository.commitBatch`): the lease check, the head moved from the head it wrote last,
 * and every insert conditional on both. These are the cases where that statement must write
 * nothing and the batch must still end as the transaction would have left it.
 */
describe.each(DIALECTS)('a journal batch as one statement on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  let metrics: MemoryMetrics;
  beforeEach(async () => {
    // Each test on a store of its own, with its commit times (one store less than a second
    // store for the test that reads them).
    metrics = new MemoryMetrics();
    store = await freshStore(dialect, metrics);
  });
  afterEach(async () => {
    await store.drop();
  });
  const chain = async () => {
    const rows = await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER);
    const broken = firstBreak(
      rows.map((record) => ({ ok: true, record })),
      { firstSeq: 1, anchorHash: GENESIS_HASH, count: rows.length, lastHash: rows.at(-1)!.hash },
    );
    return { rows, broken };
  };
  const count = async (table: 'orders' | 'order_events' | 'fills' | 'audit_log') =>
    Number(
      (await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(store.db))
        .rows[0]!.n,
    );

  it('once the head is known, a batch is one statement (no transaction around it)', async () => {
    const { plugin, kinds: statements, executed } = statementKinds();
    const repo = new OrderRepository(store.db.withPlugin(plugin), 'acct');
    await repo.commitBatch(entry('s-1')); // the head read under its lock
    statements.length = 0;
    let runs = executed();
    await repo.commitBatch([...entry('s-2'), ...entry('s-3')]);
    expect(statements).toEqual(['RawNode']);
    expect(executed()).toBe(runs + 1);
    // A batch of the same shape (new orders, flushed), another size: the text made for the
    // first is run again with the new values; nothing is built or compiled for it.
    statements.length = 0;
    runs = executed();
    await repo.commitBatch([...entry('s-4'), ...entry('s-5'), ...entry('s-6')]);
    expect(statements).toEqual([]);
    expect(executed()).toBe(runs + 1);
    expect((await repo.order('s-6'))!.status).toBe('SUBMITTED');
    expect((await repo.order('s-3'))!.status).toBe('SUBMITTED');
    expect((await repo.events('s-2')).map((e) => e.kind)).toEqual([
      'OrderInitialized',
      'OrderSubmitted',
    ]);
    const { rows, broken } = await chain();
    expect(broken).toBeNull();
    expect(rows.map((r) => r.subject)).toEqual(
      ['s-1', 's-2', 's-3', 's-4', 's-5', 's-6'].flatMap((id) => [id, id]),
    );
  });

  it('a statement compiled once refuses a taken client order id in a later batch as a fresh one does: ORDER_CONFLICT, nothing written; the next batch runs it again', async () => {
    const { plugin, kinds: statements, executed } = statementKinds();
    // Both accounts' journals on one handle: they share its audit head, so the batch below is
    // tried as the statement (the head it knows is current) and refused by the database.
    const db = store.db.withPlugin(plugin);
    const repo = new OrderRepository(db, 'acct');
    await repo.commitBatch(entry('t-1')); // the head read under its lock
    await repo.commitBatch(entry('t-2')); // the shape's statement made
    await new OrderRepository(db, 'other').commitBatch(journalEntry('other', 'x-1'));
    const before = await Promise.all(
      (['orders', 'order_events', 'fills', 'audit_log'] as const).map(count),
    );
    statements.length = 0;
    await expect(
      repo.commitBatch([...entry('t-3'), ...journalEntry('acct', 'x-1')]),
    ).rejects.toMatchObject({
      code: 'ORDER_CONFLICT',
      message: expect.stringMatching(
        /account acct: client order id x-1 is stored for account other/,
      ),
    });
    // Tried as the statement already made (nothing compiled for it), then as the transaction.
    expect(statements[0]).not.toBe('RawNode');
    expect(
      await Promise.all((['orders', 'order_events', 'fills', 'audit_log'] as const).map(count)),
    ).toEqual(before);
    expect(await repo.order('t-3')).toBeUndefined();
    // The refused transaction forgot the head: the next batch reads it under its lock, and the
    // one after runs the statement made before, compiling nothing.
    await repo.commitBatch(entry('t-4'));
    statements.length = 0;
    const runs = executed();
    await repo.commitBatch(entry('t-5'));
    expect(statements).toEqual([]);
    expect(executed()).toBe(runs + 1);
    expect((await repo.order('t-5'))!.status).toBe('SUBMITTED');
    const { rows, broken } = await chain();
    expect(broken).toBeNull();
    expect(rows.map((r) => r.subject)).toEqual(
      ['t-1', 't-2', 'x-1', 't-4', 't-5'].flatMap((id) => [id, id]),
    );
  });

  it('the statement is timed as a commit and, on Postgres, prepared once per connection', async () => {
    const repo = new OrderRepository(store.db, 'acct');
    await repo.commitBatch(entry('p-1')); // a transaction: timed at its COMMIT
    const commits = () => metrics.histogramValue('kairos_db_commit_duration_seconds')!.count;
    const before = commits();
    for (const id of ['p-2', 'p-3', 'p-4']) await repo.commitBatch(entry(id));
    expect(commits()).toBe(before + 3);
    if (dialect === 'postgres') {
      // One connection served them all (nothing ran beside): one statement prepared there.
      const { rows } = await sql<{ n: string }>`select count(*) as n from pg_prepared_statements
        where name like 'kairos_%'`.execute(store.db);
      expect(Number(rows[0]!.n)).toBe(1);
    }
    expect((await repo.events('p-4')).map((e) => e.kind)).toEqual([
      'OrderInitialized',
      'OrderSubmitted',
    ]);
  });

  it('a writer that moves the audit head while the statement waits: the batch is written once, on one gapless chain', async () => {
    const repo = new OrderRepository(store.db, 'acct');
    await repo.commitBatch(entry('m-1'));
    // Another instance's writer appends and holds the head's lock until released.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let appended!: () => void;
    const inside = new Promise<void>((r) => (appended = r));
    const other = store.db.transaction().execute(async (tx) => {
      await new AuditRepository(tx).append(
        { ts: 9, actor: 'rita', role: 'risk_officer', action: 'risk.halted', subject: '' },
        tx,
      );
      appended();
      await held;
    });
    await inside;
    const batch = repo.commitBatch([...entry('m-2'), ...entry('m-3')]);
    if (dialect === 'postgres')
      // The statement waits for the head's lock, then finds the head moved.
      await until(
        async () =>
          Number(
            (
              await sql<{
                n: string;
              }>`select count(*) as n from pg_locks where not granted`.execute(store.db)
            ).rows[0]!.n,
          ) > 0,
        10_000,
        'the batch waiting for the head',
      );
    release();
    await other;
    await batch;
    const { rows, broken } = await chain();
    expect(broken).toBeNull();
    expect(rows.map((r) => `${r.seq}:${r.subject}`)).toEqual([
      '1:m-1',
      '2:m-1',
      '3:',
      '4:m-2',
      '5:m-2',
      '6:m-3',
      '7:m-3',
    ]);
    expect(await count('order_events')).toBe(6);
    expect(await count('orders')).toBe(3);
    // And the next batch goes on from the head it wrote.
    await repo.commitBatch(entry('m-4'));
    expect((await chain()).rows.map((r) => r.subject).slice(-2)).toEqual(['m-4', 'm-4']);
  });

  it('a fenced-out writer writes nothing (LEASE_LOST); the new owner goes on from the same chain', async () => {
    const leases = new LeaseRepository(store.db);
    const mine = (await leases.acquire('account:acct', 'a', 60_000))!;
    const a = new OrderRepository(store.db, 'acct', Date.now, leases.fence(mine));
    await a.commitBatch(entry('f-1'));
    await a.commitBatch(entry('f-2')); // one statement, fenced
    await leases.release(mine);
    const theirs = (await leases.acquire('account:acct', 'b', 60_000))!;
    expect(theirs.token).toBe(mine.token + 1);
    const before = await Promise.all([count('orders'), count('order_events'), count('audit_log')]);
    await expect(a.commitBatch(entry('f-3'))).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(await Promise.all([count('orders'), count('order_events'), count('audit_log')])).toEqual(
      before,
    );
    const b = new OrderRepository(store.db, 'acct', Date.now, leases.fence(theirs));
    await b.commitBatch(entry('f-3'));
    const { rows, broken } = await chain();
    expect(broken).toBeNull();
    expect(rows.map((r) => r.subject)).toEqual(['f-1', 'f-1', 'f-2', 'f-2', 'f-3', 'f-3']);
  });

  it('a fill repeated by the venue is skipped, a different one under its key is FILL_CONFLICT with nothing written', async () => {
    const repo = new OrderRepository(store.db, 'acct');
    const [init, sub] = entry('x-1');
    await repo.commitBatch([init!, sub!]);
    const fill = (px: string): OrderEvent => ({
      kind: 'OrderFilled',
      ...ids('x-1'),
      ts: 3,
      fill: {
        venue: 'SIM',
        tradeId: 'T1',
        accountId: 'acct',
        clientOrderId: 'x-1',
        instrumentId: 'TEST/USD',
        side: 'BUY',
        price: price(px),
        quantity: quantity('10'),
        fee: money('0.01', 'USD'),
        liquidity: 'TAKER',
        ts: 3,
      },
    });
    const filled = applyOrderEvent(sub!.after, fill('1.5'));
    await repo.commitBatch([{ after: filled, event: fill('1.5') }]);
    const audited = await count('audit_log');
    // The venue reports the trade again (the same numbers, written otherwise): skipped, with no
    // event and no audit row.
    await repo.commitBatch([{ after: filled, event: fill('1.50') }]);
    expect(await count('fills')).toBe(1);
    expect(await count('audit_log')).toBe(audited);
    expect((await repo.events('x-1')).map((e) => e.kind)).toEqual([
      'OrderInitialized',
      'OrderSubmitted',
      'OrderFilled',
    ]);
    const before = await Promise.all([count('order_events'), count('audit_log')]);
    await expect(
      repo.commitBatch([...entry('x-2'), { after: filled, event: fill('1.6') }]),
    ).rejects.toMatchObject({ code: 'FILL_CONFLICT' });
    expect(await Promise.all([count('order_events'), count('audit_log')])).toEqual(before);
    expect(await repo.order('x-2')).toBeUndefined();
    expect((await chain()).broken).toBeNull();
  });
});
