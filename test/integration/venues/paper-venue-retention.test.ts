import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { price, quantity } from '../../../src/trading/core/money.js';
import { TradingCore } from '../../../src/trading/live/trading-core.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import { applyOrderEvent } from '../../../src/trading/model/apply-order-event.js';
import { orderRef, type OrderEvent } from '../../../src/trading/model/order-events.js';
import { PaperVenue } from '../../../src/trading/venues/paper/paper-venue.js';
import { bar, newOrder } from '../../support/builders.js';
import { btcInstrument } from '../../support/paper-args.js';
import { anyStore } from '../../support/stores.js';

const HOUR = 3_600_000;

/**
 * docs/decisions/paper-venue-retention.md: a server's paper account whose store fails while its
 * venue goes on hearing bars past the window (a day here), then is reopened with recovery's
 * `sendUnsent`, against the same account run uninterrupted.
 */
describe('a paper account whose store was down past the venue window', () => {
  const inst = btcInstrument();
  const options = { venue: 'PAPER', instruments: [inst], closedRetentionMs: 24 * HOUR };
  const btcBar = (t: number) => ({ ...bar(100, 101, 99, 100, t), instrumentId: inst.id });
  let dir: string;
  let store: Awaited<ReturnType<typeof anyStore>>;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-venue-window-'));
    store = await anyStore();
  });
  afterAll(async () => {
    await store.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Commits the orders SUBMITTED (no answer stored) and sends those in `sent`. */
  async function committed(account: string, sent: (id: string) => boolean, venue: PaperVenue) {
    const orders = new OrderRepository(store.db, account);
    const specs: [Parameters<typeof newOrder>[0], string][] = [
      [{ quantity: quantity('0.01') }, 'market'],
      [{ type: 'LIMIT', price: price('50'), timeInForce: 'IOC' }, 'ioc'],
      [{ type: 'LIMIT', price: price('50') }, 'rest'],
      [{ type: 'LIMIT', price: price('40') }, 'unsent'],
    ];
    for (const [over, id] of specs) {
      const o = newOrder(
        { quantity: quantity('0.001'), ...over, accountId: account, instrumentId: inst.id },
        `${account}-${id}`,
      );
      const submitted: OrderEvent = { kind: 'OrderSubmitted', ...orderRef(o), ts: 0 };
      const after = applyOrderEvent(o, submitted);
      await orders.commitBatch([
        { after: o, event: { kind: 'OrderInitialized', ...orderRef(o), ts: 0, order: o } },
        { after, event: submitted },
      ]);
      if (sent(id)) venue.submit(after, 0);
    }
    return { orders, ids: specs.map(([, id]) => `${account}-${id}`) };
  }

  async function open(account: string, orders: OrderRepository, file: string) {
    const alerts: Alert[] = [];
    let venue: PaperVenue | undefined;
    const { core } = await TradingCore.open({
      accountId: account,
      instruments: [inst],
      cash: { [inst.quote]: '1000' },
      orders,
      venue: (deliver) => (venue = new PaperVenue(file, options, deliver)),
      sendUnsent: true,
      onAlert: (a) => alerts.push(a),
    });
    return { core, venue: venue!, alerts };
  }

  it('recovers every order as it ended, sends none twice, and ends with the cash of a run uninterrupted', async () => {
    // Uninterrupted: every order sent, the node opened before the bars and hearing them all.
    const fileA = path.join(dir, 'a.json');
    const before = new PaperVenue(fileA, options, () => undefined);
    const a = await committed('a', () => true, before);
    before.close();
    const runA = await open('a', a.orders, fileA);
    for (let i = 1; i <= 49; i++) runA.core.onBar(btcBar(i * HOUR));
    await runA.core.settle();

    // Store down: committed and sent (one order committed, never sent), then the venue goes on
    // for two days, the node hearing nothing; reopened, recovery then one more bar.
    const fileB = path.join(dir, 'b.json');
    const alone = new PaperVenue(fileB, options, () => undefined);
    const b = await committed('b', (id) => id !== 'unsent', alone);
    for (let i = 1; i <= 48; i++) alone.onBar(btcBar(i * HOUR));
    // The window passed: only the resting order's report is left, the rest are tombstones.
    expect(alone.state().reports.map((r) => r.clientOrderId)).toEqual(['b-rest']);
    alone.close();
    const runB = await open('b', b.orders, fileB);
    runB.core.onBar(btcBar(49 * HOUR));
    await runB.core.settle();

    const outcome = async (orders: OrderRepository, ids: readonly string[]) =>
      (await orders.orders(ids))
        .map(
          (o) =>
            `${o.clientOrderId.slice(2)}:${o.status}:${o.reason}:${o.filledQuantity.toFixed()}`,
        )
        .sort();
    expect(await outcome(b.orders, b.ids)).toEqual(await outcome(a.orders, a.ids));
    expect(await outcome(a.orders, a.ids)).toEqual([
      'ioc:CANCELED:IOC_REMAINDER_CANCELED:0',
      'market:FILLED:null:0.01',
      'rest:ACCEPTED:null:0',
      'unsent:ACCEPTED:null:0',
    ]);
    // Only the order never sent was sent on recovery; the venue took as many orders as A's.
    expect(runB.alerts.map((x) => `${x.code} ${x.message.split(':')[0]}`)).toEqual([
      'ORDER_SENT_ON_RECOVERY b-unsent',
    ]);
    const [sa, sb] = [runA.venue.state(), runB.venue.state()];
    expect(sb.orderSeq).toBe(sa.orderSeq);
    expect(sb.duplicatesRefused).toBe(0);
    expect(sb.trades.map((t) => [t.clientOrderId.slice(2), t.price, t.quantity, t.fee])).toEqual(
      sa.trades.map((t) => [t.clientOrderId.slice(2), t.price, t.quantity, t.fee]),
    );
    // The same cash and fills.
    expect(runB.core.ledger.cash(inst.quote).toFixed()).toBe(
      runA.core.ledger.cash(inst.quote).toFixed(),
    );
    const held = (r: typeof runA) => r.core.ledger.position(inst.id).quantity.toFixed();
    expect([held(runA), held(runB)]).toEqual(['0.01', '0.01']);
    expect(runA.core.ledger.cash(inst.quote).toFixed()).not.toBe('1000');
    expect((await b.orders.fills()).length).toBe((await a.orders.fills()).length);
    // Once recovered, each node's settles told its venue the store holds everything: no
    // tombstone is left (B's were needed by its recovery, and kept until it was done).
    expect([runA.venue.held.tombstones, runB.venue.held.tombstones]).toEqual([0, 0]);
    runA.venue.close();
    runB.venue.close();
  });
});
