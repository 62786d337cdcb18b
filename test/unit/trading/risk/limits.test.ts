import fc from 'fast-check';
import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Endpoints, Topics } from '../../../../src/trading/bus/topics.js';
import { Dec, ZERO, type Decimal } from '../../../../src/trading/core/decimal.js';
import { ExecutionEngine } from '../../../../src/trading/execution/execution-engine.js';
import { makeOrder } from '../../../../src/trading/execution/order-factory.js';
import type { OrderRequest } from '../../../../src/trading/execution/order-request.js';
import { leavesQuantity } from '../../../../src/trading/model/order.js';
import { flatPosition } from '../../../../src/trading/model/position.js';
import { RiskEngine } from '../../../../src/trading/risk/risk-engine.js';
import type { LimitSet } from '../../../../src/trading/risk/risk-limits.js';
import { fill, instrument } from '../../../support/builders.js';

const inst = instrument({ takerFee: '0', makerFee: '0' });

function setup(limits: LimitSet, dayPnl: Decimal | null = null) {
  const bus = new MessageBus();
  const sent: string[] = [];
  const canceled: string[] = [];
  let position = ZERO;
  const exec = new ExecutionEngine(bus, () => ({
    submit: (o) => sent.push(o.clientOrderId),
    cancel: (id) => canceled.push(id),
  }));
  const risk = new RiskEngine(
    bus,
    {
      instrument: () => inst,
      cash: () => Dec('1e12'),
      position: () => ({ ...flatPosition(inst.id), quantity: position }),
      open: exec.open,
      lastPrice: () => Dec(100),
    },
    { allowShort: true, limits, dayPnl: () => dayPnl },
  );
  let n = 0;
  const submit = (req: OrderRequest, ts = 0, strategyId = 's') => {
    const { order } = makeOrder(req, inst, {
      clientOrderId: `c${++n}`,
      accountId: 'paper',
      strategyId,
      ts,
    });
    exec.add(order);
    bus.send(Endpoints.risk, { kind: 'SubmitOrder', order, ts });
    const o = exec.order(order.clientOrderId)!;
    return { id: o.clientOrderId, reason: o.status === 'DENIED' ? o.reason : 'SENT' };
  };
  const fillAll = (id: string) => {
    const o = exec.order(id)!;
    const q = leavesQuantity(o);
    exec.process({
      kind: 'OrderFilled',
      clientOrderId: id,
      accountId: 'paper',
      strategyId: o.strategyId,
      instrumentId: inst.id,
      ts: 0,
      fill: { ...fill(o.side, '100', q, '0', `t-${id}`), clientOrderId: id },
    });
    position = o.side === 'BUY' ? position.plus(q) : position.minus(q);
  };
  return { bus, exec, risk, submit, fillAll, sent, canceled, position: () => position };
}

