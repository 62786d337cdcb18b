import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Endpoints, Topics } from '../../../../src/trading/bus/topics.js';
import { ExecutionEngine } from '../../../../src/trading/execution/execution-engine.js';
import { quantity } from '../../../../src/trading/core/money.js';
import { retentionMs } from '../../../../src/trading/execution/order-retention.js';
import type { Alert } from '../../../../src/trading/model/alert.js';
import { orderRef, type OrderEvent } from '../../../../src/trading/model/order-events.js';
import { fill, newOrder } from '../../../support/builders.js';

const MINUTE = 60_000;
const WINDOW = 10 * MINUTE;

/** An OMS on a clock the test moves; `window` null: no retention (a backtest's). */
function setup(window: number | null = WINDOW) {
  const bus = new MessageBus();
  const clock = { t: 0 };
  const unheld: OrderEvent[] = [];
  const alerts: Alert[] = [];
  bus.subscribe<Alert>(Topics.alerts, (a) => alerts.push(a));
  const exec = new ExecutionEngine(
    bus,
    () => ({ submit: () => undefined, cancel: () => undefined }),
    window === null
      ? {}
      : { retention: { ms: window, now: () => clock.t }, unheld: (e) => unheld.push(e) },
  );
  /** A market buy of 10, submitted and filled at once by trade `T-<id>`. */
  const filledOrder = (id: string) => {
    const o = newOrder({}, id);
    exec.add(o);
    bus.send(Endpoints.execution, { kind: 'SubmitOrder', order: o, ts: clock.t });
    exec.process({
      kind: 'OrderFilled',
      ...orderRef(o),
      ts: clock.t,
      fill: { ...fill('BUY', '5', '10', '0', `T-${id}`), clientOrderId: id },
    });
    return o;
  };
  return { bus, exec, clock, unheld, alerts, filledOrder };
}

