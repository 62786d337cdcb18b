import { Migrator, sql } from 'kysely';
import { GENESIS_HASH } from '../../../src/security/audit/chain.js';
import { firstBreak } from '../../../src/security/audit/first-break.js';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import { migrations } from '../../../src/store/migrations/index.js';
import { migrate } from '../../../src/store/open-store.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { applyOrderEvent } from '../../../src/trading/model/apply-order-event.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { orderRef } from '../../../src/trading/model/order-events.js';
import { journalEntry, newOrder } from '../../support/builders.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

/**
 * Migration 0014 took from the order journal's rows what each paid for and none needed: the
 * foreign key of `order_events` (a lookup and a row lock an event), the audit log's unique index
 * on `hash` and index on (`ts`, `seq`), and the counted form of its hex checks. What they kept
 * out must stay out: an event of an order not stored, a deleted order, a malformed hash, a batch
 * half written; and the chain still verifies.
 */
describe.each(DIALECTS)('the journal’s rows after migration 0014 on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store.drop();
  });

  const count = async (text: string) =>
    Number((await sql<{ n: string }>`${sql.raw(text)}`.execute(store.db)).rows[0]!.n);
  const orphans = () =>
    count(`select count(*) as n from order_events e
      where not exists (select 1 from orders o where o.client_order_id = e.client_order_id)`);
  const chainBreak = async () => {
    const rows = await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER);
    return firstBreak(
      rows.map((record) => ({ ok: true, record })),
      { firstSeq: 1, anchorHash: GENESIS_HASH, count: rows.length, lastHash: rows.at(-1)!.hash },
    );
  };

  it('refuses an event of an order it does not hold (ORDER_NOT_STORED), writing nothing of it', async () => {
    const repo = new OrderRepository(store.db, 'acct');
    await repo.commitBatch(journalEntry('acct', 'held-1'));
    const ghost = newOrder({ accountId: 'acct' }, 'ghost-1');
    const submitted: OrderEvent = { kind: 'OrderSubmitted', ...orderRef(ghost), ts: 2 };
    const events = await count('select count(*) as n from order_events');
    const audit = await count('select count(*) as n from audit_log');
    await expect(
      repo.recordEvent(applyOrderEvent(ghost, submitted), submitted),
    ).rejects.toMatchObject({ code: 'ORDER_NOT_STORED' });
    expect(await count('select count(*) as n from order_events')).toBe(events);
    expect(await count('select count(*) as n from audit_log')).toBe(audit);
    expect(await orphans()).toBe(0);
    expect(await chainBreak()).toBeNull();
  });

  it('a batch refused for one order writes no event of any (no orphan events); the chain verifies', async () => {
    const repo = new OrderRepository(store.db, 'acct');
    await repo.commitBatch(journalEntry('acct', 'taken-1'));
    // Head known: the one statement, then the transaction, each refuse the batch whole.
    const batch = [
      ...journalEntry('acct', 'fresh-1'),
      ...journalEntry('acct', 'taken-1'),
      ...journalEntry('acct', 'fresh-2'),
    ];
    const events = await count('select count(*) as n from order_events');
    await expect(repo.commitBatch(batch)).rejects.toMatchObject({ code: 'ORDER_CONFLICT' });
    expect(await count('select count(*) as n from order_events')).toBe(events);
    expect(
      await count(`select count(*) as n from orders where client_order_id like 'fresh-%'`),
    ).toBe(0);
    // Many orders in one batch: every event has its order, every row its link.
    await repo.commitBatch(
      Array.from({ length: 300 }, (_, i) => journalEntry('acct', `many-${i}`)).flat(),
    );
    expect(
      await count(`select count(*) as n from order_events where client_order_id like 'many-%'`),
    ).toBe(600);
    expect(await orphans()).toBe(0);
    expect(await chainBreak()).toBeNull();
  });

  it('never deletes an order', async () => {
    await expect(sql`delete from orders`.execute(store.db)).rejects.toThrow(/never deleted/);
    expect(await count('select count(*) as n from orders')).toBeGreaterThan(0);
  });

  it('refuses a hash or previous hash that is not 64 lower-case hex digits', async () => {
    const good = 'a'.repeat(64);
    const insert = (hash: string, prev: string) =>
      sql`insert into audit_log (seq, ts, wall_ts, hash_version, actor, role, action, subject,
          payload, prev_hash, hash)
        values (1000000, 1, 1, 2, 'x', 'x', 'x', 'x', '{}', ${prev}, ${hash})`.execute(store.db);
    for (const bad of ['A'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), `${'a'.repeat(63)}g`, '']) {
      await expect(insert(bad, good)).rejects.toThrow(/audit_log_hash_check/);
      await expect(insert(good, bad)).rejects.toThrow(/audit_log_prev_hash_check/);
    }
    expect(await count('select count(*) as n from audit_log where seq = 1000000')).toBe(0);
  });

  it('migrates down (the foreign key back) and up again', async () => {
    const migrator = new Migrator({
      db: store.db,
      provider: migrations,
      ...(store.schema ? { migrationTableSchema: store.schema } : {}),
    });
    // (Down past the migrations after it too.)
    const down = await migrator.migrateTo('0013-strategy-instrument');
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => r.migrationName)).toEqual([
      '0016-snapshot-events-through',
      '0015-ledger-checkpoints',
      '0014-journal-write-cost',
    ]);
    await expect(
      sql`insert into order_events (client_order_id, kind, ts, payload)
        values ('ghost-2', 'OrderAccepted', 1, '{}')`.execute(store.db),
    ).rejects.toThrow(/foreign key/);
    expect(await migrate(store.db, store.schema)).toEqual([
      '0014-journal-write-cost',
      '0015-ledger-checkpoints',
      '0016-snapshot-events-through',
    ]);
    const repo = new OrderRepository(store.db, 'acct');
    await repo.commitBatch(journalEntry('acct', 'after-up'));
    expect(await orphans()).toBe(0);
    expect(await chainBreak()).toBeNull();
  });
});
