import fc from 'fast-check';
import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Topics } from '../../../../src/trading/bus/topics.js';
import type {
  CommitDurability,
  OrderStore,
} from '../../../../src/trading/execution/order-store.js';
import { OrderJournal } from '../../../../src/trading/live/order-journal.js';
import type { Alert } from '../../../../src/trading/model/alert.js';
import type { Order } from '../../../../src/trading/model/order.js';
import type { OrderEvent } from '../../../../src/trading/model/order-events.js';
import { newOrder } from '../../../support/builders.js';

type Kind = 'OrderInitialized' | 'OrderSubmitted' | 'OrderAccepted' | 'OrderFilled';

/**
 * A store that models a database's log: a commit is visible at once, durable when it was
 * flushed or a later flushed commit or `flush()` came after it (the log is written in order).
 * Each call waits until the test lets it finish (`finish`), and may be told to fail.
 */
class ModelStore {
  readonly visible: OrderEvent[] = [];
  durableCount = 0;
  readonly calls: { op: 'commit' | 'flush'; durability?: CommitDurability; kinds?: Kind[] }[] = [];
  #pending: { run: () => void; fail: (e: Error) => void } | null = null;
  /** Calls after a failure (the journal must make none). */
  callsAfterFailure = 0;
  failed = false;
  flushes = true;

  get pending(): boolean {
    return this.#pending !== null;
  }

  /** Lets the running call finish (or fail: with `fail` when it is an error). */
  finish(fail: boolean | Error = false): void {
    const p = this.#pending!;
    this.#pending = null;
    if (fail) {
      this.failed = true;
      p.fail(fail instanceof Error ? fail : new Error('disk gone'));
    } else p.run();
  }

  #call(run: () => void): Promise<void> {
    if (this.failed) this.callsAfterFailure++;
    if (this.#pending) throw new Error('two store calls at once');
    return new Promise((resolve, reject) => {
      this.#pending = {
        run: () => {
          run();
          resolve();
        },
        fail: reject,
      };
    });
  }

  readonly port = (): OrderStore => {
    const unused = () => Promise.reject(new Error('not used'));
    const store: OrderStore = {
      insertOrder: unused,
      recordEvent: unused,
      order: unused,
      orderByVenueId: unused,
      orders: unused,
      restorable: unused,
      fills: unused,
      fillsOf: unused,
      ledgerStart: unused,
      saveLedgerCheckpoint: unused,
      storedFills: unused,
      events: unused,
      eventsOf: unused,
      eventsAfter: unused,
      commitBatch: (items, durability = 'flushed') => {
        this.calls.push({
          op: 'commit',
          durability,
          kinds: items.map((i) => i.event.kind as Kind),
        });
        return this.#call(() => {
          this.visible.push(...items.map((i) => i.event));
          if (durability === 'flushed') this.durableCount = this.visible.length;
        });
      },
    };
    if (this.flushes)
      store.flush = () => {
        this.calls.push({ op: 'flush' });
        return this.#call(() => {
          this.durableCount = this.visible.length;
        });
      };
    return store;
  };
}

const ids = (id: string) => ({
  clientOrderId: id,
  accountId: 'paper',
  strategyId: 's',
  instrumentId: 'TEST/USD',
});

function setUp(opts: { flushes?: boolean; maxBatch?: number } = {}) {
  const bus = new MessageBus();
  const model = new ModelStore();
  model.flushes = opts.flushes ?? true;
  const orders = new Map<string, Order>();
  const journal = new OrderJournal(bus, model.port(), (id) => orders.get(id), opts.maxBatch);
  const alerts: Alert[] = [];
  bus.subscribe<Alert>(Topics.alerts, (a) => alerts.push(a));
  let ts = 0;
  const published: OrderEvent[] = [];
  const publish = (kind: Kind, id: string): void => {
    let event: OrderEvent;
    // The OMS holds every order an event is about (the journal skips an event of none).
    const order = orders.get(id) ?? newOrder({}, id);
    orders.set(id, order);
    if (kind === 'OrderInitialized') {
      event = { kind, ...ids(id), ts: ++ts, order };
    } else if (kind === 'OrderAccepted') {
      event = { kind, ...ids(id), venueOrderId: `v-${id}`, ts: ++ts };
    } else if (kind === 'OrderSubmitted') {
      event = { kind, ...ids(id), ts: ++ts };
    } else {
      // The journal stores what the fill says; the model store does not look inside.
      event = { kind: 'OrderFilled', ...ids(id), ts: ++ts } as unknown as OrderEvent;
    }
    published.push(event);
    bus.publish(Topics.orderEvents('s'), event);
  };
  return { journal, model, publish, published, alerts };
}