describe('risk limits', () => {
  it('never lets the position exceed the strictest of its strategy, instrument and account limits at any instant, open orders counted (property)', () => {
    const limit = fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined });
    fc.assert(
      fc.property(
        fc
          .record({ strategy: limit, instrument: limit, account: limit })
          .filter((m) => Object.values(m).some((x) => x !== undefined)),
        fc.array(
          fc.oneof(
            fc.record({ side: fc.constantFrom('BUY', 'SELL'), q: fc.integer({ min: 1, max: 6 }) }),
            fc.nat({ max: 50 }),
          ),
          { maxLength: 60 },
        ),
        (max, steps) => {
          const at = (n: number | undefined) => (n === undefined ? {} : { maxPosition: Dec(n) });
          const r = setup({
            global: at(max.account),
            strategies: { s: at(max.strategy) },
            instruments: { [inst.id]: at(max.instrument) },
          });
          const bound = Math.min(max.strategy ?? 99, max.instrument ?? 99, max.account ?? 99);
          const live: string[] = [];
          for (const step of steps) {
            if (typeof step === 'number') {
              // Fill one of the open orders (the venue may fill them in any order).
              if (live.length === 0) continue;
              const id = live.splice(step % live.length, 1)[0]!;
              r.fillAll(id);
            } else {
              const res = r.submit({ side: step.side as 'BUY' | 'SELL', quantity: String(step.q) });
              if (res.reason === 'SENT') live.push(res.id);
            }
            // Worst case: every open order fills.
            const open = r.exec.openOrders();
            const buys = open
              .filter((o) => o.side === 'BUY')
              .reduce((a, o) => a.plus(leavesQuantity(o)), ZERO);
            const sells = open
              .filter((o) => o.side === 'SELL')
              .reduce((a, o) => a.plus(leavesQuantity(o)), ZERO);
            expect(r.position().abs().lte(bound)).toBe(true);
            expect(r.position().plus(buys).lte(bound)).toBe(true);
            expect(r.position().minus(sells).gte(-bound)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('denies by order value, quantity, collar, open orders, throttle, duplicates and daily loss', () => {
    const r = setup({
      global: {
        maxOrderValue: Dec(1000),
        maxOrderQuantity: Dec(50),
        priceCollarPct: Dec(5),
        maxOpenOrders: 3,
      },
      strategies: {},
    });
    expect(r.submit({ side: 'BUY', quantity: '11' }).reason).toBe('ORDER_VALUE_LIMIT');
    expect(r.submit({ side: 'BUY', quantity: '51', price: '1' }).reason).toBe(
      'ORDER_QUANTITY_LIMIT',
    );
    expect(r.submit({ side: 'BUY', quantity: '1', price: '94.99' }).reason).toBe(
      'PRICE_OUTSIDE_COLLAR',
    );
    expect(r.submit({ side: 'BUY', quantity: '1', price: '95' }).reason).toBe('SENT');
    expect(r.submit({ side: 'SELL', quantity: '1', price: '105' }).reason).toBe('SENT');
    expect(r.submit({ side: 'SELL', quantity: '1', price: '105.01' }).reason).toBe(
      'PRICE_OUTSIDE_COLLAR',
    );
    expect(r.submit({ side: 'BUY', quantity: '2' }).reason).toBe('SENT');
    expect(r.submit({ side: 'BUY', quantity: '3' }).reason).toBe('OPEN_ORDERS_LIMIT');

    const t = setup({
      global: { maxMessagesPerSecond: 3, duplicateWindowMs: 500 },
      strategies: {},
    });
    expect(t.submit({ side: 'BUY', quantity: '1' }, 0).reason).toBe('SENT');
    expect(t.submit({ side: 'BUY', quantity: '1' }, 100).reason).toBe('DUPLICATE_ORDER');
    expect(t.submit({ side: 'BUY', quantity: '1' }, 600).reason).toBe('SENT');
    expect(t.submit({ side: 'BUY', quantity: '2' }, 700).reason).toBe('SENT');
    expect(t.submit({ side: 'BUY', quantity: '3' }, 800).reason).toBe('MESSAGE_THROTTLE');
    expect(t.submit({ side: 'BUY', quantity: '3' }, 1601).reason).toBe('SENT');

    const d = setup({ global: { dailyLossLimit: Dec(100) }, strategies: {} }, Dec(-100));
    expect(d.submit({ side: 'BUY', quantity: '1' }).reason).toBe('DAILY_LOSS_LIMIT');
  });

  it('kill switch: blocks every new order at once and cancels every open one in scope', () => {
    const r = setup({ global: {}, strategies: {} });
    r.submit({ side: 'BUY', quantity: '1', price: '99' }, 0, 'a');
    r.submit({ side: 'BUY', quantity: '1', price: '98' }, 0, 'b');
    r.risk.killSwitch(1, 'risk-officer', 'a');
    expect(r.canceled).toEqual(['c1']);
    expect(r.submit({ side: 'BUY', quantity: '1' }, 2, 'a').reason).toBe('TRADING_HALTED');
    expect(r.submit({ side: 'BUY', quantity: '1' }, 2, 'b').reason).toBe('SENT');
    r.risk.killSwitch(3, 'risk-officer');
    expect(r.canceled.sort()).toEqual(['c1', 'c2', 'c4']);
    expect(r.submit({ side: 'SELL', quantity: '1' }, 4, 'b').reason).toBe('TRADING_HALTED');
    r.risk.setState('REDUCING', 5, 'risk-officer');
    r.fillAll('c4');
    expect(r.submit({ side: 'BUY', quantity: '1' }, 6, 'b').reason).toBe('TRADING_REDUCING');
    expect(r.submit({ side: 'SELL', quantity: '1' }, 6, 'b').reason).toBe('SENT');
    r.risk.setState('ACTIVE', 7, 'risk-officer');
    expect(r.submit({ side: 'BUY', quantity: '1' }, 8, 'b').reason).toBe('SENT');
  });
});

describe('the duplicate-order guard', () => {
  it('refuses the same order until the window has fully passed, whenever the first one was sent (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: -3, max: 3 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.boolean(),
        (window, first, edge, anywhere, nearEdge) => {
          // half the runs land within 3 ms of the window's end
          const delay = nearEdge ? Math.max(0, window + edge) : anywhere;
          const t = setup({ global: { duplicateWindowMs: window }, strategies: {} });
          const req: OrderRequest = { side: 'BUY', type: 'LIMIT', quantity: '3', price: '99.5' };
          expect(t.submit(req, first).reason).toBe('SENT');
          expect(t.submit(req, first + delay).reason).toBe(
            delay < window ? 'DUPLICATE_ORDER' : 'SENT',
          );
        },
      ),
    );
  });

  it('a different limit or trigger price is a different order, not a duplicate', () => {
    const t = setup({ global: { duplicateWindowMs: 1000 }, strategies: {} });
    const limit: OrderRequest = { side: 'BUY', type: 'LIMIT', quantity: '1' };
    const stop: OrderRequest = { side: 'SELL', type: 'STOP_MARKET', quantity: '1' };
    const steps: [OrderRequest, string][] = [
      [{ ...limit, price: '99' }, 'SENT'],
      [{ ...limit, price: '98' }, 'SENT'],
      [{ ...limit, price: '98' }, 'DUPLICATE_ORDER'],
      [{ ...stop, triggerPrice: '95' }, 'SENT'],
      [{ ...stop, triggerPrice: '94' }, 'SENT'],
      [{ ...stop, triggerPrice: '94' }, 'DUPLICATE_ORDER'],
    ];
    steps.forEach(([req, reason], i) => expect(t.submit(req, 10 + i).reason).toBe(reason));
  });
});

describe('trading state changes, as the desk sees them', () => {
  it('a halt without a strategy is published as global, with one as that strategy’s', () => {
    const t = setup({ global: {}, strategies: {} });
    const seen: unknown[] = [];
    t.bus.subscribe(Topics.risk, (e) => seen.push(e));
    t.risk.setState('HALTED', 1, 'risk-officer');
    t.risk.setState('REDUCING', 2, 'risk-officer', 'a');
    expect(seen).toEqual([
      {
        kind: 'TradingStateChanged',
        scope: 'GLOBAL',
        strategyId: null,
        state: 'HALTED',
        actor: 'risk-officer',
        ts: 1,
      },
      {
        kind: 'TradingStateChanged',
        scope: 'STRATEGY',
        strategyId: 'a',
        state: 'REDUCING',
        actor: 'risk-officer',
        ts: 2,
      },
    ]);
  });
});
