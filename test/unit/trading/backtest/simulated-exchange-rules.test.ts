import fc from 'fast-check';
import { Dec } from '../../../../src/trading/core/decimal.js';
import { price, quantity } from '../../../../src/trading/core/money.js';
import { SimulatedExchange } from '../../../../src/trading/backtest/simulated-exchange.js';
import type { Bar, TradeTick } from '../../../../src/trading/data/market-data.js';
import type { OrderEvent, OrderFilled } from '../../../../src/trading/model/order-events.js';
import { bar, instrument, submittedOrder } from '../../../support/builders.js';

// The simulated exchange's rules (docs/simulated-exchange.md) that its first mutation run
// (`npm run mutate -- trading/backtest`) showed could break with every test green: which
// instrument an order trades on, when an order and a cancel arrive, which fee rate a fill pays,
// what a replayed bar or a restored state does, what a venue query answers.

const OTHER = instrument({ id: 'OTHER/USD', base: 'OTHER' });

function venue(
  opts: { latencyMs?: number; maxVolumeFraction?: number; keepClosed?: boolean } = {},
  instruments = [instrument(), OTHER],
) {
  const events: OrderEvent[] = [];
  const ex = new SimulatedExchange({ venue: 'SIM', instruments, ...opts }, (e) => events.push(e));
  const fills = () =>
    events.filter((e): e is OrderFilled => e.kind === 'OrderFilled').map((e) => e.fill);
  const of = (id: string) =>
    events
      .filter((e) => e.clientOrderId === id)
      .map((e) => `${e.kind}@${e.ts}${'reason' in e ? `:${e.reason}` : ''}`);
  return { ex, events, fills, of };
}

const otherBar = (o: number, t: number): Bar => ({
  ...bar(o, o + 1, o - 1, o, t),
  instrumentId: 'OTHER/USD',
});
const tick = (ts: number, p: number, size: number, instrumentId = 'TEST/USD'): TradeTick => ({
  instrumentId,
  ts,
  tradeId: String(ts),
  price: p,
  size,
  aggressor: 'NONE',
});

describe('SimulatedExchange: an order trades only on its own instrument', () => {
  it("ignores another instrument's bars, with one order working or several", () => {
    const one = venue();
    one.ex.submit(submittedOrder({}, 'a'), 0);
    one.ex.onBar(otherBar(50, 60_000));
    expect(one.fills()).toEqual([]);
    one.ex.onBar(bar(100, 101, 99, 100, 120_000));
    expect(one.fills().map((f) => [f.clientOrderId, f.price.toFixed(), f.ts])).toEqual([
      ['a', '100', 120_000],
    ]);

    const two = venue();
    two.ex.submit(submittedOrder({}, 'a'), 0);
    two.ex.submit(submittedOrder({ instrumentId: 'OTHER/USD' }, 'b'), 0);
    two.ex.onBar(otherBar(50, 60_000));
    expect(two.fills().map((f) => [f.clientOrderId, f.instrumentId, f.price.toFixed()])).toEqual([
      ['b', 'OTHER/USD', '50'],
    ]);
  });

  it("ignores another instrument's trades, with one order working or several", () => {
    for (const ids of [['a'], ['a', 'b']]) {
      const v = venue();
      for (const id of ids) v.ex.submit(submittedOrder({ quantity: quantity('2') }, id), 0);
      v.ex.onTrade(tick(1, 50, 100, 'OTHER/USD'));
      expect(v.fills()).toEqual([]);
      v.ex.onTrade(tick(2, 100, 100));
      expect(v.fills().map((f) => f.clientOrderId)).toEqual(ids);
    }
  });

  it('matches an instrument added later with setInstrument; unknown ones are rejected by name', () => {
    const v = venue({}, [instrument()]);
    v.ex.submit(submittedOrder({ instrumentId: 'OTHER/USD' }, 'early'), 0);
    expect(v.events).toEqual([
      expect.objectContaining({
        kind: 'OrderRejected',
        clientOrderId: 'early',
        reason: 'UNKNOWN_INSTRUMENT',
        message: 'unknown instrument OTHER/USD',
      }),
    ]);
    v.ex.setInstrument(OTHER);
    v.ex.submit(submittedOrder({ instrumentId: 'OTHER/USD' }, 'late'), 0);
    v.ex.onBar(otherBar(50, 60_000));
    expect(v.of('late')).toEqual(['OrderAccepted@0', 'OrderFilled@60000']);
  });
});

