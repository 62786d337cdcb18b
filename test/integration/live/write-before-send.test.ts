import { MessageBus } from '../../../src/trading/bus/message-bus.js';
import { Endpoints, Topics } from '../../../src/trading/bus/topics.js';
import { ExecutionEngine } from '../../../src/trading/execution/execution-engine.js';
import type { ExecutionClient } from '../../../src/trading/execution/execution-client.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import { OrderJournal } from '../../../src/trading/live/order-journal.js';
import { WriteAheadClient } from '../../../src/trading/live/write-ahead-client.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { newOrder } from '../../support/builders.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

describe.each(DIALECTS)('write before send on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeEach(async () => {
    store = await freshStore(dialect);
  });
  afterEach(async () => {
    await store.drop();
  });

  function node() {
    const bus = new MessageBus();
    const repo = new OrderRepository(store.db, 'acct');
    const seenAtSend: string[] = [];
    const reads: Promise<unknown>[] = [];
    const refused: string[] = [];
    const alerts: Alert[] = [];
    bus.subscribe<Alert>(Topics.alerts, (a) => alerts.push(a));
    const engine: { exec?: ExecutionEngine } = {};
    const venue: ExecutionClient = {
      submit: (o, ts) => {
        // What is committed at the moment the venue is called.
        reads.push(
          repo
            .order(o.clientOrderId)
            .then((stored) => seenAtSend.push(`${o.clientOrderId}:${stored?.status ?? 'MISSING'}`)),
        );
        engine.exec!.process({
          kind: 'OrderAccepted',
          clientOrderId: o.clientOrderId,
          accountId: 'acct',
          strategyId: o.strategyId,
          instrumentId: o.instrumentId,
          ts,
          venueOrderId: `V-${o.clientOrderId}`,
        });
      },
      cancel: () => undefined,
    };
    const journal = new OrderJournal(bus, repo, (id) => engine.exec!.order(id));
    const client = new WriteAheadClient(venue, journal, (id) => refused.push(id));
    const exec = (engine.exec = new ExecutionEngine(bus, () => client));
    const submit = (id: string) => {
      const order = newOrder({ accountId: 'acct' }, id);
      exec.add(order);
      bus.send(Endpoints.execution, { kind: 'SubmitOrder', order, ts: 1 });
    };
    return { repo, journal, client, exec, submit, seenAtSend, reads, refused, alerts };
  }

  it('commits every order as SUBMITTED before the venue sees it, and journals the venue events', async () => {
    const n = node();
    for (let i = 1; i <= 20; i++) n.submit(`c${i}`);
    await n.client.idle();
    await n.journal.committed();
    // Each read was started at the moment of its send; wait for all of them, not for a tick.
    await Promise.all(n.reads);
    for (let i = 1; i <= 20; i++) {
      expect((await n.repo.order(`c${i}`))!.status).toBe('ACCEPTED');
      expect((await n.repo.events(`c${i}`)).map((e) => e.kind)).toEqual([
        'OrderInitialized',
        'OrderSubmitted',
        'OrderAccepted',
      ]);
    }
    expect(n.seenAtSend).toHaveLength(20);
    expect(n.seenAtSend.every((s) => /:(SUBMITTED|ACCEPTED)$/.test(s))).toBe(true);
  });

  it('fails closed: when the store cannot be written, nothing is sent and an alert is raised', async () => {
    const n = node();
    await store.db.schema.dropTable('order_events').cascade().execute();
    n.submit('c1');
    n.submit('c2');
    await n.client.idle();
    expect(n.seenAtSend).toEqual([]);
    expect(n.refused).toEqual(['c1', 'c2']);
    expect(n.journal.failure).not.toBeNull();
    expect(n.alerts.map((a) => a.code)).toContain('PERSISTENCE_FAILED');
  });
});
