import fc from 'fast-check';
import { Dec, type Decimal } from '../../../../../src/trading/core/decimal.js';
import { price as toPrice } from '../../../../../src/trading/core/money.js';
import {
  MatchingEngine,
  type MatchableOrder,
} from '../../../../../src/trading/execution/matching/matching-engine.js';
import type { OrderType, TimeInForce } from '../../../../../src/trading/model/order-types.js';

const TICK = Dec('0.01');
const LOT = Dec('0.001');
const grid = { tickSize: TICK, lotSize: LOT };

const onGrid = (step: Decimal, min: number, max: number) =>
  fc.integer({ min, max }).map((k) => Dec(k).times(step));
const priceArb = onGrid(TICK, 1, 2_000_000).map((d) => toPrice(d));
const qtyArb = onGrid(LOT, 1, 1_000_000);
const num = (d: Decimal) => Number(d.toString());

const orderArb = fc
  .record({
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    type: fc.constantFrom<OrderType>('MARKET', 'LIMIT', 'STOP_MARKET', 'STOP_LIMIT'),
    price: priceArb,
    triggerPrice: priceArb,
    timeInForce: fc.constantFrom<TimeInForce>('GTC', 'IOC', 'FOK'),
  })
  .map((o): MatchableOrder => ({
    ...o,
    price: o.type === 'LIMIT' || o.type === 'STOP_LIMIT' ? o.price : null,
    triggerPrice: o.type.startsWith('STOP') ? o.triggerPrice : null,
  }));
const stateArb = fc.record({ leaves: qtyArb, fresh: fc.boolean(), triggered: fc.boolean() });
/** A trade's available size: unlimited, none, or an amount off the lot grid. */
const availableArb = fc.option(
  fc.integer({ min: 0, max: 2_000_000_000 }).map((k) => Dec(k).times('0.000001')),
);
const pathArb = fc
  .tuple(priceArb, priceArb, priceArb, priceArb)
  .map(([o, a, b, c]) => [o, a, b, c].map(num) as readonly number[]);
const engines = [
  new MatchingEngine(),
  new MatchingEngine({ slippageBps: 25 }),
  new MatchingEngine({ buyFeeIn: 'base', feeDecimals: 8 }),
];

/** True when a fill at `p` is at the limit or better. */
function withinLimit(o: MatchableOrder, p: Decimal): boolean {
  return o.side === 'BUY' ? p.lte(o.price!) : p.gte(o.price!);
}