describe('SimulatedExchange: fees by liquidity', () => {
  it('charges the maker rate on a maker fill and the taker rate on a taker fill (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 99 }),
        fc.integer({ min: 90, max: 110 }),
        (maker, taker, qty, limit) => {
          const inst = instrument({
            makerFee: String(maker / 10_000),
            takerFee: String(taker / 10_000),
          });
          const v = venue({}, [inst]);
          v.ex.submit(submittedOrder({ quantity: quantity(qty) }, 'market'), 0);
          v.ex.submit(
            submittedOrder(
              { type: 'LIMIT', price: price(limit), quantity: quantity(qty) },
              'limit',
            ),
            0,
          );
          // Opens at 100 (the market order and a limit at or above it fill there as takers),
          // then down to 89: a limit below 100 rests and fills at its price as a maker.
          v.ex.onBar(bar(100, 100, 89, 95, 60_000));
          for (const f of v.fills()) {
            const rate = f.liquidity === 'MAKER' ? inst.makerFee : inst.takerFee;
            expect(f.fee.amount.toFixed()).toBe(
              Dec(f.price.toFixed()).times(qty).times(rate).toFixed(),
            );
            expect(f.liquidity).toBe(
              f.clientOrderId === 'limit' && limit < 100 ? 'MAKER' : 'TAKER',
            );
          }
          expect(v.fills()).toHaveLength(2);
        },
      ),
    );
  });

  it('numbers its trades from 1 up, one id a fill', () => {
    const v = venue();
    for (const id of ['a', 'b', 'c'])
      v.ex.submit(submittedOrder({ quantity: quantity('3') }, id), 0);
    v.ex.onTrade(tick(1, 100, 4));
    v.ex.onTrade(tick(2, 100, 100));
    expect(v.fills().map((f) => f.tradeId)).toEqual(v.fills().map((_, i) => `SIM-T${i + 1}`));
    expect(v.fills()).toHaveLength(4);
  });
});

describe('SimulatedExchange: trade ticks offer size × maxVolumeFraction', () => {
  it('lets the orders take that fraction of each trade, oldest first (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }).map((x) => x / 10),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        (fraction, sizes, trades) => {
          const v = venue({ maxVolumeFraction: fraction });
          sizes.forEach((q, i) =>
            v.ex.submit(submittedOrder({ quantity: quantity(q) }, `o${i}`), 0),
          );
          // The model: each trade offers floor(size × fraction) lots (lot size 1), taken by the
          // orders in submission order.
          const left = [...sizes];
          const want: string[] = [];
          trades.forEach((size, k) => {
            let offer = Math.floor(size * fraction + 1e-9);
            v.ex.onTrade(tick(k + 1, 100, size));
            left.forEach((l, i) => {
              const take = Math.min(l, offer);
              if (take > 0) want.push(`o${i}:${take}@${k + 1}`);
              left[i] = l - take;
              offer -= take;
            });
          });
          expect(
            v.fills().map((f) => `${f.clientOrderId}:${f.quantity.toFixed()}@${f.ts}`),
          ).toEqual(want);
        },
      ),
    );
  });
});

