import { orderRef } from '../../../../src/trading/model/order-events.js';
import fc from 'fast-check';
import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Dec, ZERO, type Decimal } from '../../../../src/trading/core/decimal.js';
import { price, quantity } from '../../../../src/trading/core/money.js';
import { ExecutionEngine } from '../../../../src/trading/execution/execution-engine.js';
import {
  feeClass,
  inScope as orderInScope,
  type OpenOrderScope,
} from '../../../../src/trading/model/open-orders.js';
import { leavesQuantity, type Order } from '../../../../src/trading/model/order.js';
import { isOpen } from '../../../../src/trading/model/order-state-machine.js';
import { fill, newOrder } from '../../../support/builders.js';

type Step =
  | { kind: 'new'; strategy: string; instrument: string; side: 'BUY' | 'SELL'; type: string }
  | { kind: 'fill' | 'cancel' | 'reject' | 'accept' | 'pendingCancel'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('new' as const),
    strategy: fc.constantFrom('s1', 's2'),
    instrument: fc.constantFrom('A/USD', 'B/USD'),
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    type: fc.constantFrom('LIMIT', 'LIMIT_POST', 'MARKET', 'STOP_MARKET'),
  }),
  fc.record({
    kind: fc.constantFrom(
      'fill' as const,
      'cancel' as const,
      'reject' as const,
      // Events that change no total: the order's value is replaced, the totals stay.
      'accept' as const,
      'pendingCancel' as const,
    ),
    pick: fc.nat(),
  }),
);

const SCOPES: OpenOrderScope[] = [
  { kind: 'account' },
  { kind: 'strategy', strategyId: 's1' },
  { kind: 'strategy', strategyId: 's2' },
  { kind: 'instrument', instrumentId: 'A/USD' },
  { kind: 'instrument', instrumentId: 'B/USD' },
];

const inScope = (s: OpenOrderScope, o: Order) =>
  s.kind === 'account' ||
  (s.kind === 'strategy' ? o.strategyId === s.strategyId : o.instrumentId === s.instrumentId);

const sum = (xs: Decimal[]) => xs.reduce((a, b) => a.plus(b), ZERO);

describe('OpenOrders', () => {
  it('keeps counts, leaves and buy notionals equal to a recount over the open orders', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const exec = new ExecutionEngine(new MessageBus(), () => ({
          submit: () => undefined,
          cancel: () => undefined,
        }));
        let n = 0;
        // The open orders recounted from each order's own status, not from the totals under test.
        const made: string[] = [];
        const openNow = () => made.map((id) => exec.order(id)!).filter((o) => isOpen(o.status));
        for (const s of steps) {
          const open = openNow();
          if (s.kind === 'new') {
            const id = `o${++n}`;
            made.push(id);
            const type = s.type === 'LIMIT_POST' ? 'LIMIT' : s.type;
            exec.add(
              newOrder(
                {
                  strategyId: s.strategy,
                  instrumentId: s.instrument,
                  side: s.side,
                  type: type as Order['type'],
                  quantity: quantity(String(1 + (n % 7))),
                  price: type === 'LIMIT' ? price(`${10 + (n % 5)}.5`) : null,
                  triggerPrice: type === 'STOP_MARKET' ? price('12.25') : null,
                  postOnly: s.type === 'LIMIT_POST',
                },
                id,
              ),
            );
            exec.process({ kind: 'OrderSubmitted', ...ids(exec.order(id)!), ts: n });
            continue;
          }
          const o = open[s.pick % Math.max(1, open.length)];
          if (!o) continue;
          if (s.kind === 'fill') {
            const q = leavesQuantity(o).gt(1) ? Dec(1) : leavesQuantity(o);
            exec.process({
              kind: 'OrderFilled',
              ...ids(o),
              ts: n,
              fill: { ...fill(o.side, '10', q, '0', `t${++n}`), clientOrderId: o.clientOrderId },
            });
          } else if (s.kind === 'accept') {
            if (o.status === 'SUBMITTED')
              exec.process({ kind: 'OrderAccepted', ...ids(o), ts: n, venueOrderId: `v${n}` });
          } else if (s.kind === 'pendingCancel') {
            if (o.status === 'ACCEPTED' || o.status === 'PARTIALLY_FILLED')
              exec.process({ kind: 'OrderPendingCancel', ...ids(o), ts: n });
          } else if (s.kind === 'cancel') {
            exec.process({ kind: 'OrderCanceled', ...ids(o), ts: n, reason: 'x' });
          } else if (o.status === 'SUBMITTED') {
            exec.process({ kind: 'OrderRejected', ...ids(o), ts: n, reason: 'x', message: 'x' });
          }
        }
        const open = openNow();
        expect(exec.openOrders()).toEqual(open);
        const totals = exec.open;
        expect(totals.size).toBe(open.length);
        expect([...totals.all()]).toEqual(open);
        for (const scope of SCOPES) {
          const mine = open.filter((o) => inScope(scope, o));
          expect(totals.count(scope)).toBe(mine.length);
          for (const inst of ['A/USD', 'B/USD'])
            for (const side of ['BUY', 'SELL'] as const)
              expect(totals.leaves(scope, inst, side).toFixed()).toBe(
                sum(
                  mine
                    .filter((o) => o.instrumentId === inst && o.side === side)
                    .map(leavesQuantity),
                ).toFixed(),
              );
        }
        for (const inst of ['A/USD', 'B/USD'])
          for (const postOnly of [true, false]) {
            const priced = open.filter(
              (o) =>
                o.side === 'BUY' &&
                o.instrumentId === inst &&
                (o.price ?? o.triggerPrice) !== null &&
                (o.type === 'LIMIT' && o.postOnly) === postOnly,
            );
            expect(totals.buyNotional(inst, postOnly ? 'maker' : 'worst').toFixed()).toBe(
              sum(
                priced.map((o) => leavesQuantity(o).times((o.price ?? o.triggerPrice)!)),
              ).toFixed(),
            );
          }
        // The instruments the risk gate walks to reserve cash: exactly those with a priced open buy.
        expect([...totals.instrumentsWithBuys()].sort()).toEqual(
          [
            ...new Set(
              open
                .filter((o) => o.side === 'BUY' && (o.price ?? o.triggerPrice) !== null)
                .map((o) => o.instrumentId),
            ),
          ].sort(),
        );
        for (const scope of SCOPES)
          for (const o of open) expect(orderInScope(scope, o)).toBe(inScope(scope, o));
        // The current values of the unpriced buys, not ones an earlier event replaced.
        const byId = (a: Order, b: Order) => a.clientOrderId.localeCompare(b.clientOrderId);
        expect([...totals.unpricedBuys()].sort(byId)).toEqual(
          open
            .filter((o) => o.side === 'BUY' && o.price === null && o.triggerPrice === null)
            .sort(byId),
        );
      }),
      { numRuns: 300 },
    );
  });
});

function ids(o: Order) {
  return orderRef(o);
}

describe('the fee class a resting buy reserves cash at', () => {
  it('is the maker fee only for a post-only LIMIT; a post-only flag on a stop earns nothing', () => {
    const o = (type: Order['type'], postOnly: boolean) => newOrder({ type, postOnly });
    expect(feeClass(o('LIMIT', true))).toBe('maker');
    expect(feeClass(o('LIMIT', false))).toBe('worst');
    expect(feeClass(o('STOP_LIMIT', true))).toBe('worst');
    expect(feeClass(o('MARKET', true))).toBe('worst');
  });
});
