import { Endpoints, Topics } from '../../../../src/trading/bus/topics.js';
import { money, price, quantity } from '../../../../src/trading/core/money.js';
import { submitRequest } from '../../../../src/trading/strategy/strategy-runner.js';
import { SimClock } from '../../../../src/trading/clock/sim-clock.js';
import { SimulatedExchange } from '../../../../src/trading/backtest/simulated-exchange.js';
import type { Bar } from '../../../../src/trading/data/market-data.js';
import { makeOrder } from '../../../../src/trading/execution/order-factory.js';
import { Kernel } from '../../../../src/trading/kernel/kernel.js';
import { orderRef, type OrderEvent } from '../../../../src/trading/model/order-events.js';
import type { PositionChanged } from '../../../../src/trading/model/position-changed.js';
import { bar, instrument } from '../../../support/builders.js';

const INST = instrument({ makerFee: '0', takerFee: '0' });

function kernel(accountId = 'paper') {
  const seen: string[] = [];
  const k = new Kernel({
    accountId,
    clock: new SimClock(0),
    instruments: [INST],
    cash: { USD: '100000' },
    venue: (ports) => {
      const sim = new SimulatedExchange({ venue: 'SIM', instruments: [INST] }, ports.report);
      return {
        submit: (o, ts) => sim.submit(o, ts),
        cancel: (id, ts) => sim.cancel(id, ts),
        onBar: (b: Bar) => {
          seen.push(`venue ${b.closeTime} last=${k.data.lastPrice(INST.id)?.toFixed() ?? 'none'}`);
          sim.onBar(b);
        },
      };
    },
  });
  return { k, seen };
}

function buy(k: Kernel, strategyId: string, id: string, quantity: string) {
  const { order } = makeOrder({ side: 'BUY', quantity }, INST, {
    clientOrderId: id,
    accountId: k.accountId,
    strategyId,
    ts: k.clock.now(),
  });
  k.exec.add(order);
  k.submit(order, k.clock.now());
}

