import fc from 'fast-check';
import { Dec } from '../../../../src/trading/core/decimal.js';
import { price, quantity } from '../../../../src/trading/core/money.js';
import { SimulatedExchange } from '../../../../src/trading/backtest/simulated-exchange.js';
import type { TradeTick } from '../../../../src/trading/data/market-data.js';
import {
  orderRef,
  type OrderEvent,
  type OrderFilled,
} from '../../../../src/trading/model/order-events.js';
import { isOnGrid } from '../../../../src/trading/model/snap.js';
import { bar, instrument, submittedOrder } from '../../../support/builders.js';

function venue(
  opts: {
    slippageBps?: number;
    latencyMs?: number;
    maxVolumeFraction?: number;
    buyFeeIn?: 'quote' | 'base';
  } = {},
  inst = instrument(),
) {
  const events: OrderEvent[] = [];
  const ex = new SimulatedExchange({ venue: 'SIM', instruments: [inst], ...opts }, (e) =>
    events.push(e),
  );
  const fills = () =>
    events.filter((e): e is OrderFilled => e.kind === 'OrderFilled').map((e) => e.fill);
  return { ex, events, fills };
}

describe('SimulatedExchange, bar model', () => {
  it('without keepClosed (a backtest) it reports the same events and answers for working orders only', async () => {
    const keep = venue({ latencyMs: 1000 });
    const lean = new SimulatedExchange(
      { venue: 'SIM', instruments: [instrument()], latencyMs: 1000, keepClosed: false },
      (e) => leanEvents.push(e),
    );
    const leanEvents: OrderEvent[] = [];
    const orders = [
      submittedOrder({ quantity: quantity('3') }, 'market'),
      submittedOrder({ type: 'LIMIT', price: price('90') }, 'resting'),
      submittedOrder({ type: 'LIMIT', price: price('80') }, 'canceled'),
    ];
    for (const ex of [keep.ex, lean]) for (const o of orders) ex.submit(o, 0);
    // Not yet arrived: neither knows of an order.
    expect(await lean.orderByClientId('market')).toBeNull();
    expect(await keep.ex.orderByClientId('market')).toBeNull();
    const bars = [bar(100, 101, 99, 100.5, 0), bar(100, 101, 99, 100, 60_000)];
    for (const ex of [keep.ex, lean]) {
      ex.onBar(bars[0]!);
      ex.cancel('canceled', 30_000);
      ex.onBar(bars[1]!);
    }
    expect(leanEvents).toEqual(keep.events);
    expect(leanEvents.map((e) => e.kind)).toEqual([
      'OrderAccepted',
      'OrderFilled',
      'OrderAccepted',
      'OrderAccepted',
      'OrderCanceled',
    ]);
    // The working order: the same report from both.
    const resting = await keep.ex.orderByClientId('resting');
    expect(resting).toMatchObject({ status: 'OPEN', venueOrderId: 'SIM-2' });
    expect(await lean.orderByClientId('resting')).toEqual(resting);
    expect(await lean.openOrders()).toEqual(await keep.ex.openOrders());
    expect(await lean.openOrders()).toEqual([resting]);
    // The closed ones and the trades: kept by one, forgotten by the other.
    expect((await keep.ex.orderByClientId('market'))!.status).toBe('FILLED');
    expect((await keep.ex.orderByClientId('canceled'))!.status).toBe('CANCELED');
    expect(await lean.orderByClientId('market')).toBeNull();
    expect(await lean.orderByClientId('canceled')).toBeNull();
    expect(await keep.ex.tradesSince(0)).toHaveLength(1);
    expect(await lean.tradesSince(0)).toEqual([]);
    expect(lean.snapshot()).toMatchObject({ reports: [], trades: [] });
    // A working order's id is still refused.
    lean.submit(submittedOrder({ type: 'LIMIT', price: price('70') }, 'resting'), 120_000);
    expect((await lean.orderByClientId('resting'))!.venueOrderId).toBe('SIM-2');
    expect(lean.snapshot().duplicatesRefused).toBe(1);
  });

  it("reports what it knows of an order (a report once given does not change) and its events carry the order's reference", async () => {
    const { ex, events } = venue();
    const order = submittedOrder({ quantity: quantity('3') });
    ex.submit(order, 0);
    const open = await ex.orderByClientId(order.clientOrderId);
    expect(open).toEqual({
      clientOrderId: order.clientOrderId,
      venueOrderId: 'SIM-1',
      status: 'OPEN',
      filledQuantity: Dec(0),
      reason: null,
    });
    expect(await ex.openOrders()).toEqual([open]);
    ex.onBar(bar(100.1, 101, 99, 100.5, 60_000));
    const filled = await ex.orderByClientId(order.clientOrderId);
    expect([filled!.status, filled!.filledQuantity.toFixed()]).toEqual(['FILLED', '3']);
    expect(open!.status).toBe('OPEN');
    expect(await ex.openOrders()).toEqual([]);
    expect(await ex.orderByClientId('nope')).toBeNull();
    const [accepted, fill] = events as [OrderEvent, OrderFilled];
    // The same fields, in the same order, as a spread of orderRef (what the events were made of).
    expect(Object.entries(accepted)).toEqual(
      Object.entries({ kind: 'OrderAccepted', ...orderRef(order), ts: 0, venueOrderId: 'SIM-1' }),
    );
    expect(Object.entries(fill)).toEqual(
      Object.entries({ kind: 'OrderFilled', ...orderRef(order), ts: 60_000, fill: fill.fill }),
    );
  });

  it('fills a market order at the next bar open, taker fee exact', () => {
    const { ex, events, fills } = venue();
    ex.submit(submittedOrder({ quantity: quantity('3') }), 0);
    expect(events.map((e) => e.kind)).toEqual(['OrderAccepted']);
    ex.onBar(bar(100.1, 101, 99, 100.5, 60_000));
    expect(fills()).toHaveLength(1);
    const f = fills()[0]!;
    expect(f.price.toFixed()).toBe('100.1');
    expect(f.fee.amount.toFixed()).toBe(Dec('100.1').times(3).times('0.002').toFixed());
    expect(f.liquidity).toBe('TAKER');
    expect(f.ts).toBe(60_000);
  });

  it("charges a buy's fee in the base with buyFeeIn: 'base' (as Binance), a sell's in the quote", () => {
    const { ex, fills } = venue({ buyFeeIn: 'base' });
    ex.submit(submittedOrder({ quantity: quantity('3') }), 0);
    ex.submit(submittedOrder({ side: 'SELL', quantity: quantity('2') }, 'o-2'), 0);
    ex.onBar(bar(100.1, 101, 99, 100.5, 60_000));
    expect(fills().map((f) => [f.side, f.fee.amount.toFixed(), f.fee.currency])).toEqual([
      ['BUY', '0.006', 'TEST'],
      ['SELL', Dec('100.1').times(2).times('0.002').toFixed(), 'USD'],
    ]);
  });

  it('refuses a client order id it has seen, leaving the first order as it was', () => {
    const { ex, events, fills } = venue();
    ex.submit(submittedOrder({ quantity: quantity('3') }), 0);
    ex.submit(submittedOrder({ quantity: quantity('5') }), 1);
    expect(events.map((e) => e.kind)).toEqual(['OrderAccepted']);
    ex.onBar(bar(100, 101, 99, 100, 60_000));
    ex.submit(submittedOrder({ quantity: quantity('5') }), 70_000);
    expect(fills().map((f) => f.quantity.toFixed())).toEqual(['3']);
    expect(ex.snapshot().duplicatesRefused).toBe(2);
  });

  it('never fills an order when no later bar comes', () => {
    const { ex, fills } = venue();
    ex.onBar(bar(100, 101, 99, 100, 0));
    ex.submit(submittedOrder(), 60_000);
    expect(fills()).toHaveLength(0);
    expect(ex.openOrderIds()).toEqual(['o-1']);
  });

  it('fills a buy limit at its price when touched (maker), at the open on a gap (taker)', () => {
    const a = venue();
    a.ex.submit(submittedOrder({ type: 'LIMIT', price: price('99.5') }), 0);
    a.ex.onBar(bar(100, 101, 99.6, 100.5, 60_000));
    expect(a.fills()).toHaveLength(0);
    a.ex.onBar(bar(100, 100.2, 99.4, 99.8, 120_000));
    expect(a.fills()[0]!.price.toFixed()).toBe('99.5');
    expect(a.fills()[0]!.liquidity).toBe('MAKER');
    const b = venue();
    b.ex.submit(submittedOrder({ type: 'LIMIT', price: price('99.5') }), 0);
    b.ex.onBar(bar(98, 99, 97, 98.5, 60_000));
    expect(b.fills()[0]!.price.toFixed()).toBe('98');
  });

  it('follows the intrabar path: O→H→L→C on a down bar, O→L→H→C on an up bar', () => {
    for (const [b, first] of [
      [bar(100, 105, 95, 98, 60_000), 'sell-limit'],
      [bar(100, 105, 95, 102, 60_000), 'buy-limit'], // submitted second, reached first
    ] as const) {
      const { ex, fills } = venue();
      ex.submit(
        submittedOrder({ type: 'LIMIT', side: 'SELL', price: price('104') }, 'sell-limit'),
        0,
      );
      ex.submit(submittedOrder({ type: 'LIMIT', side: 'BUY', price: price('96') }, 'buy-limit'), 0);
      ex.onBar(b);
      expect(fills()).toHaveLength(2);
      expect(fills()[0]!.clientOrderId).toBe(first);
    }
  });

  it('triggers a buy stop at its trigger, or at the open on a gap, with slippage snapped up', () => {
    const { ex, fills } = venue({ slippageBps: 10 });
    ex.submit(submittedOrder({ type: 'STOP_MARKET', triggerPrice: price('101') }, 'a'), 0);
    ex.submit(submittedOrder({ type: 'STOP_MARKET', triggerPrice: price('90') }, 'b'), 0);
    ex.onBar(bar(100, 102, 99, 101.5, 60_000));
    const byId = Object.fromEntries(fills().map((f) => [f.clientOrderId, f.price.toFixed()]));
    expect(byId.a).toBe('101.11'); // 101 × 1.001 = 101.101 → up to the tick
    expect(byId.b).toBe('100.1'); // gap: open 100 × 1.001
  });

  it('turns a stop-limit into a limit that can fill later', () => {
    const { ex, fills } = venue();
    ex.submit(
      submittedOrder({ type: 'STOP_LIMIT', triggerPrice: price('101'), price: price('100.5') }),
      0,
    );
    ex.onBar(bar(100, 101.2, 100.8, 101, 60_000)); // up bar: O L H C → triggers at H, no return to 100.5
    expect(fills()).toHaveLength(0);
    ex.onBar(bar(101, 101.1, 100.4, 100.6, 120_000));
    expect(fills()[0]!.price.toFixed()).toBe('100.5');
  });

  it('delays acceptance and fills by the latency; a cancel can lose the race to a fill', () => {
    const { ex, events, fills } = venue({ latencyMs: 90_000 });
    ex.submit(submittedOrder(), 0);
    expect(events).toHaveLength(0);
    ex.onBar(bar(100, 101, 99, 100, 60_000));
    expect(events).toHaveLength(0);
    ex.onBar(bar(101, 102, 100, 101, 120_000));
    expect(events.map((e) => e.kind)).toEqual(['OrderAccepted', 'OrderFilled']);
    expect(fills()[0]!.price.toFixed()).toBe('101');
    const v2 = venue({ latencyMs: 30_000 });
    v2.ex.submit(submittedOrder({ type: 'LIMIT', price: price('50') }), 0);
    v2.ex.cancel('o-1', 10_000);
    v2.ex.onBar(bar(100, 101, 99, 100, 60_000));
    expect(v2.events.map((e) => e.kind)).toEqual(['OrderAccepted', 'OrderCanceled']);
  });

  it('handles IOC, FOK and post-only on the first chance', () => {
    const v = venue();
    v.ex.submit(
      submittedOrder({ type: 'LIMIT', price: price('90'), timeInForce: 'IOC' }, 'ioc'),
      0,
    );
    v.ex.submit(
      submittedOrder({ type: 'LIMIT', price: price('90'), timeInForce: 'FOK' }, 'fok'),
      0,
    );
    v.ex.submit(submittedOrder({ type: 'LIMIT', price: price('101'), postOnly: true }, 'po'), 0);
    v.ex.onBar(bar(100, 101, 99, 100, 60_000));
    const kinds = v.events.map(
      (e) => `${e.clientOrderId}:${e.kind}:${'reason' in e ? e.reason : ''}`,
    );
    expect(kinds).toContain('ioc:OrderCanceled:IOC_REMAINDER_CANCELED');
    expect(kinds).toContain('fok:OrderCanceled:FOK_NOT_FILLABLE');
    expect(kinds).toContain('po:OrderRejected:POST_ONLY_WOULD_TAKE');
  });

  it('never overfills; fills stay within the bar and on the lot grid (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 50, max: 150 }),
            fc.integer({ min: 0, max: 10 }),
            fc.integer({ min: 0, max: 10 }),
            fc.integer({ min: -5, max: 5 }),
          ),
          { minLength: 1, maxLength: 30 },
        ),
        fc.array(
          fc.tuple(
            fc.constantFrom('MARKET', 'LIMIT', 'STOP_MARKET', 'STOP_LIMIT'),
            fc.constantFrom('BUY', 'SELL'),
            fc.integer({ min: 50, max: 150 }),
            fc.integer({ min: 1, max: 50 }),
          ),
          { maxLength: 8 },
        ),
        (bars, orders) => {
          const { ex, fills } = venue();
          const qty = new Map<string, number>();
          orders.forEach(([type, side, p, q], i) => {
            qty.set(`o${i}`, q);
            ex.submit(
              submittedOrder(
                {
                  type: type as 'LIMIT',
                  side: side as 'BUY',
                  quantity: quantity(q),
                  price: type.endsWith('LIMIT') ? price(p) : null,
                  triggerPrice: type.startsWith('STOP') ? price(p) : null,
                },
                `o${i}`,
              ),
              0,
            );
          });
          const ranges = new Map<number, [number, number]>();
          bars.forEach(([o, up, down, drift], i) => {
            const c = o + drift;
            const b = bar(o, Math.max(o, c) + up, Math.min(o, c) - down, c, (i + 1) * 60_000);
            ranges.set(b.openTime, [b.low, b.high]);
            ex.onBar(b);
          });
          const filled = new Map<string, number>();
          for (const f of fills()) {
            filled.set(
              f.clientOrderId,
              (filled.get(f.clientOrderId) ?? 0) + Number(f.quantity.toFixed()),
            );
            const [lo, hi] = ranges.get(f.ts)!;
            expect(Number(f.price.toFixed())).toBeGreaterThanOrEqual(lo);
            expect(Number(f.price.toFixed())).toBeLessThanOrEqual(hi);
            expect(isOnGrid(f.quantity, Dec(1))).toBe(true);
          }
          for (const [id, q] of filled) expect(q).toBeLessThanOrEqual(qty.get(id)!);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SimulatedExchange, trade-tick model', () => {
  const tick = (ts: number, p: number, size: number): TradeTick => ({
    instrumentId: 'TEST/USD',
    ts,
    tradeId: String(ts),
    price: p,
    size,
    aggressor: 'NONE',
  });

  it('fills partially, bounded by traded volume, first order first', () => {
    const { ex, fills } = venue();
    ex.submit(submittedOrder({ quantity: quantity('10') }, 'a'), 0);
    ex.submit(submittedOrder({ quantity: quantity('5') }, 'b'), 0);
    ex.onTrade(tick(1, 100, 7));
    ex.onTrade(tick(2, 101, 6));
    ex.onTrade(tick(3, 102, 100));
    expect(
      fills().map((f) => `${f.clientOrderId}:${f.quantity.toFixed()}@${f.price.toFixed()}`),
    ).toEqual(['a:7@100', 'a:3@101', 'b:3@101', 'b:2@102']);
  });

  it('fills a resting limit at its price as maker when a trade reaches it', () => {
    const { ex, fills } = venue();
    ex.submit(submittedOrder({ type: 'LIMIT', price: price('99'), quantity: quantity('2') }), 0);
    ex.onTrade(tick(1, 100, 5));
    expect(fills()).toHaveLength(0);
    ex.onTrade(tick(2, 98.5, 5));
    expect(fills()[0]!.price.toFixed()).toBe('99');
    expect(fills()[0]!.liquidity).toBe('MAKER');
  });
});