describe('the OMS with a retention window', () => {
  it('releases an order closed for the whole window, with its trade ids; keeps open and recent ones', () => {
    const { exec, clock, filledOrder } = setup();
    filledOrder('a');
    clock.t = 5 * MINUTE;
    filledOrder('b');
    const open = newOrder({}, 'open');
    exec.add(open);
    exec.execute({ kind: 'SubmitOrder', order: open, ts: clock.t });
    expect(exec.memory).toEqual({ orders: 3, tradeIds: 2, restoredKeys: 0, queuedCancels: 0 });
    clock.t = WINDOW + MINUTE;
    filledOrder('c');
    // `a` closed 11 minutes ago: gone with its trade id; `b` (6 minutes) and `open` stay.
    expect(exec.order('a')).toBeUndefined();
    expect(exec.hasTrade('SIM', 'T-a')).toBe(false);
    expect(exec.allOrders().map((o) => o.clientOrderId)).toEqual(['b', 'open', 'c']);
    clock.t = 100 * WINDOW;
    filledOrder('d');
    expect(exec.allOrders().map((o) => o.clientOrderId)).toEqual(['open', 'd']);
    expect(exec.memory).toEqual({ orders: 2, tradeIds: 1, restoredKeys: 0, queuedCancels: 0 });
  });

  it('sweeps at most once a minute of its clock, and never on the wall clock', () => {
    const { exec, clock, filledOrder } = setup();
    filledOrder('a');
    clock.t = WINDOW - 1;
    filledOrder('b'); // sweeps: `a` is not due yet; the next sweep is a minute later
    clock.t = WINDOW + 1;
    filledOrder('c');
    expect(exec.order('a')).toBeDefined();
    clock.t = WINDOW - 1 + MINUTE; // exactly a minute after the last sweep
    filledOrder('d');
    expect(exec.order('a')).toBeUndefined();
  });

  it('releases every trade id of an order filled in parts', () => {
    const { bus, exec, clock, filledOrder } = setup();
    const o = newOrder({}, 'parts');
    exec.add(o);
    bus.send(Endpoints.execution, { kind: 'SubmitOrder', order: o, ts: 0 });
    for (const [q, id] of [
      ['4', 'T-p1'],
      ['6', 'T-p2'],
    ] as const)
      exec.process({
        kind: 'OrderFilled',
        ...orderRef(o),
        ts: 0,
        fill: { ...fill('BUY', '5', q, '0', id), clientOrderId: 'parts' },
      });
    expect(exec.order('parts')!.status).toBe('FILLED');
    clock.t = 2 * WINDOW;
    filledOrder('next');
    expect(exec.order('parts')).toBeUndefined();
    expect([exec.hasTrade('SIM', 'T-p1'), exec.hasTrade('SIM', 'T-p2')]).toEqual([false, false]);
    expect(exec.memory.tradeIds).toBe(1);
  });

  it('a report about a closed order keeps it a whole window more', () => {
    const { exec, clock, filledOrder } = setup();
    const a = filledOrder('a');
    clock.t = MINUTE;
    filledOrder('z'); // a sweep: `a` is noted closed
    clock.t = 9 * MINUTE;
    exec.process({ kind: 'OrderCanceled', ...orderRef(a), ts: clock.t, reason: 'again' });
    clock.t = WINDOW + MINUTE;
    filledOrder('b');
    expect(exec.order('a')).toBeDefined();
    clock.t = 9 * MINUTE + WINDOW;
    filledOrder('c');
    expect(exec.order('a')).toBeUndefined();
  });

  it("keeps an order a whole window from its last event when the venue's time runs ahead of the clock", () => {
    const { exec, clock } = setup();
    const a = newOrder({}, 'a');
    exec.add(a);
    exec.execute({ kind: 'SubmitOrder', order: a, ts: 0 });
    // Filled at a venue time 5 minutes ahead of the node's clock (0): a strategy reads it until
    // 15 minutes (`inOrderWindow`), so the OMS must hold it that long, not only until 10.
    exec.process({
      kind: 'OrderFilled',
      ...orderRef(a),
      ts: 5 * MINUTE,
      fill: { ...fill('BUY', '5', '10', '0', 'T-a'), clientOrderId: 'a' },
    });
    const other = (id: string, t: number) => {
      clock.t = t;
      exec.add(newOrder({}, id));
    };
    other('b', WINDOW + MINUTE);
    expect(exec.order('a')?.status).toBe('FILLED');
    other('c', 5 * MINUTE + WINDOW - 1);
    expect(exec.order('a')?.status).toBe('FILLED');
    other('d', 5 * MINUTE + WINDOW + MINUTE);
    expect(exec.order('a')).toBeUndefined();
  });

  it('never releases the order a call is about, even with a window of 0', () => {
    const { exec, clock, filledOrder } = setup(0);
    const a = filledOrder('a');
    clock.t = MINUTE;
    // A copy of its fill: the call is about `a`, which stays (its caller reads it next) ...
    exec.process({
      kind: 'OrderFilled',
      ...orderRef(a),
      ts: clock.t,
      fill: { ...fill('BUY', '5', '10', '0', 'T-a'), clientOrderId: 'a' },
    });
    expect(exec.order('a')!.status).toBe('FILLED');
    // ... and goes with the next call about another order.
    clock.t = 2 * MINUTE;
    filledOrder('b');
    expect(exec.order('a')).toBeUndefined();
  });

  it('never releases the order a call is about while a call it caused runs (a late, old fill heard by a strategy that orders on it)', () => {
    const { bus, exec, clock, alerts } = setup();
    const x = newOrder({}, 'x');
    exec.add(x);
    bus.send(Endpoints.execution, { kind: 'SubmitOrder', order: x, ts: 0 });
    exec.process({ kind: 'OrderAccepted', ...orderRef(x), ts: 0, venueOrderId: 'v-x' });
    exec.process({ kind: 'OrderCanceled', ...orderRef(x), ts: 0, reason: 'USER' });
    // Past its window, no call in between: a trade made before the cancel, read from the venue's
    // history with its own (old) time; whoever hears it makes another order at once.
    clock.t = WINDOW + 2 * MINUTE;
    bus.subscribe<OrderEvent>(Topics.orderEvents('s'), (e) => {
      if (e.kind === 'OrderFilled' && e.clientOrderId === 'x') exec.add(newOrder({}, 'y'));
    });
    exec.process({
      kind: 'OrderFilled',
      ...orderRef(x),
      ts: 0,
      fill: { ...fill('BUY', '5', '2', '0', 'T-x'), clientOrderId: 'x' },
    });
    expect(alerts.map((a) => a.code)).toEqual(['LATE_FILL']);
    // Its caller reads it next (a reconciliation counts what the fill changed).
    expect(exec.order('x')!.filledQuantity.toFixed()).toBe('2');
    expect(exec.order('y')).toBeDefined();
  });

  it('hands a report of an order it does not hold to `unheld`, not to an alert; restore takes one back with its trade keys', () => {
    const { exec, clock, unheld, alerts, filledOrder } = setup();
    const a = filledOrder('a');
    clock.t = 2 * WINDOW;
    filledOrder('b');
    clock.t = 4 * WINDOW;
    filledOrder('c');
    expect(exec.order('a')).toBeUndefined();
    const copy: OrderEvent = {
      kind: 'OrderFilled',
      ...orderRef(a),
      ts: clock.t,
      fill: { ...fill('BUY', '5', '10', '0', 'T-a'), clientOrderId: 'a' },
    };
    exec.process(copy);
    expect(unheld).toEqual([copy]);
    expect(alerts).toEqual([]);
    exec.restore({ ...a, status: 'FILLED' }, ['SIM:T-a']);
    expect(exec.memory.restoredKeys).toBe(1);
    exec.process(copy);
    expect(exec.order('a')!.filledQuantity.toFixed()).toBe('0');
    // Taken back: kept a window from now, then released with its keys.
    clock.t = 6 * WINDOW;
    filledOrder('d');
    expect(exec.order('a')).toBeUndefined();
    expect(exec.memory.restoredKeys).toBe(0);
  });

  it('without a window (a backtest) every order is kept and an unknown report is alerted', () => {
    const { exec, clock, alerts, filledOrder } = setup(null);
    filledOrder('a');
    clock.t = 1000 * WINDOW;
    filledOrder('b');
    expect(exec.allOrders().map((o) => o.clientOrderId)).toEqual(['a', 'b']);
    exec.process({ kind: 'OrderCanceled', ...orderRef(newOrder({}, 'x')), ts: 1, reason: 'r' });
    expect(alerts.map((a) => a.code)).toEqual(['UNKNOWN_ORDER_REPORT']);
  });

  it("an owner's tally (the server's instance view) counts released orders as a run that keeps them", () => {
    const tallies = [WINDOW, null].map((window) => {
      const { exec, clock, filledOrder } = setup(window);
      for (let i = 0; i < 5; i++) {
        clock.t = i * WINDOW;
        filledOrder(`o${i}`);
      }
      const t = exec.tally('s');
      return { held: exec.memory.orders, orders: t.orders, position: t.position.toFixed() };
    });
    expect(tallies).toEqual([
      { held: 1, orders: 5, position: '50' },
      { held: 5, orders: 5, position: '50' },
    ]);
  });

  it("counts an order taken back at start-up in its owner's tally, and one recalled after a release only once", () => {
    const tallies = [WINDOW, null].map((window) => {
      const { exec, clock, filledOrder } = setup(window);
      filledOrder('made');
      // Loaded from the store at start-up: a filled sell of 4 and an open buy.
      const sold = newOrder({ side: 'SELL', quantity: quantity('4') }, 'sold');
      exec.restore({ ...sold, status: 'FILLED', filledQuantity: sold.quantity }, ['SIM:T-sold']);
      exec.restore(newOrder({}, 'open'));
      // Another owner's: not in this one's tally.
      exec.restore({
        ...newOrder({ strategyId: 'other' }, 'theirs'),
        status: 'FILLED',
        filledQuantity: quantity('10'),
      });
      const before = exec.tally('s');
      // Released, then taken back for a late report (`OrderRecall`): counted already.
      clock.t = 100 * WINDOW;
      filledOrder('late');
      const made = exec.order('made');
      const released = made === undefined;
      if (released) exec.restore({ ...newOrder({}, 'made'), status: 'FILLED' }, [], true);
      const t = exec.tally('s');
      return {
        released,
        kept: made !== undefined,
        before: [before.orders, before.position.toFixed()],
        after: [t.orders, t.position.toFixed()],
      };
    });
    expect(tallies).toEqual([
      { released: true, kept: false, before: [3, '6'], after: [4, '16'] },
      { released: false, kept: true, before: [3, '6'], after: [4, '16'] },
    ]);
  });

  it('refuses a window that is not a finite number of milliseconds >= 0, naming the setting', () => {
    for (const bad of [-1, Number.NaN, Infinity, '600000']) {
      expect(() => retentionMs(bad)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
      expect(() => retentionMs(bad)).toThrow(
        `closedOrderRetentionMs: must be a finite number of milliseconds >= 0, was ${String(bad)}`,
      );
    }
    expect(retentionMs(0)).toBe(0);
  });
});