describe('MatchingEngine', () => {
  it('never fills more than the order leaves, nor more than a trade offers, and on the lot grid', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...engines),
        orderArb,
        stateArb,
        priceArb,
        availableArb,
        (engine, o, s, p, available) => {
          const { match } = engine.matchTrade(o, s, num(p), available, grid);
          if (!match) return;
          expect(match.quantity.gt(0)).toBe(true);
          expect(match.quantity.lte(s.leaves)).toBe(true);
          if (available !== null) expect(match.quantity.lte(available)).toBe(true);
          expect(match.quantity.mod(LOT).eq(0)).toBe(true);
          if (o.timeInForce === 'FOK') expect(match.quantity.eq(s.leaves)).toBe(true);
        },
      ),
    );
  });

  it('fills a bar whole or not at all', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...engines),
        orderArb,
        stateArb,
        pathArb,
        (engine, o, s, path) => {
          const { match } = engine.matchPath(o, s, path, grid);
          if (match) expect(match.quantity.eq(s.leaves)).toBe(true);
        },
      ),
    );
  });

  it('never fills a limit or stop-limit order through its limit price, on a trade or a bar', () => {
    const limits = orderArb.filter((o) => o.price !== null);
    fc.assert(
      fc.property(
        fc.constantFrom(...engines),
        limits,
        stateArb,
        priceArb,
        pathArb,
        (engine, o, s, p, path) => {
          const t = engine.matchTrade(o, s, num(p), null, grid).match;
          if (t) expect(withinLimit(o, t.price)).toBe(true);
          const b = engine.matchPath(o, s, path, grid).match;
          if (b) expect(withinLimit(o, b.price)).toBe(true);
        },
      ),
    );
  });

  it('a crossing limit order takes at the market price when fresh, rests as a maker at its limit later', () => {
    fc.assert(
      fc.property(priceArb, priceArb, qtyArb, fc.boolean(), (limit, market, leaves, buy) => {
        const o: MatchableOrder = {
          side: buy ? 'BUY' : 'SELL',
          type: 'LIMIT',
          price: limit,
          triggerPrice: null,
          timeInForce: 'GTC',
        };
        const engine = new MatchingEngine();
        const crosses = buy ? market.lte(limit) : market.gte(limit);
        const fresh = engine.matchTrade(
          o,
          { leaves, fresh: true, triggered: false },
          num(market),
          null,
          grid,
        );
        const later = engine.matchTrade(
          o,
          { leaves, fresh: false, triggered: false },
          num(market),
          null,
          grid,
        );
        expect(engine.wouldTake(o.side, limit, num(market))).toBe(crosses);
        if (!crosses) {
          expect(fresh.match).toBeNull();
          expect(later.match).toBeNull();
          return;
        }
        expect(fresh.match!.price.eq(market)).toBe(true);
        expect(fresh.match!.liquidity).toBe('TAKER');
        expect(later.match!.price.eq(limit)).toBe(true);
        expect(later.match!.liquidity).toBe('MAKER');
      }),
    );
  });

  it('charges a buy in the asset the switch names and a sell in the quote, exactly', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('quote' as const, 'base' as const),
        fc.constantFrom('BUY' as const, 'SELL' as const),
        priceArb,
        qtyArb,
        onGrid(Dec('0.0001'), 0, 100),
        (buyFeeIn, side, p, q, rate) => {
          const fee = new MatchingEngine({ buyFeeIn }).fee(side, p, q, rate, 'BTC', 'USDT');
          const inBase = side === 'BUY' && buyFeeIn === 'base';
          expect(fee.currency).toBe(inBase ? 'BTC' : 'USDT');
          // Exact: the decimal product, no float rounding anywhere.
          expect(fee.amount.eq(inBase ? q.times(rate) : p.times(q).times(rate))).toBe(true);
        },
      ),
    );
  });

  it('rounds a commission half up to the venue precision when asked, never otherwise', () => {
    fc.assert(
      fc.property(priceArb, qtyArb, onGrid(Dec('0.00001'), 1, 1000), (p, q, rate) => {
        const exact = p.times(q).times(rate);
        const fee = new MatchingEngine({ feeDecimals: 8 }).fee('SELL', p, q, rate, 'BTC', 'USDT');
        expect(fee.amount.eq(exact.round(8, Dec.roundHalfUp))).toBe(true);
        expect(fee.amount.minus(exact).abs().lte('0.000000005')).toBe(true);
      }),
    );
    expect(
      new MatchingEngine()
        .fee('BUY', Dec('0.1'), Dec('3'), Dec('0.001'), 'B', 'Q')
        .amount.toFixed(),
    ).toBe('0.0003');
  });

  it('examples: slippage on the tick grid, stops trigger then fill, FOK waits for size', () => {
    const engine = new MatchingEngine({ slippageBps: 10 });
    const stop: MatchableOrder = {
      side: 'BUY',
      type: 'STOP_MARKET',
      price: null,
      triggerPrice: toPrice('101'),
      timeInForce: 'GTC',
    };
    const s = { leaves: Dec('2'), fresh: false, triggered: false };
    expect(engine.matchTrade(stop, s, 100.5, null, grid)).toEqual({
      match: null,
      triggered: false,
    });
    const hit = engine.matchTrade(stop, s, 101.02, null, grid).match!;
    // 101.02 × 1.001 = 101.12102 → up to the tick.
    expect([hit.price.toFixed(), hit.quantity.toFixed(), hit.liquidity]).toEqual([
      '101.13',
      '2',
      'TAKER',
    ]);
    const path = engine.matchPath(stop, s, [100, 99, 102, 101.5], grid);
    expect(path.match!.at).toBe(2);
    const fok: MatchableOrder = {
      ...stop,
      type: 'LIMIT',
      price: toPrice('100'),
      triggerPrice: null,
      timeInForce: 'FOK',
    };
    expect(engine.matchTrade(fok, s, 99, Dec('1.9999'), grid).match).toBeNull();
    expect(engine.matchTrade(fok, s, 99, Dec('2'), grid).match!.quantity.toFixed()).toBe('2');
  });
});

