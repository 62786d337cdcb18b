import fc from 'fast-check';
import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Topics } from '../../../../src/trading/bus/topics.js';
import type { OrderStore } from '../../../../src/trading/execution/order-store.js';
import { OrderJournal } from '../../../../src/trading/live/order-journal.js';
import type { Order } from '../../../../src/trading/model/order.js';
import type { OrderEvent } from '../../../../src/trading/model/order-events.js';
import { newOrder } from '../../../support/builders.js';

/**
 * `OrderJournal.mark` / `placeOf`: the store's place (`seq`) of the last event written before a
 * mark, whatever joins the same commit after it (group commit), whatever other writers take
 * between (the store's places have gaps), and past events the store did not write again (a fill
 * already stored: no place). A strategy snapshot saves it as what its strategy had heard.
 */
describe('OrderJournal: the store place of what was written before a mark', () => {
  /**
   * A store whose commits wait until the test lets them end; each event gets a place 1-3 above
   * the last one given (another account's writes between), none when it is a repeat.
   */
  function setUp(tells = true) {
    const bus = new MessageBus();
    const waiting: (() => void)[] = [];
    let seq = 100;
    const gaps = [1, 3, 2, 1, 2];
    const repeats = new Set<OrderEvent>();
    /** The place the store gave each event (null: not written again). */
    const placed = new Map<OrderEvent, number | null>();
    const store = {
      commitBatch: (items: readonly { readonly event: OrderEvent }[]) =>
        new Promise<(number | null)[] | void>((resolve) =>
          waiting.push(() => {
            const places = items.map((i) =>
              repeats.has(i.event) ? null : (seq += gaps[seq % 5]!),
            );
            items.forEach((i, k) => placed.set(i.event, places[k]!));
            resolve(tells ? places : undefined);
          }),
        ),
    } as unknown as OrderStore;
    const orders = new Map<string, Order>();
    const journal = new OrderJournal(bus, store, (id) => orders.get(id));
    let n = 0;
    const written: OrderEvent[] = [];
    const write = (repeat = false): OrderEvent => {
      const id = `o-${++n}`;
      const order = newOrder({}, id);
      orders.set(id, order);
      const event: OrderEvent = {
        kind: 'OrderInitialized',
        clientOrderId: id,
        accountId: 'a',
        strategyId: 's',
        instrumentId: 'TEST/USD',
        ts: n,
        order,
      };
      if (repeat) repeats.add(event);
      written.push(event);
      bus.publish(Topics.orderEvents('s'), event);
      return event;
    };
    /** Lets every commit started end, until none is left (each ends in turn). */
    const commitAll = async () => {
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setImmediate(r));
        const next = waiting.shift();
        if (next) next();
        else if (i > 3) return;
      }
    };
    return { journal, write, commitAll, placed };
  }

  it('a mark inside a commit that others join after it gives the place of the last event before it', async () => {
    const { journal, write, commitAll } = setUp();
    expect(await journal.placeOf(journal.mark())).toBeNull(); // nothing written: none stored
    write();
    await new Promise((r) => setImmediate(r)); // its commit starts and waits
    write(); // these two wait for the next commit, together
    const mark = journal.mark();
    write(); // joins that commit after the mark
    const place = journal.placeOf(mark);
    await commitAll();
    const places = await place;
    // Places 101, 104, 106: the mark is after the second event.
    expect(places).toBe(104);
    expect(await journal.placeOf(journal.mark())).toBe(106);
  });

  it('an event the store did not write again has no place: the mark gives the one before it', async () => {
    const { journal, write, commitAll } = setUp();
    write();
    write(true);
    const mark = journal.mark();
    await commitAll();
    expect(await journal.placeOf(mark)).toBe(101);
  });

  it('a store that answers no places: no place', async () => {
    const { journal, write, commitAll } = setUp(false);
    write();
    const mark = journal.mark();
    await commitAll();
    expect(await journal.placeOf(mark)).toBeUndefined();
  });

  it('any run of writes, repeats, marks and turns: each mark gives the largest place of the events written before it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('write', 'repeat', 'mark', 'turn', 'commit'), { maxLength: 40 }),
        async (steps) => {
          const { journal, write, commitAll, placed } = setUp();
          const marks: { mark: ReturnType<OrderJournal['mark']>; before: OrderEvent[] }[] = [];
          const before: OrderEvent[] = [];
          for (const s of steps) {
            if (s === 'turn') await new Promise((r) => setImmediate(r));
            else if (s === 'commit') await commitAll();
            else if (s === 'mark') marks.push({ mark: journal.mark(), before: [...before] });
            else before.push(write(s === 'repeat'));
          }
          await commitAll();
          for (const { mark, before: earlier } of marks) {
            const places = earlier
              .map((e) => placed.get(e))
              .filter((p): p is number => typeof p === 'number');
            const want = places.length === 0 ? null : Math.max(...places);
            expect(await journal.placeOf(mark)).toBe(want);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
