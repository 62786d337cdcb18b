import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { price, quantity } from '../../../src/trading/core/money.js';
import { TradingCore, type NodeVenue } from '../../../src/trading/live/trading-core.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import { applyOrderEvent } from '../../../src/trading/model/apply-order-event.js';
import { orderRef, type OrderEvent } from '../../../src/trading/model/order-events.js';
import { PaperVenue } from '../../../src/trading/venues/paper/paper-venue.js';
import { newOrder } from '../../support/builders.js';
import { btcInstrument } from '../../support/paper-args.js';
import { anyStore } from '../../support/stores.js';

/** A venue's queries, counted. */
function counted(v: NodeVenue) {
  const asked = { orderByClientId: 0, openOrders: 0 };
  const venue: NodeVenue = {
    submit: (o, ts) => v.submit(o, ts),
    cancel: (id, ts) => v.cancel(id, ts),
    onBar: (b) => v.onBar(b),
    orderByClientId: (id) => (asked.orderByClientId++, v.orderByClientId(id)),
    openOrders: () => (asked.openOrders++, v.openOrders()),
    tradesSince: (ts) => v.tradesSince(ts),
  };
  return { venue, asked };
}

describe('recovery of orders committed and maybe never sent (sendUnsent)', () => {
  const inst = btcInstrument();
  let dir: string;
  let store: Awaited<ReturnType<typeof anyStore>>;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-recovery-requests-'));
    store = await anyStore();
  });
  afterAll(async () => {
    await store.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('30 unacknowledged orders, 28 at the venue: one open-orders answer and 2 look-ups find the 2 never sent', async () => {
    const file = path.join(dir, 'venue.json');
    const orders = new OrderRepository(store.db, 'desk');
    // Committed SUBMITTED (the node died before their answers were stored); all but two were sent.
    const ids = Array.from({ length: 30 }, (_, i) => `k-${i}`);
    const unsent = new Set(['k-3', 'k-17']);
    const before = new PaperVenue(file, { venue: 'PAPER', instruments: [inst] }, () => undefined);
    for (const id of ids) {
      const o = newOrder(
        {
          accountId: 'desk',
          instrumentId: inst.id,
          type: 'LIMIT',
          price: price('1'),
          quantity: quantity('0.001'),
          createdAt: 1,
        },
        id,
      );
      const submitted: OrderEvent = { kind: 'OrderSubmitted', ...orderRef(o), ts: 2 };
      const after = applyOrderEvent(o, submitted);
      await orders.commitBatch([
        { after: o, event: { kind: 'OrderInitialized', ...orderRef(o), ts: 1, order: o } },
        { after, event: submitted },
      ]);
      if (!unsent.has(id)) before.submit(after, 2);
    }
    before.close();

    const alerts: Alert[] = [];
    let asked: ReturnType<typeof counted>['asked'] | undefined;
    let paper: PaperVenue | undefined;
    const { core, recovery } = await TradingCore.open({
      accountId: 'desk',
      instruments: [inst],
      cash: { [inst.quote]: '1000' },
      orders,
      venue: (deliver) => {
        paper = new PaperVenue(file, { venue: 'PAPER', instruments: [inst] }, deliver);
        const c = counted(paper);
        asked = c.asked;
        return c.venue;
      },
      sendUnsent: true,
      onAlert: (a) => alerts.push(a),
    });
    expect(alerts.map((a) => a.message.split(':')[0]).sort()).toEqual(['k-17', 'k-3']);
    expect(alerts.map((a) => a.code)).toEqual(['ORDER_SENT_ON_RECOVERY', 'ORDER_SENT_ON_RECOVERY']);
    expect(recovery.drift).toEqual([]);
    for (const id of ids) expect(core.exec.order(id)!.status).toBe('ACCEPTED');
    // The check for unsent orders and the reconciliation each read the venue's open orders once;
    // only the two orders it did not hold were asked for by client order id (were 30 + 30).
    expect(asked).toEqual({ orderByClientId: 2, openOrders: 2 });
    await core.settle();
    paper!.close();
  });
});
