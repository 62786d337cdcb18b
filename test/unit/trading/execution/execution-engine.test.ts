import fc from 'fast-check';
import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Endpoints, Topics } from '../../../../src/trading/bus/topics.js';
import { ExecutionEngine } from '../../../../src/trading/execution/execution-engine.js';
import type { ExecutionClient } from '../../../../src/trading/execution/execution-client.js';
import type { Alert } from '../../../../src/trading/model/alert.js';
import type { Order } from '../../../../src/trading/model/order.js';
import type { OrderEvent } from '../../../../src/trading/model/order-events.js';
import { quantity } from '../../../../src/trading/core/money.js';
import { fill, newOrder } from '../../../support/builders.js';

function setup() {
  const bus = new MessageBus();
  const sent: string[] = [];
  const client: ExecutionClient = {
    submit: (o) => sent.push(`submit:${o.clientOrderId}`),
    cancel: (id) => sent.push(`cancel:${id}`),
  };
  const exec = new ExecutionEngine(bus, () => client);
  const events: OrderEvent[] = [];
  const alerts: Alert[] = [];
  bus.subscribe<OrderEvent>(Topics.orderEvents('s'), (e) => events.push(e));
  bus.subscribe<Alert>(Topics.alerts, (a) => alerts.push(a));
  const order: Order = newOrder({}, 'c1');
  exec.add(order);
  bus.send(Endpoints.execution, { kind: 'SubmitOrder', order, ts: 1 });
  const ids = {
    clientOrderId: 'c1',
    accountId: 'paper',
    strategyId: 's',
    instrumentId: 'TEST/USD',
  };
  /** A buy fill at 5 of `qty` for c1. */
  const filled = (ts: number, qty: string, tradeId: string) =>
    exec.process({
      kind: 'OrderFilled',
      ...ids,
      ts,
      fill: { ...fill('BUY', '5', qty, '0', tradeId), clientOrderId: 'c1' },
    });
  return { bus, exec, sent, events, alerts, ids, filled };
}

