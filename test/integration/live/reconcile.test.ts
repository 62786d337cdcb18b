import { SimulatedExchange } from '../../../src/trading/backtest/simulated-exchange.js';
import { MessageBus } from '../../../src/trading/bus/message-bus.js';
import { Endpoints, Topics } from '../../../src/trading/bus/topics.js';
import { ExecutionEngine } from '../../../src/trading/execution/execution-engine.js';
import type { ExecutionClient } from '../../../src/trading/execution/execution-client.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { quantity } from '../../../src/trading/core/money.js';
import { OrderJournal } from '../../../src/trading/live/order-journal.js';
import { reconcile } from '../../../src/trading/live/reconciler.js';
import { WriteAheadClient } from '../../../src/trading/live/write-ahead-client.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { bar, instrument, newOrder } from '../../support/builders.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

/** A node: OMS + journal + write-ahead client in front of a venue that outlives it. */
function makeNode(
  venue: SimulatedExchange,
  repo: OrderRepository,
  link: { deliver: boolean; drop: Set<string> },
) {
  const bus = new MessageBus();
  const alerts: Alert[] = [];
  bus.subscribe<Alert>(Topics.alerts, (a) => alerts.push(a));
  const engine: { exec?: ExecutionEngine } = {};
  const lossy: ExecutionClient = {
    submit: (o, ts) => {
      venue.submit(o, ts);
      // The venue took it, but the answer was lost on the way back.
      if (link.drop.has(o.clientOrderId))
        engine.exec!.process({
          kind: 'OrderUnknown',
          clientOrderId: o.clientOrderId,
          accountId: o.accountId,
          strategyId: o.strategyId,
          instrumentId: o.instrumentId,
          ts,
          reason: 'TIMEOUT',
        });
    },
    cancel: (id, ts) => venue.cancel(id, ts),
  };
  const journal = new OrderJournal(bus, repo, (id) => engine.exec!.order(id));
  const client = new WriteAheadClient(lossy, journal, () => undefined);
  const exec = (engine.exec = new ExecutionEngine(bus, () => client));
  return { bus, exec, journal, client, alerts };
}