/** One turn of the event loop. */
const turn = () => new Promise<void>((r) => setImmediate(r));
/**
 * Lets every job the journal can start start (promise callbacks and what they chain, and a batch
 * of venue reports the end of the turn it waits for).
 */
const settle = async () => {
  await turn();
  await turn();
};

describe('OrderJournal: deferred flushes', () => {
  it("commits an order's batch flushed and a batch of venue reports nobody waits on deferred", async () => {
    const { journal, model, publish } = setUp();
    publish('OrderInitialized', 'o-1');
    const sent = journal.durable();
    await settle();
    expect(model.calls.at(-1)).toEqual({
      op: 'commit',
      durability: 'flushed',
      kinds: ['OrderInitialized'],
    });
    model.finish();
    await sent;
    publish('OrderAccepted', 'o-1');
    await settle();
    expect(model.calls.at(-1)).toMatchObject({ durability: 'deferred', kinds: ['OrderAccepted'] });
    model.finish();
    await settle();
    // The next order's commit is flushed, and covers the acknowledgement before it.
    publish('OrderInitialized', 'o-2');
    const next = journal.durable();
    await settle();
    expect(model.calls.at(-1)).toMatchObject({ durability: 'flushed' });
    model.finish();
    await next;
    expect(model.durableCount).toBe(3);
  });

  it('a batch of venue reports waits out its turn: an order written in the same turn joins it, and the batch is flushed', async () => {
    const { journal, model, publish } = setUp();
    publish('OrderAccepted', 'o-1');
    await Promise.resolve();
    publish('OrderInitialized', 'o-2');
    const sent = journal.durable();
    await settle();
    expect(model.calls).toEqual([
      { op: 'commit', durability: 'flushed', kinds: ['OrderAccepted', 'OrderInitialized'] },
    ]);
    model.finish();
    await sent;
    // Alone, it is committed after its turn, deferred.
    publish('OrderFilled', 'o-2');
    await turn();
    expect(model.calls).toHaveLength(1);
    await turn();
    expect(model.calls.at(-1)).toMatchObject({ durability: 'deferred', kinds: ['OrderFilled'] });
    model.finish();
    await settle();
  });

  it('flushes a deferred commit before durable() or committed() resolves on it', async () => {
    const { journal, model, publish } = setUp();
    publish('OrderAccepted', 'o-1');
    await settle();
    expect(model.calls.at(-1)).toMatchObject({ durability: 'deferred' });
    const d = journal.durable(); // asked while the deferred commit runs
    let resolved = false;
    void d.then(() => (resolved = true));
    model.finish();
    await settle();
    expect(resolved).toBe(false);
    expect(model.calls.at(-1)).toEqual({ op: 'flush' });
    model.finish();
    await d;
    expect(model.durableCount).toBe(1);
    publish('OrderFilled', 'o-1');
    const all = journal.committed(); // asked before the batch starts: it is flushed
    await settle();
    expect(model.calls.at(-1)).toMatchObject({ durability: 'flushed' });
    model.finish();
    await all;
    expect(model.durableCount).toBe(2);
  });

  // The write-ahead client sends a group commit's orders one after the other, a few promise
  // callbacks apart, and each send's acknowledgement is journaled at once: the reports of every
  // send made in one turn go in one deferred commit, not the first alone and then the rest.
  it('commits the venue reports of one turn of the event loop together, deferred', async () => {
    const { model, publish } = setUp();
    for (const id of ['o-1', 'o-2', 'o-3']) {
      publish('OrderAccepted', id);
      for (let i = 0; i < 3; i++) await Promise.resolve();
    }
    await settle();
    expect(model.calls).toEqual([
      {
        op: 'commit',
        durability: 'deferred',
        kinds: ['OrderAccepted', 'OrderAccepted', 'OrderAccepted'],
      },
    ]);
    model.finish();
  });

  it('reports waiting for the end of the turn are flushed with an order that joins them, or when awaited', async () => {
    const joined = setUp();
    joined.publish('OrderAccepted', 'o-1');
    await Promise.resolve();
    joined.publish('OrderInitialized', 'o-2');
    await settle();
    expect(joined.model.calls).toEqual([
      { op: 'commit', durability: 'flushed', kinds: ['OrderAccepted', 'OrderInitialized'] },
    ]);
    joined.model.finish();

    const awaited = setUp();
    awaited.publish('OrderAccepted', 'o-1');
    await Promise.resolve();
    const d = awaited.journal.durable();
    await settle();
    expect(awaited.model.calls).toEqual([
      { op: 'commit', durability: 'flushed', kinds: ['OrderAccepted'] },
    ]);
    awaited.model.finish();
    await d;
    expect(awaited.model.durableCount).toBe(1);
  });

  it('never defers on a store without flush', async () => {
    const { journal, model, publish } = setUp({ flushes: false });
    publish('OrderAccepted', 'o-1');
    await settle();
    expect(model.calls.at(-1)).toMatchObject({ durability: 'flushed' });
    model.finish();
    await journal.committed();
  });

  it('a failed deferred commit fails the flush and every later batch (nothing is called)', async () => {
    const { journal, model, publish, alerts } = setUp();
    publish('OrderAccepted', 'o-1');
    await settle();
    publish('OrderInitialized', 'o-2');
    const sent = journal.durable();
    model.finish(true);
    await expect(sent).rejects.toThrow('refused: an earlier write failed');
    await expect(journal.committed()).rejects.toThrow('disk gone');
    expect(model.callsAfterFailure).toBe(0);
    expect(model.visible).toEqual([]);
    expect(alerts.map((a) => a.code)).toEqual(['PERSISTENCE_FAILED']);
  });

  it('alerts a conflict under its own code, anything else as PERSISTENCE_FAILED', async () => {
    const coded = (code: string | number | undefined) =>
      Object.assign(new Error(`refused (${String(code)})`), code === undefined ? {} : { code });
    const cases: [Error, string][] = [
      [coded('FILL_CONFLICT'), 'FILL_CONFLICT'],
      [coded('ORDER_CONFLICT'), 'ORDER_CONFLICT'],
      // Another error's code (Postgres's, Node's) is still a failed write, not a conflict.
      [coded('23505'), 'PERSISTENCE_FAILED'],
      [coded('ECONNRESET'), 'PERSISTENCE_FAILED'],
      [coded(23505), 'PERSISTENCE_FAILED'],
      [coded(undefined), 'PERSISTENCE_FAILED'],
    ];
    const seen: string[][] = [];
    for (const [error] of cases) {
      const { journal, model, publish, alerts } = setUp();
      publish('OrderInitialized', 'o-1');
      const sent = journal.durable();
      await settle();
      model.finish(error);
      await expect(sent).rejects.toBe(error);
      seen.push(alerts.map((a) => a.code));
    }
    expect(seen).toEqual(cases.map(([, code]) => [code]));
  });

  it('commits a burst in batches of at most maxBatch events, in order; a send waits for its own batch only', async () => {
    const { journal, model, publish } = setUp({ maxBatch: 4 });
    const sends: Promise<void>[] = [];
    for (const id of ['o-1', 'o-2', 'o-3', 'o-4', 'o-5']) {
      publish('OrderInitialized', id);
      publish('OrderSubmitted', id);
      sends.push(journal.durable());
    }
    const sent = sends.map(() => false);
    sends.forEach((p, i) => void p.then(() => (sent[i] = true)));
    const batch = ['OrderInitialized', 'OrderSubmitted', 'OrderInitialized', 'OrderSubmitted'];
    await settle();
    // Two orders a batch; one commit at a time, each flushed.
    expect(model.calls).toEqual([{ op: 'commit', durability: 'flushed', kinds: batch }]);
    model.finish();
    await settle();
    // The first batch is durable: its two orders go; the others wait for their own batch.
    expect(sent).toEqual([true, true, false, false, false]);
    expect(model.calls.at(-1)).toEqual({ op: 'commit', durability: 'flushed', kinds: batch });
    model.finish();
    await settle();
    expect(sent).toEqual([true, true, true, true, false]);
    expect(model.calls.at(-1)!.kinds).toEqual(['OrderInitialized', 'OrderSubmitted']);
    model.finish();
    await settle();
    expect(sent).toEqual([true, true, true, true, true]);
    expect(model.durableCount).toBe(10);
    expect(model.calls).toHaveLength(3);
    expect(model.pending).toBe(false);
  });

  // Any interleaving of events, waits and store outcomes: what `durable()`/`committed()` promise
  // is on disk when they resolve, the store sees the events in order, one call at a time, and
  // nothing after a failure; our own orders are never committed with their flush deferred.
  it('keeps write-before-send and fail-closed under any interleaving (property)', async () => {
    const action = fc.oneof(
      fc.record({
        t: fc.constant('event' as const),
        kind: fc.constantFrom<Kind>(
          'OrderInitialized',
          'OrderSubmitted',
          'OrderAccepted',
          'OrderFilled',
        ),
      }),
      fc.record({
        t: fc.constantFrom('durable' as const, 'committed' as const, 'stored' as const),
      }),
      fc.record({ t: fc.constant('finish' as const), fail: fc.boolean() }),
      fc.record({ t: fc.constant('settle' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { maxLength: 40 }),
        fc.boolean(),
        // Small batches too: a burst split into several commits keeps the same promises.
        fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        async (script, flushes, maxBatch) => {
          const { journal, model, publish, published } = setUp({ flushes, maxBatch });
          const waits: Promise<void>[] = [];
          let n = 0;
          const wait = (p: Promise<void>, covers: number) =>
            waits.push(
              p.then(
                () => {
                  // Resolved: every event published before the call is committed and durable.
                  expect(model.failed).toBe(false);
                  expect(model.durableCount).toBeGreaterThanOrEqual(covers);
                },
                () => expect(model.failed).toBe(true),
              ),
            );
          for (const a of script) {
            if (a.t === 'event') publish(a.kind, `o-${a.kind === 'OrderInitialized' ? ++n : n}`);
            else if (a.t === 'stored') {
              const covers = published.length;
              waits.push(
                journal.stored().then(
                  // Resolved: every event published before the call is committed (read).
                  () => expect(model.visible.length).toBeGreaterThanOrEqual(covers),
                  () => expect(model.failed).toBe(true),
                ),
              );
            } else if (a.t === 'durable') wait(journal.durable(), published.length);
            else if (a.t === 'committed') wait(journal.committed(), published.length);
            else if (a.t === 'finish') {
              if (model.pending) model.finish(a.fail && !model.failed);
            } else await settle();
          }
          wait(journal.committed(), published.length);
          // Drain: every call the journal makes finishes.
          for (let i = 0; i < 1_000; i++) {
            await settle();
            if (!model.pending) break;
            model.finish();
          }
          await Promise.all(waits);
          expect(model.pending).toBe(false);
          expect(model.callsAfterFailure).toBe(0);
          // In order, no gaps: what is stored is a prefix of what was published.
          expect(model.visible).toEqual(published.slice(0, model.visible.length));
          if (!model.failed) expect(model.durableCount).toBe(published.length);
          for (const c of model.calls) {
            if (c.durability === 'deferred') {
              expect(flushes).toBe(true);
              expect(c.kinds!.every((k) => k === 'OrderAccepted' || k === 'OrderFilled')).toBe(
                true,
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('OrderJournal: what waits on it', () => {
  it("starts an order's commit at once, not at the end of the turn", async () => {
    const { journal, model, publish } = setUp();
    publish('OrderInitialized', 'o-1');
    const sent = journal.durable();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(model.calls).toEqual([
      { op: 'commit', durability: 'flushed', kinds: ['OrderInitialized'] },
    ]);
    model.finish();
    await sent;
  });

  it('stored() resolves once the events so far are committed, and asks no flush', async () => {
    const { journal, model, publish } = setUp();
    publish('OrderAccepted', 'o-1');
    const first = journal.stored();
    publish('OrderFilled', 'o-1'); // the same turn: the same batch
    const both = journal.stored();
    let resolved = false;
    void both.then(() => (resolved = true));
    await settle();
    expect(model.calls).toEqual([
      { op: 'commit', durability: 'deferred', kinds: ['OrderAccepted', 'OrderFilled'] },
    ]);
    expect(resolved).toBe(false);
    model.finish();
    await Promise.all([first, both]);
    expect(model.visible).toHaveLength(2);
    // Read by others, its flush still deferred: no flush was asked for.
    expect(model.calls).toHaveLength(1);
    expect(model.durableCount).toBe(0);
    // After a failed write it rejects, with the write's error.
    publish('OrderFilled', 'o-1');
    const lost = journal.stored();
    await settle();
    const disk = new Error('disk full');
    model.finish(disk);
    await expect(lost).rejects.toBe(disk);
  });

  it("placeOf a mark taken after its events were committed answers at once and asks no flush (a strategy snapshot's place costs no flush)", async () => {
    const { journal, model, publish } = setUp();
    publish('OrderAccepted', 'o-1');
    await settle();
    model.finish(); // committed, its flush deferred
    await journal.stored();
    const mark = journal.mark();
    let place: number | null | undefined | 'waiting' = 'waiting';
    void journal.placeOf(mark).then((p) => (place = p));
    await settle();
    // The store answered no places (this model store): undefined, not a wait for a flush.
    expect(place).toBeUndefined();
    expect(model.calls.filter((c) => c.op === 'flush')).toHaveLength(0);
    expect(model.pending).toBe(false);
  });

  it('an event written while a full batch waits joins the next batch waiting, not a batch of its own', async () => {
    const { model, publish } = setUp({ maxBatch: 2 });
    publish('OrderInitialized', 'o-1'); // its commit starts at once
    await settle();
    publish('OrderInitialized', 'o-2');
    publish('OrderInitialized', 'o-3'); // the batch waiting is full
    publish('OrderInitialized', 'o-4'); // a third batch waits behind it
    model.finish();
    await settle(); // the second batch's commit starts; the third still waits
    publish('OrderInitialized', 'o-5');
    model.finish();
    await settle();
    model.finish();
    await settle();
    expect(model.calls.map((c) => c.kinds!.length)).toEqual([1, 2, 2]);
    expect(model.visible.map((e) => e.clientOrderId)).toEqual(['o-1', 'o-2', 'o-3', 'o-4', 'o-5']);
    expect(model.pending).toBe(false);
  });

  it('flushes a deferred commit once, however often it is waited on', async () => {
    const { journal, model, publish } = setUp();
    publish('OrderAccepted', 'o-1');
    await settle();
    model.finish(); // committed, deferred
    await settle();
    const first = journal.durable();
    await settle();
    expect(model.calls.at(-1)).toEqual({ op: 'flush' });
    model.finish();
    await first;
    await journal.durable();
    await journal.committed();
    expect(model.calls.filter((c) => c.op === 'flush')).toHaveLength(1);
    expect(model.durableCount).toBe(1);
  });

  it('says it failed, with the error, and alerts with the write error named', async () => {
    const { journal, model, publish, alerts } = setUp();
    publish('OrderInitialized', 'o-1');
    const sent = journal.durable();
    await settle();
    expect(journal.failure).toBeNull();
    const disk = new Error('disk full');
    model.finish(disk);
    await expect(sent).rejects.toBe(disk);
    expect(journal.failure).toBe(disk);
    expect(alerts).toEqual([
      {
        kind: 'Alert',
        code: 'PERSISTENCE_FAILED',
        message: 'order journal write failed: disk full',
        ts: 1,
      },
    ]);
  });
});
