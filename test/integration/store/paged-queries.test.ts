import { money, price, quantity } from '../../../src/trading/core/money.js';
import type { Fill } from '../../../src/trading/model/fill.js';
import { orderRef, type OrderEvent } from '../../../src/trading/model/order-events.js';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { RiskRepository } from '../../../src/store/risk-repository.js';
import { newOrder } from '../../support/builders.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

describe.each(DIALECTS)('paged queries for the API on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store.drop();
  });

  const fillOf = (clientOrderId: string, tradeId: string, ts: number): Fill => ({
    venue: 'SIM',
    tradeId,
    accountId: '',
    clientOrderId,
    instrumentId: 'TEST/USD',
    side: 'BUY',
    price: price('100'),
    quantity: quantity('1'),
    fee: money('0.1', 'USD'),
    liquidity: 'TAKER',
    ts,
  });

  async function orderWithFills(repo: OrderRepository, id: string, owner: string, fills: Fill[]) {
    const order = newOrder(
      { accountId: repo.accountId, strategyId: owner, quantity: quantity('10') },
      id,
    );
    const ids = orderRef(order);
    await repo.insertOrder(order, { kind: 'OrderInitialized', ...ids, ts: 1, order });
    for (const f of fills) {
      const fill = { ...f, accountId: repo.accountId };
      const e: OrderEvent = { kind: 'OrderFilled', ...ids, ts: fill.ts, fill };
      expect(await repo.recordEvent(order, e)).toBe(true);
    }
  }

  it('pages an owner’s fills newest first with a stable cursor, scoped to owner and account', async () => {
    const repo = new OrderRepository(store.db, 'desk');
    // Two fills share a time stamp: the cursor must still split them without loss or overlap.
    await orderWithFills(repo, 'a1', 'user:a', [fillOf('a1', 'T1', 10), fillOf('a1', 'T2', 20)]);
    await orderWithFills(repo, 'a2', 'user:a', [fillOf('a2', 'T3', 20), fillOf('a2', 'T4', 30)]);
    await orderWithFills(repo, 'b1', 'user:b', [fillOf('b1', 'T5', 40)]);

    const seen: string[] = [];
    let before: string | undefined;
    for (let pages = 0; ; pages++) {
      const page = await repo.fillsPage('user:a', { limit: 3, ...(before ? { before } : {}) });
      seen.push(...page.fills.map((f) => f.tradeId));
      if (page.next === null) break;
      before = page.next;
      expect(pages).toBeLessThan(3);
    }
    expect(seen).toEqual(['T4', 'T3', 'T2', 'T1']);
    const one = await repo.fillsPage('user:a', { limit: 2 });
    const two = await repo.fillsPage('user:a', { limit: 2, before: one.next! });
    expect([...one.fills, ...two.fills].map((f) => f.tradeId)).toEqual(['T4', 'T3', 'T2', 'T1']);
    expect(two.next).toBeNull();
    expect((await repo.fillsPage('user:b', { limit: 10 })).fills.map((f) => f.tradeId)).toEqual([
      'T5',
    ]);
    expect((await repo.fillsPage('user:c', { limit: 10 })).fills).toEqual([]);
    const other = new OrderRepository(store.db, 'another-account');
    expect((await other.fillsPage('user:a', { limit: 10 })).fills).toEqual([]);
    await expect(repo.fillsPage('user:a', { limit: 1, before: 'junk' })).rejects.toMatchObject({
      code: 'CURSOR_INVALID',
    });
  });

  it('pages the audit log by seq within a time range', async () => {
    // The range is of wall time: the log's clock is the test's.
    let wall = 0;
    const audit = new AuditRepository(store.db, () => wall);
    const base = (await audit.last())?.seq ?? 0;
    const start = 1_000_000 + ((await audit.last())?.wallTs ?? 0);
    for (let i = 0; i < 5; i++) {
      wall = start + i * 10;
      await audit.append({
        ts: start + i * 10,
        actor: 'x',
        role: 'test',
        action: 'test.paged',
        subject: String(i),
      });
    }
    const range = { from: start, to: start + 40 };
    const first = await audit.page({ ...range, after: 0, limit: 2 });
    expect(first.map((r) => r.seq)).toEqual([base + 1, base + 2]);
    const next = await audit.page({ ...range, after: first[1]!.seq, limit: 10 });
    // `to` is exclusive: the fifth row (start + 40) is out.
    expect(next.map((r) => r.subject)).toEqual(['2', '3']);
    expect(next[0]!.prevHash).toBe(first[1]!.hash);
  });

  it('records a risk change with the role and action it is given', async () => {
    const risk = new RiskRepository(store.db);
    const audit = new AuditRepository(store.db);
    await risk.setState({}, 'HALTED', 'panic', 'user:t', 5, {
      role: 'trader',
      action: 'risk.halted',
    });
    expect(await audit.last()).toMatchObject({
      actor: 'user:t',
      role: 'trader',
      action: 'risk.halted',
    });
    await risk.setLimit({}, 'maxPosition', '3', 'user:r', 6);
    expect(await audit.last()).toMatchObject({ role: 'risk', action: 'risk.limit_changed' });
  });
});