describe.each(DIALECTS)('recovery and reconciliation on %s', (dialect) => {
  // One store for the dialect's tests (a store is ~1 s of CPU on PGlite): each test on an
  // account of its own, with client order ids of its own (the orders' key across accounts).
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store?.drop();
  });

  it('an order between its commit and its send when a reconciliation starts is not taken for one the venue lost', async () => {
    const inst = instrument();
    const venue = new SimulatedExchange({ venue: 'SIM', instruments: [inst] }, (e: OrderEvent) =>
      node.exec.process(e),
    );
    const repo = new OrderRepository(store.db, 'racing');
    // The journal's commit is held until the reconciliation has started (a slow database).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow = Object.assign(Object.create(repo) as OrderRepository, {
      commitBatch: async (...args: Parameters<OrderRepository['commitBatch']>) => {
        await held;
        return repo.commitBatch(...args);
      },
      // The repository's own state (its deferred commits) lives on `repo`, not on this view.
      flush: () => repo.flush(),
    });
    const node = makeNode(venue, slow, { deliver: true, drop: new Set() });
    const order = newOrder({ quantity: quantity('2'), accountId: 'racing' }, 'c-racing');
    node.exec.add(order);
    node.bus.send(Endpoints.execution, { kind: 'SubmitOrder', order, ts: 1 });
    expect(node.exec.order('c-racing')!.status).toBe('SUBMITTED');
    const running = reconcile(node.exec, venue, node.bus, 0, 2, new Set(), async () => {
      await node.client.idle();
      await node.journal.committed();
    });
    release();
    const r = await running;
    expect(r.resolved).toEqual([]);
    expect(node.exec.order('c-racing')!.status).toBe('ACCEPTED');
    expect(node.alerts).toEqual([]);
  });

  it('resolves an unknown outcome by client order id, never sending it twice, and survives a restart', async () => {
    const inst = instrument();
    const link = { deliver: true, drop: new Set(['c2']) };
    const sent: string[] = [];
    let current: ReturnType<typeof makeNode> | null = null;
    const venue = new SimulatedExchange({ venue: 'SIM', instruments: [inst] }, (e: OrderEvent) => {
      if (e.kind === 'OrderAccepted') sent.push(e.clientOrderId);
      if (link.deliver && !(link.drop.has(e.clientOrderId) && e.kind !== 'OrderRejected'))
        current?.exec.process(e);
    });
    const repo = new OrderRepository(store.db, 'unknown');
    const n1 = (current = makeNode(venue, repo, link));
    for (const id of ['c1', 'c2', 'c3']) {
      const order = newOrder({ quantity: quantity('2'), accountId: 'unknown' }, id);
      n1.exec.add(order);
      n1.bus.send(Endpoints.execution, { kind: 'SubmitOrder', order, ts: 1 });
    }
    await n1.client.idle();
    await n1.journal.committed();
    expect(n1.exec.order('c2')!.status).toBe('UNKNOWN');
    // The link drops; the venue fills everything while the node cannot hear it; then the node dies.
    link.deliver = false;
    venue.onBar(bar(100, 101, 99, 100.5, 60_000));
    current = null;

    // Restart: load what was committed, then reconcile before anything else runs.
    link.deliver = true;
    const n2 = (current = makeNode(venue, repo, link));
    const stored = (await repo.restorable({})).open;
    const fills = await repo.fills();
    for (const o of stored)
      n2.exec.restore(
        o,
        fills
          .filter((f) => f.clientOrderId === o.clientOrderId)
          .map((f) => `${f.venue}:${f.tradeId}`),
      );
    const result = await reconcile(n2.exec, venue, n2.bus, 0, 120_000);
    await n2.journal.committed();
    expect(result.drift).toEqual([]);
    expect(result.fillsApplied).toBe(3);
    for (const id of ['c1', 'c2', 'c3']) {
      expect(n2.exec.order(id)!.status).toBe('FILLED');
      expect((await repo.order(id))!.status).toBe('FILLED');
    }
    // Each client order id reached the venue once; nothing was resent.
    expect(sent.sort()).toEqual(['c1', 'c2', 'c3']);
    expect((await repo.fills()).map((f) => f.quantity.toFixed())).toEqual(['2', '2', '2']);
    // A second reconciliation finds nothing to do.
    const again = await reconcile(n2.exec, venue, n2.bus, 0, 130_000);
    expect(again.resolved).toEqual([]);
  });

  it('rejects (never resends) an order the venue never received', async () => {
    const inst = instrument();
    const venue = new SimulatedExchange({ venue: 'SIM', instruments: [inst] }, () => undefined);
    const repo = new OrderRepository(store.db, 'never-sent');
    const link = { deliver: true, drop: new Set<string>() };
    const n = makeNode(venue, repo, link);
    const order = newOrder({ accountId: 'never-sent' }, 'lost');
    n.exec.add(order);
    // Committed as SUBMITTED, then the process died before the send.
    n.exec.process({
      kind: 'OrderSubmitted',
      clientOrderId: 'lost',
      accountId: 'never-sent',
      strategyId: 's',
      instrumentId: inst.id,
      ts: 1,
    });
    await n.journal.committed();
    const n2 = makeNode(venue, repo, link);
    for (const o of (await repo.restorable({})).open) n2.exec.restore(o);
    const r = await reconcile(n2.exec, venue, n2.bus, 0, 2);
    await n2.journal.committed();
    expect(r.resolved).toEqual(['lost']);
    expect((await repo.order('lost'))!.status).toBe('REJECTED');
    expect((await repo.order('lost'))!.reason).toBe('NOT_AT_VENUE');
    expect(await venue.orderByClientId('lost')).toBeNull();
  });
});
