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

describe.each(DIALECTS)('fills reported late, on %s', (dialect) => {
  // One store for the dialect (a store is ~1 s of CPU on PGlite): the first test alone writes to
  // it; the others reconcile an OMS with no store behind it.
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store?.drop();
  });

  it('a trade reported after its cancel is applied by reconciliation: stored, counted in the order and the position, and raised', async () => {
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
    const ids = {
      clientOrderId: 'late-1',
      accountId: 'paper',
      strategyId: 's',
      instrumentId: inst.id,
    };
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
    const audit = await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER);
    expect(audit.at(-1)).toMatchObject({ action: 'order.filled', subject: 'late-1' });
    // Asked again, the same trade changes nothing.
    expect((await reconcile(exec, venue, bus, 0, 11)).fillsApplied).toBe(0);
  });

  it('a lost fill of an open order older than the last known fill is found from the order itself', async () => {
    const { inst, bus, exec, alerts, open } = acceptedOrders();
    open('old', 1);
    open('new', 3);
    const t1 = { ...fill('BUY', '10', '1', '0', 'T1'), clientOrderId: 'old', ts: 2 }; // lost
    const t2 = { ...fill('BUY', '10', '5', '0', 'T2'), clientOrderId: 'new', ts: 5 };
    exec.process({ kind: 'OrderFilled', ...idsOf('new', inst.id), ts: 5, fill: t2 });
    const asked: number[] = [];
    const venue: VenueQueries = {
      orderByClientId: (id) =>
        Promise.resolve({
          clientOrderId: id,
          venueOrderId: `V-${id}`,
          status: id === 'old' ? 'OPEN' : 'FILLED',
          filledQuantity: quantity(id === 'old' ? '1' : '5'),
          reason: null,
        }),
      openOrders: () => Promise.resolve([]),
      tradesSince: (ts) => {
        asked.push(ts);
        return Promise.resolve([t1, t2].filter((t) => t.ts >= ts));
      },
    };
    const result = await reconcile(exec, venue, bus, 5, 10, new Set(['SIM:T2']));
    expect(asked).toEqual([5, 1]);
    expect(result).toMatchObject({ fillsApplied: 1, drift: [] });
    expect(exec.order('old')!.filledQuantity.toFixed()).toBe('1');
    expect(alerts).toEqual([]);
    // Nothing behind: one look-up only.
    asked.length = 0;
    await reconcile(exec, venue, bus, 5, 11, new Set(['SIM:T1', 'SIM:T2']));
    expect(asked).toEqual([5]);
  });

  it('a fill made between the read of the trades and the read of its order is applied, not drift', async () => {
    // A market order the venue fills while reconciliation runs (no private stream): the trades
    // read first do not have it, the order read next says filled.
    const { bus, exec, alerts, open } = acceptedOrders();
    open('mkt', 8);
    const t = { ...fill('BUY', '10', '5', '0', 'T9'), clientOrderId: 'mkt', ts: 9 };
    let filled = false;
    const asked: number[] = [];
    const venue: VenueQueries = {
      orderByClientId: (id) => {
        filled = true; // the venue matched it just before this read
        return Promise.resolve({
          clientOrderId: id,
          venueOrderId: `V-${id}`,
          status: 'FILLED',
          filledQuantity: quantity('5'),
          reason: null,
        });
      },
      openOrders: () => Promise.resolve([]),
      tradesSince: (ts) => {
        asked.push(ts);
        return Promise.resolve(filled ? [t].filter((x) => x.ts >= ts) : []);
      },
    };
    const result = await reconcile(exec, venue, bus, 5, 10);
    expect(asked).toEqual([5, 5]);
    expect(result).toMatchObject({ fillsApplied: 1, drift: [] });
    expect(exec.order('mkt')!.filledQuantity.toFixed()).toBe('5');
    expect(alerts).toEqual([]);
  });
});

/** An OMS with no venue behind it, its alerts, and `open`: an order of 5 made and accepted at `ts`. */
function acceptedOrders() {
  const inst = instrument();
  const bus = new MessageBus();
  const alerts: Alert[] = [];
  bus.subscribe<Alert>(Topics.alerts, (a) => alerts.push(a));
  const exec = new ExecutionEngine(bus, () => ({
    submit: () => undefined,
    cancel: () => undefined,
  }));
  const open = (id: string, ts: number) => {
    const order = newOrder({ quantity: quantity('5'), createdAt: ts }, id);
    exec.add(order);
    bus.send(Endpoints.execution, { kind: 'SubmitOrder', order, ts });
    exec.process({ kind: 'OrderAccepted', ...idsOf(id, inst.id), ts, venueOrderId: `V-${id}` });
  };
  return { inst, bus, exec, alerts, open };
}

function idsOf(clientOrderId: string, instrumentId: string) {
  return { clientOrderId, accountId: 'paper', strategyId: 's', instrumentId };
}