describe('Kernel', () => {
  it('lets the venue match a bar at its open before strategies hear it at its close', () => {
    const { k, seen } = kernel();
    k.bus.subscribe<Bar>(Topics.bars(INST.id), (b) =>
      seen.push(
        `strategy ${b.closeTime} now=${k.clock.now()} last=${k.data.lastPrice(INST.id)!.toFixed()}`,
      ),
    );
    const b = { ...bar(10, 11, 9, 10.5, 60_000), instrumentId: INST.id };
    k.onBar(b);
    expect(seen).toEqual([`venue 120000 last=none`, `strategy 120000 now=120000 last=10.5`]);
  });

  it('books venue reports sent through the bus, and publishes each strategy its own position', () => {
    const { k } = kernel();
    const events: OrderEvent[] = [];
    const positions: PositionChanged[] = [];
    k.bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => events.push(e));
    k.bus.subscribe<PositionChanged>('events.position.*', (e) => positions.push(e));
    k.onBar({ ...bar(10, 10, 10, 10, 0), instrumentId: INST.id });
    buy(k, 'user:1', 'u-1', '5');
    buy(k, 'sma', 'sma-1', '2');
    k.onBar({ ...bar(10, 10, 10, 10, 60_000), instrumentId: INST.id });
    expect(events.filter((e) => e.kind === 'OrderFilled').map((e) => e.clientOrderId)).toEqual([
      'u-1',
      'sma-1',
    ]);
    expect(
      positions.map((p) => [p.strategyId, p.quantity.toFixed(), p.accountQuantity.toFixed()]),
    ).toEqual([
      ['user:1', '5', '5'],
      ['sma', '2', '7'],
    ]);
    const services = k.strategyServices(
      'sma',
      () => 0,
      () => undefined,
    );
    expect(services.position(INST.id).quantity.toFixed()).toBe('2');
    // The orders of the strategy the OMS holds (filled ones too), not another owner's.
    buy(k, 'sma', 'sma-2', '1');
    expect(services.heldOrderIds?.('sma')).toEqual(['sma-1', 'sma-2']);
    expect(services.heldOrderIds?.('user:1')).toEqual(['u-1']);
    expect(k.ledger.position(INST.id).quantity.toFixed()).toBe('7');
    expect(k.ledger.cash('USD').toFixed()).toBe('99930');
  });

  it('denies at the gate through the bus: the order is DENIED with the reason, nothing reaches the venue', () => {
    const { k } = kernel();
    k.onBar({ ...bar(10, 10, 10, 10, 0), instrumentId: INST.id });
    buy(k, 'sma', 'sma-1', '1000000');
    expect(k.exec.order('sma-1')).toMatchObject({
      status: 'DENIED',
      reason: 'INSUFFICIENT_BALANCE',
    });
  });

  it('stamps its account on every order, event, fill and position change a strategy causes', () => {
    const { k } = kernel('acme');
    const events: OrderEvent[] = [];
    const positions: PositionChanged[] = [];
    k.bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => events.push(e));
    k.bus.subscribe<PositionChanged>('events.position.*', (e) => positions.push(e));
    k.onBar({ ...bar(10, 10, 10, 10, 0), instrumentId: INST.id });
    const services = k.strategyServices(
      'sma',
      () => 0,
      () => undefined,
    );
    submitRequest(services, 'sma', { side: 'BUY', quantity: '2' }, INST, 'sma-1', 0);
    submitRequest(services, 'sma', { side: 'BUY', quantity: '-1' }, INST, 'sma-2', 0);
    k.onBar({ ...bar(10, 10, 10, 10, 60_000), instrumentId: INST.id });
    expect(new Set(events.map((e) => e.kind))).toEqual(
      new Set([
        'OrderInitialized',
        'OrderDenied',
        'OrderSubmitted',
        'OrderAccepted',
        'OrderFilled',
      ]),
    );
    expect(events.map((e) => e.accountId)).toEqual(events.map(() => 'acme'));
    const fills = events.flatMap((e) => (e.kind === 'OrderFilled' ? [e.fill] : []));
    expect(fills.map((f) => f.accountId)).toEqual(['acme']);
    expect(positions.map((p) => p.accountId)).toEqual(['acme']);
    expect([k.exec.order('sma-1')!.accountId, k.exec.order('sma-2')!.accountId]).toEqual([
      'acme',
      'acme',
    ]);
  });

  it("refuses a fill of another account's order as a broken invariant, and books nothing", () => {
    const { k } = kernel('acme');
    k.onBar({ ...bar(10, 10, 10, 10, 0), instrumentId: INST.id });
    buy(k, 'sma', 'sma-1', '1');
    const order = k.exec.order('sma-1')!;
    const fill = {
      venue: 'SIM',
      tradeId: 'X-1',
      accountId: 'other',
      clientOrderId: 'sma-1',
      instrumentId: INST.id,
      side: 'BUY' as const,
      price: price('10'),
      quantity: quantity('1'),
      fee: money('0', 'USD'),
      liquidity: 'TAKER' as const,
      ts: 1,
    };
    expect(() =>
      k.bus.send(Endpoints.executionReports, {
        kind: 'OrderFilled',
        ...orderRef(order),
        ts: 1,
        fill,
      }),
    ).toThrow(/ACCOUNT_MISMATCH/);
    expect(k.ledger.position(INST.id).quantity.toFixed()).toBe('0');
    expect(k.ledger.cash('USD').toFixed()).toBe('100000');
  });

  it("gives strategies one window over closed orders: the OMS's, else 10 minutes; never longer than the OMS keeps them", () => {
    const windowOf = (extra: { closedOrderRetentionMs?: number; strategyOrderWindowMs?: number }) =>
      new Kernel({
        accountId: 'a',
        clock: new SimClock(0),
        instruments: [INST],
        cash: { USD: '1' },
        venue: () => ({ submit: () => undefined, cancel: () => undefined }),
        ...extra,
      }).strategyServices(
        's',
        () => 0,
        () => undefined,
      ).closedOrderWindowMs;
    expect(windowOf({})).toBe(600_000);
    expect(windowOf({ closedOrderRetentionMs: 60_000 })).toBe(60_000);
    expect(windowOf({ strategyOrderWindowMs: 60_000 })).toBe(60_000);
    expect(() =>
      windowOf({ closedOrderRetentionMs: 60_000, strategyOrderWindowMs: 60_001 }),
    ).toThrow('strategyOrderWindowMs: must be at most closedOrderRetentionMs (60000), was 60001');
    expect(() => windowOf({ strategyOrderWindowMs: Number.NaN })).toThrow(
      'strategyOrderWindowMs: must be a finite number of milliseconds >= 0, was NaN',
    );
  });
});