describe('MatchingEngine, market prices made once', () => {
  const market: MatchableOrder = {
    side: 'BUY',
    type: 'MARKET',
    price: null,
    triggerPrice: null,
    timeInForce: 'GTC',
  };
  const s = { leaves: Dec('1'), fresh: true, triggered: false };
  const atOpen = (e: MatchingEngine, open: number) =>
    e.matchPath(market, s, [open, open, open, open], grid).match!.price;
  const atTrade = (e: MatchingEngine, p: number) =>
    e.matchTrade(market, s, p, null, grid).match!.price;

  it('fills at a price seen before share its decimal, the last PRICES_KEPT prices at most', () => {
    const e = new MatchingEngine();
    const first = atOpen(e, 101.25);
    for (let k = 1; k < MatchingEngine.PRICES_KEPT; k++) atOpen(e, 200 + k / 100);
    // PRICES_KEPT prices seen: the first is still kept, by bars and by trades alike.
    expect(atOpen(e, 101.25)).toBe(first);
    expect(atTrade(e, 101.25)).toBe(first);
    expect(first.toFixed()).toBe('101.25');
    // One more: the prices kept start again, and the first is made anew (the same value).
    atTrade(e, 999.99);
    const again = atOpen(e, 101.25);
    expect(again).not.toBe(first);
    expect(again.toFixed()).toBe('101.25');
    expect(atOpen(e, 101.25)).toBe(again);
  });

  it('a zero price keeps its sign: +0 and -0 are one key of a map, not one decimal', () => {
    const e = new MatchingEngine();
    expect(atOpen(e, 0).s).toBe(1);
    expect(atOpen(e, -0).s).toBe(-1);
    expect(atTrade(e, 0).s).toBe(1);
  });
});

describe('MatchingEngine, fees made once', () => {
  const p = Dec('101.25');
  const q = Dec('10');
  const rate = Dec('0.001');

  it('a fill alike (the same price, quantity, rate, side and currencies) shares the fee; any other gets its own', () => {
    const e = new MatchingEngine({ buyFeeIn: 'base' });
    const first = e.fee('SELL', p, q, rate, 'B', 'Q');
    expect([first.amount.toFixed(), first.currency]).toEqual(['1.0125', 'Q']);
    expect(e.fee('SELL', p, q, rate, 'B', 'Q')).toBe(first);
    const shown = (f: ReturnType<MatchingEngine['fee']>) => [f.amount.toFixed(), f.currency];
    // Each argument changed alone, right after a fee at the same price: its own value.
    const after = (side: 'BUY' | 'SELL', made: () => ReturnType<MatchingEngine['fee']>) => {
      e.fee(side, p, q, rate, 'B', 'Q');
      return shown(made());
    };
    expect(after('SELL', () => e.fee('SELL', p, Dec('20'), rate, 'B', 'Q'))).toEqual([
      '2.025',
      'Q',
    ]);
    expect(after('SELL', () => e.fee('SELL', p, q, Dec('0.002'), 'B', 'Q'))).toEqual([
      '2.025',
      'Q',
    ]);
    expect(after('SELL', () => e.fee('BUY', p, q, rate, 'B', 'Q'))).toEqual(['0.01', 'B']);
    expect(after('SELL', () => e.fee('SELL', p, q, rate, 'B', 'USD'))).toEqual(['1.0125', 'USD']);
    expect(after('BUY', () => e.fee('BUY', p, q, rate, 'C', 'Q'))).toEqual(['0.01', 'C']);
    // An equal decimal of another object is another key: a fee of its own, the same value.
    const again = e.fee('SELL', p, Dec('10'), rate, 'B', 'Q');
    expect(again).not.toBe(first);
    expect(shown(again)).toEqual(['1.0125', 'Q']);
  });

  it('keeps the fees of PRICES_KEPT prices at most', () => {
    const e = new MatchingEngine();
    const first = e.fee('BUY', p, q, rate, 'B', 'Q');
    for (let k = 1; k < MatchingEngine.PRICES_KEPT; k++) e.fee('BUY', Dec(k), q, rate, 'B', 'Q');
    expect(e.fee('BUY', p, q, rate, 'B', 'Q')).toBe(first);
    e.fee('BUY', Dec('99999'), q, rate, 'B', 'Q');
    const again = e.fee('BUY', p, q, rate, 'B', 'Q');
    expect(again).not.toBe(first);
    expect(again.amount.toFixed()).toBe('1.0125');
    expect(e.fee('BUY', p, q, rate, 'B', 'Q')).toBe(again);
  });
});
