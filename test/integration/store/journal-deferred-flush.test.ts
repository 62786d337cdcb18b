import { sql } from 'kysely';
import { MemoryMetrics } from '../../../src/monitoring/memory-metrics.js';
import { GENESIS_HASH } from '../../../src/security/audit/chain.js';
import { firstBreak } from '../../../src/security/audit/first-break.js';
import { auditHeadOf, AuditRepository } from '../../../src/store/audit-repository.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { applyOrderEvent } from '../../../src/trading/model/apply-order-event.js';
import type { Order } from '../../../src/trading/model/order.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { newOrder } from '../../support/builders.js';
import { statementKinds } from '../../support/statement-kinds.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

const ids = (id: string, accountId: string) => ({
  clientOrderId: id,
  accountId,
  strategyId: 's',
  instrumentId: 'TEST/USD',
});

/**
 * An order of `accountId` as the journal commits it (created, submitted), and the venue's
 * acknowledgement.
 */
function order(id: string, accountId: string) {
  const o = newOrder({ accountId }, id);
  const submitted: OrderEvent = { kind: 'OrderSubmitted', ...ids(id, accountId), ts: 2 };
  const after = applyOrderEvent(o, submitted);
  const accepted: OrderEvent = {
    kind: 'OrderAccepted',
    ...ids(id, accountId),
    venueOrderId: `v-${id}`,
    ts: 3,
  };
  return {
    placed: [
      {
        after: o,
        event: { kind: 'OrderInitialized', ...ids(id, accountId), ts: 1, order: o } as OrderEvent,
      },
      { after, event: submitted },
    ] as { after: Order; event: OrderEvent }[],
    acked: [{ after: applyOrderEvent(after, accepted), event: accepted }],
  };
}

/**
 * The journal commits the venue's reports with their flush deferred (`synchronous_commit` off
 * for that one statement) on Postgres: the next flushed commit, or `flush()`, makes them
 * durable, and checks they are still stored, so a database that lost them fails closed.
 */
