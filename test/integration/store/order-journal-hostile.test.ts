import { applyOrderEvent } from '../../../src/trading/model/apply-order-event.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { newOrder } from '../../support/builders.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

describe.each(DIALECTS)('the order journal on %s with text Postgres cannot keep', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store.drop();
  });

  it('a NUL or lone surrogate in one order (tag, reason) never fails the group commit of the others', async () => {
    const repo = new OrderRepository(store.db, 'acct');
    const items = ['ok-1', 'bad-1', 'ok-2', 'bad-2'].map((id) => {
      const hostile = id.startsWith('bad');
      const o = newOrder({ accountId: 'acct', tag: hostile ? 'a\u0000b\ud800' : 'plain' }, id);
      const ids = { clientOrderId: id, strategyId: 's', instrumentId: 'TEST/USD' };
      const denied: OrderEvent = {
        kind: 'OrderDenied',
        ...ids,
        ts: 2,
        reason: hostile ? 'venue said \udc00\u0000' : 'RISK',
        message: hostile ? '\ud800' : 'no',
      } as OrderEvent;
      return [
        { after: o, event: { kind: 'OrderInitialized', ...ids, ts: 1, order: o } as OrderEvent },
        { after: applyOrderEvent(o, denied), event: denied },
      ];
    });
    await repo.commitBatch(items.flat());
    const stored = await repo.orders(['ok-1', 'bad-1', 'ok-2', 'bad-2']);
    expect(stored).toHaveLength(4);
    const bad = stored.find((o) => o.clientOrderId === 'bad-1')!;
    expect(bad.tag).toBe('a\ufffdb\ufffd');
    expect(bad.reason).toBe('venue said \ufffd\ufffd');
    expect((await repo.events('bad-2')).map((e) => e.kind)).toEqual([
      'OrderInitialized',
      'OrderDenied',
    ]);
  });
});