describe('SimulatedExchange: latency', () => {
  it('accepts an order at the first bar opening at or after its arrival', () => {
    const v = venue({ latencyMs: 60_000 });
    v.ex.submit(submittedOrder({}, 'a'), 0);
    v.ex.onBar(bar(100, 101, 99, 100, 60_000)); // arrives exactly at this open
    expect(v.of('a')).toEqual(['OrderAccepted@60000', 'OrderFilled@60000']);
  });

  it("cancels at the cancel's arrival: a bar before it may still fill, one at or after it may not", () => {
    // The cancel, sent at 10 s, arrives at 40 s.
    const early = venue({ latencyMs: 30_000 });
    early.ex.submit(submittedOrder({ type: 'LIMIT', price: price('99') }, 'a'), 0);
    early.ex.cancel('a', 10_000);
    early.ex.onBar(bar(100, 101, 98, 100, 30_000)); // before the cancel arrives: fills
    expect(early.of('a')).toEqual(['OrderAccepted@30000', 'OrderFilled@30000']);

    for (const open of [40_000, 60_000]) {
      const late = venue({ latencyMs: 30_000 });
      late.ex.submit(submittedOrder({ type: 'LIMIT', price: price('99') }, 'a'), 0);
      late.ex.cancel('a', 10_000);
      late.ex.onBar(bar(98, 101, 97, 100, open)); // the cancel is there first: no fill, ever
      expect(late.of('a')).toEqual(['OrderAccepted@30000', 'OrderCanceled@40000:CANCELED_BY_USER']);
      late.ex.onBar(bar(98, 101, 97, 100, open + 60_000));
      expect(late.fills()).toEqual([]);
    }
  });

  it('keeps the first cancel of an order; a second, or one of an unknown order, changes nothing', () => {
    const v = venue({ latencyMs: 30_000 });
    v.ex.submit(submittedOrder({ type: 'LIMIT', price: price('50') }, 'a'), 0);
    v.ex.cancel('a', 10_000); // arrives at 40 s
    v.ex.cancel('a', 50_000); // would arrive at 80 s
    v.ex.cancel('nope', 50_000);
    v.ex.onBar(bar(100, 101, 99, 100, 60_000));
    expect(v.of('a')).toEqual(['OrderAccepted@30000', 'OrderCanceled@40000:CANCELED_BY_USER']);
    expect(v.events).toHaveLength(2);
  });

  it('judges a marketable limit that arrives late as any limit, and rejects only post-only ones', async () => {
    const v = venue({ latencyMs: 1_000 });
    v.ex.submit(submittedOrder({ type: 'LIMIT', price: price('101') }, 'plain'), 0);
    v.ex.submit(submittedOrder({ type: 'LIMIT', price: price('101'), postOnly: true }, 'post'), 0);
    v.ex.onBar(bar(100, 101, 99, 100, 60_000));
    v.ex.onBar(bar(100, 101, 99, 100, 120_000));
    expect(v.of('plain')).toEqual(['OrderAccepted@1000', 'OrderFilled@60000']);
    expect(v.fills()[0]!.price.toFixed()).toBe('100');
    // Rejected, and nothing after: not matched on the bar that rejected it, nor on later ones.
    expect(v.of('post')).toEqual(['OrderRejected@60000:POST_ONLY_WOULD_TAKE']);
    expect(await v.ex.orderByClientId('post')).toMatchObject({
      status: 'REJECTED',
      reason: 'POST_ONLY_WOULD_TAKE',
    });
  });
});

describe('SimulatedExchange: time in force with one order working', () => {
  it('cancels the rest of an IOC, and nothing of one that filled whole', () => {
    const rest = venue();
    rest.ex.submit(
      submittedOrder({ type: 'LIMIT', price: price('90'), timeInForce: 'IOC' }, 'a'),
      0,
    );
    rest.ex.onBar(bar(100, 101, 99, 100, 60_000));
    expect(rest.of('a')).toEqual(['OrderAccepted@0', 'OrderCanceled@60000:IOC_REMAINDER_CANCELED']);

    for (const tif of ['IOC', 'FOK'] as const) {
      const whole = venue();
      whole.ex.submit(submittedOrder({ timeInForce: tif }, 'a'), 0);
      whole.ex.onBar(bar(100, 101, 99, 100, 60_000));
      expect(whole.of('a')).toEqual(['OrderAccepted@0', 'OrderFilled@60000']);
      const ticks = venue();
      ticks.ex.submit(submittedOrder({ timeInForce: tif, quantity: quantity('2') }, 'a'), 0);
      ticks.ex.onTrade(tick(5, 100, 10));
      expect(ticks.of('a')).toEqual(['OrderAccepted@0', 'OrderFilled@5']);
    }
  });
});