describe.each(DIALECTS)('deferred flushes of the order journal on %s', (dialect) => {
  // One store for the dialect's tests that keep its chain whole (a store is ~1 s of CPU on
  // PGlite), each on an account and client order ids of its own; the two that take a commit back
  // have a store each.
  let store: Awaited<ReturnType<typeof freshStore>>;
  let metrics: MemoryMetrics;
  beforeAll(async () => {
    metrics = new MemoryMetrics();
    store = await freshStore(dialect, metrics);
  });
  afterAll(async () => {
    await store?.drop();
  });
  const commits = () => metrics.histogramValue('kairos_db_commit_duration_seconds')?.count ?? 0;

  it('a deferred commit is visible at once; flush() is one flushed statement after it, and nothing without one', async () => {
    const repo = new OrderRepository(store.db, 'visible');
    const a = order('d-1', 'visible');
    await repo.commitBatch(a.placed); // learns the head
    await repo.commitBatch(a.acked, 'deferred');
    expect((await repo.order('d-1'))!.status).toBe('ACCEPTED');
    // The setting was the statement's own: the session's is as it was.
    // (Whatever the database's own default: the tests' database commits asynchronously, so the
    // value alone would not tell; a setting left by a plain `SET` has the source `session`.)
    const { rows } = await sql<{
      source: string;
    }>`select source from pg_settings where name = 'synchronous_commit'`.execute(store.db);
    expect(rows[0]!.source).not.toBe('session');
    const before = commits();
    await repo.flush();
    // Postgres flushes (one statement); PGlite never deferred, so there is nothing to flush.
    expect(commits()).toBe(before + (dialect === 'postgres' ? 1 : 0));
    await repo.flush();
    expect(commits()).toBe(before + (dialect === 'postgres' ? 1 : 0));
  });

  it('after a deferred commit, another writer moving the head leaves the chain whole', async () => {
    const repo = new OrderRepository(store.db, 'moved');
    const a = order('w-1', 'moved');
    const b = order('w-2', 'moved');
    // The store's chain so far (the other tests'): this test's rows come after it.
    const earlier = (await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER)).length;
    await repo.commitBatch(a.placed);
    await repo.commitBatch(a.acked, 'deferred');
    await new AuditRepository(store.db).append({
      ts: 9,
      actor: 'rita',
      role: 'risk_officer',
      action: 'risk.halted',
      subject: '',
    });
    await repo.commitBatch(b.placed);
    await repo.commitBatch(b.acked, 'deferred');
    await repo.flush();
    const rows = await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER);
    expect(rows.slice(earlier).map((r) => r.action)).toEqual([
      'order.created',
      'order.submitted',
      'order.accepted',
      'risk.halted',
      'order.created',
      'order.submitted',
      'order.accepted',
    ]);
    const broken = firstBreak(
      rows.map((record) => ({ ok: true, record })),
      { firstSeq: 1, anchorHash: GENESIS_HASH, count: rows.length, lastHash: rows.at(-1)!.hash },
    );
    expect(broken).toBeNull();
  });

  it('events with quotes, backslashes, braces, commas and any Unicode go through the one statement as they are', async () => {
    // Counts the statements: the batch must be the one statement, not the transaction a
    // statement the database refused (a malformed array) falls back to.
    const { plugin, kinds: statements } = statementKinds();
    const repo = new OrderRepository(store.db.withPlugin(plugin), 'hostile');
    // Learns the head: the next batch is one statement.
    await repo.commitBatch(order('h-0', 'hostile').placed);
    const nasty = ['q"uote', 'back\\slash\\', '{br,ace}', 'NULL', '', 'é€😀', '\\"{,}"\\'];
    const items = nasty.map((text, i) => {
      const id = `h-${i + 1}${text}`;
      const o = newOrder({ accountId: 'hostile', tag: text }, id);
      const denied = {
        kind: 'OrderDenied',
        ...ids(id, 'hostile'),
        ts: 2,
        reason: text,
        message: `${text}\n${text}`,
      } as OrderEvent;
      return [
        {
          after: o,
          event: { kind: 'OrderInitialized', ...ids(id, 'hostile'), ts: 1, order: o } as OrderEvent,
        },
        { after: applyOrderEvent(o, denied), event: denied },
      ];
    });
    statements.length = 0;
    await repo.commitBatch(items.flat());
    expect(statements).toEqual(['RawNode']);
    for (const pair of items) {
      const id = pair[0]!.event.clientOrderId;
      const { rows } = await sql<{ payload: unknown }>`select payload from order_events
        where client_order_id = ${id} order by seq`.execute(store.db);
      expect(rows.map((r) => r.payload)).toEqual(
        pair.map((p) => JSON.parse(JSON.stringify(p.event)) as unknown),
      );
      expect((await repo.order(id))!.tag).toBe(pair[0]!.after.tag);
    }
  });

  if (dialect === 'postgres')
    describe('a deferred commit the database lost', () => {
      // Each test on a store of its own: it takes the chain's last row back by hand.
      let store: Awaited<ReturnType<typeof freshStore>>;
      beforeEach(async () => {
        store = await freshStore(dialect);
      });
      afterEach(async () => {
        await store.drop();
      });
      const count = async (table: 'orders' | 'audit_log') =>
        Number(
          (
            await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(
              store.db,
            )
          ).rows[0]!.n,
        );

      /**
       * What a database crash before the flush leaves: the deferred transaction gone (its audit
       * row, the head back where it was). Postgres cannot be made to lose a commit here, so the
       * test takes the row and the head back by hand, as the crash would have.
       */
      /** An order placed, then acknowledged in a deferred commit that the database loses. */
      async function deferredThenLost(id: string): Promise<OrderRepository> {
        const repo = new OrderRepository(store.db, 'acct');
        const a = order(id, 'acct');
        await repo.commitBatch(a.placed);
        await repo.commitBatch(a.acked, 'deferred');
        await loseLastAppend();
        return repo;
      }

      async function loseLastAppend(): Promise<void> {
        const [last, prev] = (
          await sql<{ seq: string; ts: string; wall_ts: string; hash: string }>`
          select seq, ts, wall_ts, hash from audit_log order by seq desc limit 2`.execute(store.db)
        ).rows;
        await sql`alter table audit_log disable trigger user`.execute(store.db);
        await sql`delete from audit_log where seq = ${last!.seq}`.execute(store.db);
        await sql`alter table audit_log enable trigger user`.execute(store.db);
        await sql`update audit_head set seq = ${prev!.seq}, ts = ${prev!.ts},
        wall_ts = ${prev!.wall_ts}, hash = ${prev!.hash} where id = 1`.execute(store.db);
      }

      it('a deferred commit the database lost: flush() and every later commit fail AUDIT_HEAD_LOST, writing nothing', async () => {
        const repo = await deferredThenLost('l-1');
        const orders = await count('orders');
        const audit = await count('audit_log');
        await expect(repo.flush()).rejects.toMatchObject({ code: 'AUDIT_HEAD_LOST' });
        await expect(repo.commitBatch(order('l-2', 'acct').placed)).rejects.toMatchObject({
          code: 'AUDIT_HEAD_LOST',
        });
        // The next one too (it is refused, not retried into the chain the database has now).
        await expect(repo.commitBatch(order('l-3', 'acct').placed)).rejects.toMatchObject({
          code: 'AUDIT_HEAD_LOST',
        });
        expect(await count('orders')).toBe(orders);
        expect(await count('audit_log')).toBe(audit);
      });

      it('the lost commit is found even when another writer moved the head past it since', async () => {
        const repo = await deferredThenLost('x-1');
        // Another writer of this store appends on the chain the database has now (it knows
        // nothing lost) and leaves the head it wrote as the store's hint: the journal's next
        // statement finds the head it expects, and must still refuse.
        for (let i = 0; i < 2; i++)
          await new AuditRepository(store.db, Date.now, auditHeadOf(store.db)).append({
            ts: 9,
            actor: 'rita',
            role: 'risk_officer',
            action: 'risk.halted',
            subject: '',
          });
        const orders = await count('orders');
        await expect(repo.commitBatch(order('x-2', 'acct').placed)).rejects.toMatchObject({
          code: 'AUDIT_HEAD_LOST',
        });
        expect(await count('orders')).toBe(orders);
      });
    });
});
