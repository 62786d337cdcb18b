import { MessageBus } from '../../../src/trading/bus/message-bus.js';
import { Endpoints, Topics } from '../../../src/trading/bus/topics.js';
import { quantity } from '../../../src/trading/core/money.js';
import { ExecutionEngine } from '../../../src/trading/execution/execution-engine.js';
import type { VenueQueries } from '../../../src/trading/execution/venue-queries.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { OrderJournal } from '../../../src/trading/live/order-journal.js';
import { reconcile } from '../../../src/trading/live/reconciler.js';
import { Ledger } from '../../../src/trading/portfolio/ledger.js';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { fill, instrument, newOrder } from '../../support/builders.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

describe.each(DIALECTS)('a trade reported after its cancel, on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeEach(async () => {
    store = await freshStore(dialect);
  });
  afterEach(async () => {
    await store.drop();
  });

  it('is applied by reconciliation: stored, counted in the order and the position, and raised', async () => {
    const inst = instrument();
    const bus = new MessageBus();
    const alerts: Alert[] = [];
    bus.subscribe<Alert>(Topics.alerts, (a) => alerts.push(a));
    const repo = new OrderRepository(store.db, 'paper');
    const engine: { exec?: ExecutionEngine } = {};
    const journal = new OrderJournal(bus, repo, (id) => engine.exec!.order(id));
    const exec = (engine.exec = new ExecutionEngine(bus, () => ({
      submit: () => undefined,
      cancel: () => undefined,
    })));
    const ledger = new Ledger({ USD: '1000' });
    bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
      if (e.kind === 'OrderFilled') ledger.applyFill(e.fill, inst);
    });
    const order = newOrder({ quantity: quantity('5') }, 'late-1');
    const ids = { clientOrderId: 'late-1', strategyId: 's', instrumentId: inst.id };
    exec.add(order);
    bus.send(Endpoints.execution, { kind: 'SubmitOrder', order, ts: 1 });
    exec.process({ kind: 'OrderAccepted', ...ids, ts: 2, venueOrderId: 'V1' });
    // The cancel's answer arrives; the report of a trade made just before it was lost.
    exec.process({ kind: 'OrderCanceled', ...ids, ts: 3, reason: 'by user' });
    const trade = { ...fill('BUY', '10', '2', '0.02', 'T-late'), clientOrderId: 'late-1', ts: 2 };
    const venue: VenueQueries = {
      orderByClientId: () => Promise.resolve(null),
      openOrders: () => Promise.resolve([]),
      tradesSince: () => Promise.resolve([trade]),
    };
    const result = await reconcile(exec, venue, bus, 0, 10);
    await journal.committed();

    expect(result.fillsApplied).toBe(1);
    expect(alerts.map((a) => a.code)).toEqual(['LATE_FILL']);
    expect(ledger.position(inst.id).quantity.toFixed()).toBe('2');
    const stored = (await repo.order('late-1'))!;
    expect([stored.status, stored.filledQuantity.toFixed()]).toEqual(['CANCELED', '2']);
    expect((await repo.fills()).map((f) => f.tradeId)).toEqual(['T-late']);
    expect((await repo.events('late-1')).map((e) => e.kind).slice(-2)).toEqual([
      'OrderCanceled',
      'OrderFilled',
    ]);
    const audit = await new AuditRepository(store.db).list(0, 100);
    expect(audit.at(-1)).toMatchObject({ action: 'order.filled', subject: 'late-1' });
    // Asked again, the same trade changes nothing.
    expect((await reconcile(exec, venue, bus, 0, 11)).fillsApplied).toBe(0);
  });
});