describe('ExecutionEngine', () => {
  it('queues a cancel of an order whose outcome is UNKNOWN, and sends it once the order is known open', () => {
    const { exec, bus, sent, ids } = setup();
    exec.process({ kind: 'OrderUnknown', ...ids, ts: 2, reason: 'VENUE_TIMEOUT' });
    const cancel = { kind: 'CancelOrder' as const, clientOrderId: 'c1', strategyId: 's', ts: 3 };
    expect(() => bus.send(Endpoints.execution, cancel)).not.toThrow();
    expect(exec.order('c1')!.status).toBe('UNKNOWN');
    expect(exec.cancelQueued('c1')).toBe(true);
    expect(sent).toEqual(['submit:c1']);
    exec.process({ kind: 'OrderAccepted', ...ids, ts: 4, venueOrderId: 'v1' });
    expect(exec.order('c1')!.status).toBe('PENDING_CANCEL');
    expect(sent).toEqual(['submit:c1', 'cancel:c1']);
    expect(exec.cancelQueued('c1')).toBe(false);
  });

  it('drops a queued cancel when the UNKNOWN order turns out closed', () => {
    const { exec, bus, sent, ids } = setup();
    exec.process({ kind: 'OrderUnknown', ...ids, ts: 2, reason: 'VENUE_TIMEOUT' });
    bus.send(Endpoints.execution, {
      kind: 'CancelOrder',
      clientOrderId: 'c1',
      strategyId: 's',
      ts: 3,
    });
    exec.process({ kind: 'OrderRejected', ...ids, ts: 4, reason: 'NOT_AT_VENUE', message: 'x' });
    expect(exec.order('c1')!.status).toBe('REJECTED');
    expect(exec.cancelQueued('c1')).toBe(false);
    expect(sent).toEqual(['submit:c1']);
  });

  it('submits to the venue after recording SUBMITTED, and publishes each event', () => {
    const { exec, sent, events } = setup();
    expect(sent).toEqual(['submit:c1']);
    expect(exec.order('c1')!.status).toBe('SUBMITTED');
    expect(events.map((e) => e.kind)).toEqual(['OrderInitialized', 'OrderSubmitted']);
    expect(exec.openOrders('s').map((o) => o.clientOrderId)).toEqual(['c1']);
  });

  it('deduplicates fills by venue trade id', () => {
    const { exec, ids } = setup();
    const f = { ...fill('BUY', '5', '4', '0', 'T1'), clientOrderId: 'c1' };
    exec.process({ kind: 'OrderFilled', ...ids, ts: 2, fill: f });
    exec.process({ kind: 'OrderFilled', ...ids, ts: 3, fill: f });
    expect(exec.order('c1')!.filledQuantity.toFixed()).toBe('4');
    expect(exec.order('c1')!.status).toBe('PARTIALLY_FILLED');
    // Every trade id is remembered, not only the last.
    const g = { ...fill('BUY', '5', '1', '0', 'T2'), clientOrderId: 'c1' };
    exec.process({ kind: 'OrderFilled', ...ids, ts: 4, fill: g });
    exec.process({ kind: 'OrderFilled', ...ids, ts: 5, fill: f });
    exec.process({ kind: 'OrderFilled', ...ids, ts: 6, fill: g });
    expect(exec.order('c1')!.filledQuantity.toFixed()).toBe('5');
  });

  it('a trade id is unique per venue: the same id from another venue is another fill', () => {
    const { exec, ids } = setup();
    const f = { ...fill('BUY', '5', '4', '0', 'T1'), clientOrderId: 'c1' };
    exec.process({ kind: 'OrderFilled', ...ids, ts: 2, fill: f });
    exec.process({ kind: 'OrderFilled', ...ids, ts: 3, fill: { ...f, venue: 'OTHER' } });
    expect(exec.order('c1')!.filledQuantity.toFixed()).toBe('8');
    exec.process({ kind: 'OrderFilled', ...ids, ts: 4, fill: { ...f, venue: 'OTHER' } });
    exec.process({ kind: 'OrderFilled', ...ids, ts: 5, fill: f });
    expect(exec.order('c1')!.filledQuantity.toFixed()).toBe('8');
  });

  it('refuses an overfill and raises an alert; an unknown order report raises an alert', () => {
    const { exec, ids, alerts } = setup();
    exec.process({
      kind: 'OrderFilled',
      ...ids,
      ts: 2,
      fill: { ...fill('BUY', '5', '11', '0', 'T9'), clientOrderId: 'c1' },
    });
    expect(exec.order('c1')!.filledQuantity.toFixed()).toBe('0');
    exec.process({
      kind: 'OrderAccepted',
      ...ids,
      clientOrderId: 'ghost',
      ts: 2,
      venueOrderId: 'x',
    });
    expect(alerts.map((a) => a.code)).toEqual(['ORDER_OVERFILL', 'UNKNOWN_ORDER_REPORT']);
  });

  it('a fill refused as an overfill or as already stored is not remembered as applied', () => {
    const { exec, ids, alerts, filled } = setup();
    filled(2, '11', 'T9');
    filled(3, '12', 'T9');
    expect(alerts.map((a) => a.code)).toEqual(['ORDER_OVERFILL', 'ORDER_OVERFILL']);
    filled(4, '3', 'T9');
    expect(exec.order('c1')!.filledQuantity.toFixed()).toBe('3');
    filled(5, '3', 'T9');
    expect(exec.order('c1')!.filledQuantity.toFixed()).toBe('3');
    // A stored trade refused after a restart stays refused, however often it is reported.
    const again = new ExecutionEngine(new MessageBus(), () => {
      throw new Error('no venue in this test');
    });
    again.restore({ ...newOrder({}, 'c1'), status: 'ACCEPTED' }, ['SIM:T1']);
    const booked = { ...fill('BUY', '5', '4', '0', 'T1'), clientOrderId: 'c1' };
    again.process({ kind: 'OrderFilled', ...ids, ts: 2, fill: booked });
    again.process({ kind: 'OrderFilled', ...ids, ts: 3, fill: booked });
    expect(again.order('c1')!.filledQuantity.toFixed()).toBe('0');
  });

  it('answers every order as it is now, and lists them in creation order, whatever the order of adds, events and reads', () => {
    // Reads come from the last order looked up or stored, or from the map: any sequence of
    // steps and reads must see each order's latest value, and the list its creation order.
    const ids = ['a', 'b', 'c', 'd'];
    const op = fc.record({
      kind: fc.constantFrom('step', 'read', 'all'),
      id: fc.constantFrom(...ids),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const { exec, bus } = setup();
        const status = new Map<string, string>([['c1', 'SUBMITTED']]);
        const made = ['c1'];
        let ts = 10;
        const ref = (id: string) => ({
          clientOrderId: id,
          accountId: 'paper',
          strategyId: 's',
          instrumentId: 'TEST/USD',
        });
        for (const { kind, id } of ops) {
          ts++;
          if (kind === 'read') expect(exec.order(id)?.status).toBe(status.get(id));
          else if (kind === 'all')
            expect(exec.allOrders().map((o) => `${o.clientOrderId}:${o.status}`)).toEqual(
              made.map((m) => `${m}:${status.get(m)}`),
            );
          else if (!status.has(id)) {
            exec.add(newOrder({}, id));
            status.set(id, 'INITIALIZED');
            made.push(id);
          } else if (status.get(id) === 'INITIALIZED') {
            bus.send(Endpoints.execution, { kind: 'SubmitOrder', order: exec.order(id)!, ts });
            status.set(id, 'SUBMITTED');
          } else if (status.get(id) === 'SUBMITTED') {
            exec.process({ kind: 'OrderAccepted', ...ref(id), ts, venueOrderId: `v-${id}` });
            status.set(id, 'ACCEPTED');
          } else if (status.get(id) === 'ACCEPTED') {
            const f = { ...fill('BUY', '5', '10', '0', `t-${id}`), clientOrderId: id };
            exec.process({ kind: 'OrderFilled', ...ref(id), ts, fill: f });
            status.set(id, 'FILLED');
          }
        }
        for (const id of [...ids, 'c1']) expect(exec.order(id)?.status).toBe(status.get(id));
        expect(exec.allOrders().map((o) => o.clientOrderId)).toEqual(made);
        expect(
          exec
            .allOrders()
            .filter((o) => o.status === 'ACCEPTED')
            .map((o) => o.venueOrderId),
        ).toEqual(made.filter((m) => status.get(m) === 'ACCEPTED').map((m) => `v-${m}`));
      }),
      { numRuns: 300 },
    );
  });

  it('answers for each order whichever order was looked up or changed last', () => {
    const { exec, bus, ids } = setup();
    expect(exec.order('c2')).toBeUndefined();
    const second: Order = newOrder({ quantity: quantity('7') }, 'c2');
    exec.add(second);
    expect(exec.order('c2')).toBe(second);
    expect(() => exec.add(second)).toThrow('client order id c2 is taken');
    bus.send(Endpoints.execution, { kind: 'SubmitOrder', order: second, ts: 2 });
    exec.process({ kind: 'OrderAccepted', ...ids, ts: 3, venueOrderId: 'v1' });
    expect(exec.order('c2')!.status).toBe('SUBMITTED');
    exec.process({ kind: 'OrderAccepted', ...ids, clientOrderId: 'c2', ts: 4, venueOrderId: 'v2' });
    expect(exec.order('c1')!.venueOrderId).toBe('v1');
    expect(exec.order('c2')!.venueOrderId).toBe('v2');
    expect(exec.order('c2')!.quantity.toFixed()).toBe('7');
    expect(exec.order('c1')!.status).toBe('ACCEPTED');
    expect(exec.order('c3')).toBeUndefined();
    expect(exec.allOrders().map((o) => o.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
  });

  it('applies a fill reported after a cancel (the order stays CANCELED) and raises it; other late reports are ignored', () => {
    const { exec, ids, events, alerts } = setup();
    exec.process({ kind: 'OrderAccepted', ...ids, ts: 2, venueOrderId: 'V1' });
    exec.process({ kind: 'OrderCanceled', ...ids, ts: 3, reason: 'by user' });
    const f = { ...fill('BUY', '5', '4', '0.1', 'T9'), clientOrderId: 'c1' };
    exec.process({ kind: 'OrderFilled', ...ids, ts: 4, fill: f });
    exec.process({ kind: 'OrderFilled', ...ids, ts: 5, fill: f });
    const o = exec.order('c1')!;
    expect([o.status, o.filledQuantity.toFixed(), o.filledNotional.toFixed()]).toEqual([
      'CANCELED',
      '4',
      '20',
    ]);
    expect(events.filter((e) => e.kind === 'OrderFilled')).toHaveLength(1);
    expect(exec.openOrders()).toEqual([]);
    exec.process({
      kind: 'OrderFilled',
      ...ids,
      ts: 6,
      fill: { ...fill('BUY', '5', '7', '0', 'T10'), clientOrderId: 'c1' },
    });
    exec.process({ kind: 'OrderRejected', ...ids, ts: 7, reason: 'x', message: 'x' });
    expect(exec.order('c1')!.filledQuantity.toFixed()).toBe('4');
    expect(alerts.map((a) => a.code)).toEqual(['LATE_FILL', 'ORDER_OVERFILL', 'LATE_REPORT']);
  });

  it('cancels only open orders, through PENDING_CANCEL', () => {
    const { bus, exec, sent, ids } = setup();
    bus.send(Endpoints.execution, {
      kind: 'CancelOrder',
      clientOrderId: 'c1',
      strategyId: 's',
      ts: 2,
    });
    expect(exec.order('c1')!.status).toBe('PENDING_CANCEL');
    exec.process({ kind: 'OrderCanceled', ...ids, ts: 3, reason: 'CANCELED_BY_USER' });
    bus.send(Endpoints.execution, {
      kind: 'CancelOrder',
      clientOrderId: 'c1',
      strategyId: 's',
      ts: 4,
    });
    expect(sent).toEqual(['submit:c1', 'cancel:c1']);
    expect(exec.hasOpenOrders).toBe(false);
  });
});

describe('ExecutionEngine: what an operator and a strategy see', () => {
  const refusal = (f: () => void) => {
    try {
      f();
    } catch (e) {
      // an invariant's message starts with its code
      return (e as Error).message;
    }
    return 'no refusal';
  };

  it('refuses a client order id that is taken, on add and on restore, and keeps the first order', () => {
    const { exec } = setup();
    expect(refusal(() => exec.add(newOrder({ side: 'SELL' }, 'c1')))).toBe(
      'DUPLICATE_CLIENT_ORDER_ID: client order id c1 is taken',
    );
    expect(refusal(() => exec.restore(newOrder({}, 'c1')))).toBe(
      'DUPLICATE_CLIENT_ORDER_ID: client order id c1 is taken',
    );
    expect(exec.order('c1')!.side).toBe('BUY');
    expect(exec.allOrders()).toHaveLength(1);
  });

  it('refuses to submit an order it never recorded, and sends nothing to the venue', () => {
    const { bus, sent } = setup();
    const ghost = newOrder({}, 'ghost');
    expect(
      refusal(() => bus.send(Endpoints.execution, { kind: 'SubmitOrder', order: ghost, ts: 2 })),
    ).toBe('UNKNOWN_ORDER: submit of unknown order ghost');
    expect(refusal(() => bus.send(Endpoints.execution, { kind: 'Amend', ts: 2 }))).toMatch(
      /^UNREACHABLE: /,
    );
    expect(sent).toEqual(['submit:c1']);
  });

  it('after a crash, restores open orders into the open list and remembers the trades already booked', () => {
    const exec = new ExecutionEngine(new MessageBus(), () => {
      throw new Error('no venue in this test');
    });
    const working: Order = { ...newOrder({}, 'w1'), status: 'ACCEPTED' };
    const done: Order = { ...newOrder({}, 'd1'), status: 'FILLED' };
    exec.restore(working, ['SIM:T1']);
    exec.restore(done);
    expect(exec.openOrders().map((o) => o.clientOrderId)).toEqual(['w1']);
    expect(exec.hasOpenOrders).toBe(true);
    expect(exec.allOrders().map((o) => o.clientOrderId)).toEqual(['w1', 'd1']);
    const ids = {
      clientOrderId: 'w1',
      accountId: 'paper',
      strategyId: 's',
      instrumentId: 'TEST/USD',
    };
    const booked = { ...fill('BUY', '5', '4', '0', 'T1'), clientOrderId: 'w1' };
    exec.process({ kind: 'OrderFilled', ...ids, ts: 2, fill: booked });
    expect(exec.order('w1')!.filledQuantity.toFixed()).toBe('0');
    const fresh = { ...fill('BUY', '5', '4', '0', 'T2'), clientOrderId: 'w1' };
    exec.process({ kind: 'OrderFilled', ...ids, ts: 3, fill: fresh });
    expect(exec.order('w1')!.filledQuantity.toFixed()).toBe('4');
    // The stored trade is still known after new ones, and so is the new one.
    exec.process({ kind: 'OrderFilled', ...ids, ts: 4, fill: booked });
    exec.process({ kind: 'OrderFilled', ...ids, ts: 5, fill: fresh });
    expect(exec.order('w1')!.filledQuantity.toFixed()).toBe('4');
    // The same trade id at another venue is not the stored one.
    exec.process({ kind: 'OrderFilled', ...ids, ts: 6, fill: { ...booked, venue: 'OTHER' } });
    expect(exec.order('w1')!.filledQuantity.toFixed()).toBe('8');
  });

  it('lists open orders per strategy', () => {
    const { bus, exec } = setup();
    const other = newOrder({ strategyId: 't' }, 'c2');
    exec.add(other);
    bus.send(Endpoints.execution, { kind: 'SubmitOrder', order: other, ts: 2 });
    expect(exec.openOrders('t').map((o) => o.clientOrderId)).toEqual(['c2']);
    expect(exec.openOrders('s').map((o) => o.clientOrderId)).toEqual(['c1']);
    expect(exec.openOrders().map((o) => o.clientOrderId)).toEqual(['c1', 'c2']);
    expect(exec.hasOpenOrders).toBe(true);
  });

  it('a queued cancel is sent no earlier than the report that made it sendable (time never moves back)', () => {
    const { exec, events, ids } = setup();
    exec.process({ kind: 'OrderUnknown', ...ids, ts: 2, reason: 'VENUE_TIMEOUT' });
    exec.execute({ kind: 'CancelOrder', clientOrderId: 'c1', strategyId: 's', ts: 3 });
    exec.process({ kind: 'OrderAccepted', ...ids, ts: 10, venueOrderId: 'v1' });
    const pending = events.find((e) => e.kind === 'OrderPendingCancel')!;
    expect(pending.ts).toBe(10);
    expect(exec.order('c1')!.updatedAt).toBe(10);
  });

  it("words the engine's warnings so an operator can tell which order and trade", () => {
    const { exec, ids, alerts, filled } = setup();
    const ghost = { ...ids, clientOrderId: 'ghost' };
    exec.process({ kind: 'OrderCanceled', ...ghost, ts: 2, reason: 'r' });
    filled(2, '11', 'T9');
    exec.process({ kind: 'OrderAccepted', ...ids, ts: 3, venueOrderId: 'V1' });
    exec.process({ kind: 'OrderCanceled', ...ids, ts: 4, reason: 'by user' });
    filled(5, '1', 'T3');
    exec.process({ kind: 'OrderRejected', ...ids, ts: 6, reason: 'x', message: 'x' });
    expect(alerts.map((a) => `${a.code}: ${a.message}`)).toEqual([
      'UNKNOWN_ORDER_REPORT: OrderCanceled for unknown order ghost',
      'ORDER_OVERFILL: fill T9 would overfill c1',
      'LATE_FILL: fill T3 for c1, already CANCELED: applied',
      'LATE_REPORT: OrderRejected for c1, already CANCELED: ignored',
    ]);
  });
});