describe('SimulatedExchange: a stop-limit stays triggered', () => {
  it('fills as a limit on a later bar that reaches the limit but not the trigger again', () => {
    const v = venue();
    v.ex.submit(
      submittedOrder({ type: 'STOP_LIMIT', triggerPrice: price('101'), price: price('100.5') }),
      0,
    );
    v.ex.onBar(bar(100, 101.2, 100.8, 101, 60_000)); // up bar: O L H C, triggers at H, no return to 100.5
    expect(v.fills()).toEqual([]);
    v.ex.onBar(bar(100.8, 100.9, 100.4, 100.6, 120_000)); // under the trigger all along
    expect(v.fills().map((f) => [f.price.toFixed(), f.ts])).toEqual([['100.5', 120_000]]);
  });

  it('is no limit before its trigger, however many bars it waits', () => {
    const v = venue();
    v.ex.submit(
      submittedOrder({ type: 'STOP_LIMIT', triggerPrice: price('101'), price: price('100.5') }),
      0,
    );
    // Each bar reaches the limit, none the trigger.
    for (const t of [60_000, 120_000, 180_000]) v.ex.onBar(bar(100.8, 100.9, 100.4, 100.6, t));
    expect(v.fills()).toEqual([]);
    expect(v.ex.snapshot().working.map((w) => w.triggered)).toEqual([false]);
  });
});

describe('SimulatedExchange: bars seen before, and a restored state', () => {
  it('changes nothing for a bar it has matched already (a restarted node feeds it again)', () => {
    const v = venue();
    const b1 = bar(100, 101, 99, 100, 60_000);
    v.ex.onBar(b1);
    v.ex.submit(submittedOrder({}, 'a'), 60_000);
    v.ex.submit(submittedOrder({}, 'b'), 60_000);
    v.ex.onBar(b1);
    v.ex.onBar(bar(90, 101, 89, 100, 0));
    expect(v.fills()).toEqual([]);
    v.ex.onBar(bar(102, 103, 101, 102, 120_000));
    expect(v.fills().map((f) => [f.clientOrderId, f.price.toFixed()])).toEqual([
      ['a', '102'],
      ['b', '102'],
    ]);
  });

  it('restores a state taken before any bar, its in-flight orders without a venue id', () => {
    const a = venue({ latencyMs: 1_000 });
    a.ex.submit(submittedOrder({}, 'a'), 0);
    const state = a.ex.snapshot();
    expect(state.lastBarOpen).toBeNull();
    expect(state.working.map((w) => [w.order.clientOrderId, w.accepted, w.venueOrderId])).toEqual([
      ['a', false, ''],
    ]);
    const b = venue({ latencyMs: 1_000 });
    b.ex.restore(state);
    b.ex.onBar(bar(100, 101, 99, 100, 60_000));
    expect(b.of('a')).toEqual(['OrderAccepted@1000', 'OrderFilled@60000']);
  });
});

describe('SimulatedExchange: what it answers', () => {
  it('gives the trades from a time on, that time included', async () => {
    const v = venue();
    v.ex.submit(submittedOrder({ quantity: quantity('2') }, 'a'), 0);
    for (const ts of [10, 20, 30]) v.ex.onTrade(tick(ts, 100, 1));
    expect((await v.ex.tradesSince(20)).map((t) => t.ts)).toEqual([20]);
    expect((await v.ex.tradesSince(0)).map((t) => t.ts)).toEqual([10, 20]);
    expect(await v.ex.tradesSince(21)).toEqual([]);
  });

  it('without keepClosed, lists as open only the orders the venue accepted', async () => {
    const v = venue({ latencyMs: 5_000, keepClosed: false });
    v.ex.submit(submittedOrder({ type: 'LIMIT', price: price('50') }, 'a'), 0);
    expect(await v.ex.openOrders()).toEqual([]);
    v.ex.onBar(bar(100, 101, 99, 100, 60_000));
    expect((await v.ex.openOrders()).map((r) => [r.clientOrderId, r.status])).toEqual([
      ['a', 'OPEN'],
    ]);
  });
});
